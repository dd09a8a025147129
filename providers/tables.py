import django_tables2 as tables

from .models import Provider


class ProviderTable(tables.Table):
    preference_key = "providers"
    fixed_columns = ("name",)
    default_columns = ("status", "currency", "tier", "weight", "gateway_count", "card_count")

    name = tables.Column(linkify=True)
    status = tables.Column()
    currency = tables.Column()
    tier = tables.Column(attrs={"td": {"class": "num"}})
    weight = tables.Column(attrs={"td": {"class": "num"}})
    gateway_count = tables.Column(verbose_name="Gateways", attrs={"td": {"class": "num"}})
    card_count = tables.Column(verbose_name="Rate cards", attrs={"td": {"class": "num"}})

    class Meta:
        model = Provider
        fields = ()
        order_by = ("name",)
        attrs = {"class": "table table-sm table-hover", "id": "provider-table"}
        empty_text = "No providers match."
