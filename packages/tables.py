import django_tables2 as tables

from .models import Package


class PackageTable(tables.Table):
    preference_key = "packages"
    fixed_columns = ("name",)
    default_columns = ("kind", "currency", "frequency", "retail", "cost", "setup_retail", "free_minutes",
                       "destination_pattern", "minimum_spend", "subscription_count")

    name = tables.Column(linkify=True, attrs={"td": {"class": "fw-semibold"}})
    kind = tables.Column()
    currency = tables.Column()
    frequency = tables.Column()
    retail = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    cost = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    setup_retail = tables.Column(verbose_name="Setup retail", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    free_minutes = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    destination_pattern = tables.Column(verbose_name="Destinations")
    minimum_spend = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    minimum_days = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    subscription_count = tables.Column(verbose_name="Subscriptions", attrs={"td": {"class": "num"}})

    class Meta:
        model = Package
        fields = ()
        order_by = ("name",)
        attrs = {"class": "table table-sm table-hover", "id": "package-table"}
        empty_text = "No packages match."

    def render_frequency(self, record):
        if record.frequency == "monthly":
            return f"Monthly from day {record.day_of_month}"
        return record.get_frequency_display()
