import django_tables2 as tables

from .models import RateCard, RateRow


class RateCardTable(tables.Table):
    preference_key = "rate_cards"
    fixed_columns = ("name",)
    default_columns = ("kind", "direction", "currency", "precision", "rounding", "updated")

    name = tables.Column(linkify=True, attrs={"td": {"class": "fw-semibold"}})
    updated = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = RateCard
        fields = ("name", "kind", "direction", "currency", "precision", "rounding", "updated")
        order_by = ("name",)


class RateRowTable(tables.Table):
    rate = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    connect_fee = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})

    class Meta:
        model = RateRow
        fields = ("prefix", "name", "rate", "connect_fee", "mcd", "pulse", "grace", "blocked")
        orderable = False
        empty_text = "No rows match."
