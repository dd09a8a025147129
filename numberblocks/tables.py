import django_tables2 as tables

from connex.tables import NUM


class NumberBlockTable(tables.Table):
    """A customer's internal number blocks with the numbers in use in each (rows from block_list_with_usage)."""

    range = tables.TemplateColumn("{{ record.block.start }}–{{ record.block.end }}", verbose_name="Range")
    size = tables.Column(accessor="block__size", attrs=NUM)
    in_use = tables.Column(verbose_name="In use", empty_values=(), attrs={
        "th": {"class": "num"},
        "td": {"class": "num", "title": lambda record: ", ".join(f"{n} {what}" for n, what in record["in_use"])}})
    release = tables.TemplateColumn(template_name="numberblocks/partials/block_release.html", verbose_name="",
                                    attrs={"td": {"class": "text-end"}})

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm mb-0 small", "id": "number-blocks"}
        row_attrs = {"data-block": lambda record: record["block"].start}

    def render_in_use(self, record):
        return len(record["in_use"])
