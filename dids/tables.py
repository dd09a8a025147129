import django_tables2 as tables

from .models import Did


class DidTable(tables.Table):
    preference_key = "dids"
    fixed_columns = ("selection", "number")
    default_columns = ("customer", "customer_card", "provider", "provider_card", "destination", "channels", "cps",
                       "max_duration", "assigned_at")

    selection = tables.CheckBoxColumn(accessor="pk", attrs={
        "th__input": {"class": "form-check-input cx-select-all", "aria-label": "Select all on this page",
                      "form": "selection-form"},
        "td__input": {"class": "form-check-input", "name": "pk", "form": "selection-form"},
    }, orderable=False)
    number = tables.Column(linkify=True, attrs={"td": {"class": "fw-semibold"}})
    customer = tables.Column(linkify=True, order_by=("customer__name",), default="In stock")
    customer_card = tables.Column(verbose_name="Customer card", order_by=("customer_card__name",))
    provider = tables.Column(linkify=True, order_by=("provider__name",))
    provider_card = tables.Column(verbose_name="Provider card", order_by=("provider_card__name",))
    destination = tables.Column(accessor="destination_label", orderable=False, empty_values=())
    channels = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    cps = tables.Column(verbose_name="CPS", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    max_duration = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    assigned_at = tables.DateTimeColumn(format="Y-m-d H:i")
    created = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = Did
        fields = ()
        order_by = ("number",)
        attrs = {"class": "table table-sm table-hover", "id": "did-table"}
        empty_text = "No numbers match."

    def render_number(self, record):
        return record.e164

    def value_number(self, record):
        return record.e164
