import django_tables2 as tables
from django.utils.html import format_html

from customers.tables import MoneyColumn

from .models import StatementLine


class LedgerMoneyColumn(MoneyColumn):
    """Four places on screen (call charges are fractions of a cent), all six in exports."""

    def render(self, value):
        return format_html('<span class="{}">{}</span>', "negative" if value < 0 else "", f"{value:,.4f}")

    def value(self, value):
        return f"{value:.6f}"


class StatementTable(tables.Table):
    posted_at = tables.DateTimeColumn(verbose_name="Posted", format="Y-m-d H:i")
    kind = tables.Column()
    description = tables.Column()
    calls = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    amount = LedgerMoneyColumn(verbose_name="Amount")
    running_balance = LedgerMoneyColumn(verbose_name="Balance")

    class Meta:
        model = StatementLine
        fields = ("posted_at", "kind", "description", "calls", "amount", "running_balance")
        orderable = False
        empty_text = "No entries."
