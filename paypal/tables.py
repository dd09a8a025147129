import django_tables2 as tables
from django.urls import reverse

from customers.tables import MoneyColumn

from .models import PayPalIpn


class PayPalIpnTable(tables.Table):
    preference_key = "paypal_ipns"
    fixed_columns = ("created",)
    default_columns = ("txn_id", "payment_status", "customer", "payer_email", "receiver_email", "gross", "currency",
                       "verification", "outcome", "reason")

    created = tables.DateTimeColumn(verbose_name="Received", format="Y-m-d H:i:s")
    txn_id = tables.Column(verbose_name="Transaction")
    parent_txn_id = tables.Column(verbose_name="Parent transaction")
    txn_type = tables.Column(verbose_name="Type")
    payment_status = tables.Column(verbose_name="PayPal status")
    customer = tables.Column(linkify=lambda record: reverse("customers:customer_tab",
                                                            args=[record.customer_id, "payments"]),
                             order_by=("customer__name",))
    payer_email = tables.Column(verbose_name="Payer")
    receiver_email = tables.Column(verbose_name="Paid to")
    gross = MoneyColumn(verbose_name="Amount")
    currency = tables.Column()
    credited_amount = MoneyColumn(verbose_name="Balance moved")
    verification = tables.Column()
    outcome = tables.Column()
    reason = tables.Column(orderable=False)

    class Meta:
        model = PayPalIpn
        fields = ()
        order_by = ("-created",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "paypal-ipn-table"}

    def render_outcome(self, record, value):
        from django.utils.html import format_html

        return format_html('<span class="cx-status cx-status-{}">{}</span>', record.outcome, value)
