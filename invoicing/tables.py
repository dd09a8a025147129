import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from customers.tables import MoneyColumn

from .models import Invoice


class InvoiceTable(tables.Table):
    preference_key = "invoices"
    fixed_columns = ("number",)
    default_columns = ("customer", "status", "period", "issue_date", "due_date", "currency",
                       "subtotal", "tax_amount", "total", "amount_paid", "pdf")

    number = tables.Column(linkify=True, empty_values=(), order_by=("number", "pk"),
                           attrs={"td": {"class": "fw-semibold"}})
    customer = tables.Column(linkify=lambda record: reverse("customers:customer_tab",
                                                            args=[record.customer_id, "invoices"]),
                             order_by=("customer__name",))
    kind = tables.Column()
    status = tables.Column()
    period = tables.Column(accessor="period_start", verbose_name="Period (UTC)", order_by=("period_start",))
    issue_date = tables.DateColumn(format="Y-m-d")
    due_date = tables.DateColumn(format="Y-m-d")
    currency = tables.Column()
    subtotal = MoneyColumn()
    tax_percent = tables.Column(verbose_name="Tax %", attrs={"td": {"class": "num"}})
    tax_amount = MoneyColumn(verbose_name="Tax")
    total = MoneyColumn()
    amount_paid = MoneyColumn(verbose_name="Paid")
    external_accounting_id = tables.Column(verbose_name="Ext. accounting ID")
    pdf = tables.Column(verbose_name="PDF", empty_values=(), orderable=False)
    created = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = Invoice
        fields = ()
        order_by = ("-period_start",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "invoice-table"}
        empty_text = "No invoices match."

    def render_period(self, record):
        return record.period_display

    def value_period(self, record):
        return record.period_display

    def render_number(self, record):
        return str(record)

    def render_status(self, record):
        status = format_html('<span class="cx-status cx-status-{}">{}</span>', record.status,
                             record.get_status_display())
        if record.is_overdue:
            status += format_html(' <span class="cx-status cx-status-{}">{}</span>', "penalty", "overdue")
        return status

    def value_status(self, record):
        return record.get_status_display()

    def render_pdf(self, record):
        return format_html('<a href="{}" aria-label="Download PDF"><i class="bi bi-file-earmark-pdf"></i></a>',
                           reverse("invoicing:invoice_pdf", args=[record.pk]))

    def value_pdf(self, record):
        return record.pdf.name if record.pdf else ""
