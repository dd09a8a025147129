import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from connex.templatetags.connex_format import format_money
from customers.tables import MoneyColumn

from .models import Invoice, Payment


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


class CustomerInvoiceTable(tables.Table):
    """The card's Invoices tab: the customer's latest invoices."""

    number = tables.TemplateColumn(
        '<a href="{{ record.get_absolute_url }}">{{ record }}</a>{% if record.kind == "receipt" %} '
        '<span class="cx-tag">receipt</span>{% endif %}', verbose_name="Number", attrs={"td": {"class": "fw-semibold"}})
    status = tables.TemplateColumn('{% include "invoicing/partials/status.html" with invoice=record %}')
    period = tables.Column(accessor="period_display", verbose_name="Period")
    issue_date = tables.DateColumn(format="Y-m-d", verbose_name="Issued", default="—")
    due_date = tables.DateColumn(format="Y-m-d", verbose_name="Due", default="—")
    total = MoneyColumn()
    amount_paid = MoneyColumn(verbose_name="Paid")
    pdf = tables.TemplateColumn(
        '<a href="{% url \'invoicing:invoice_pdf\' record.pk %}" class="pdf-link" aria-label="Download PDF of '
        '{{ record }}"><i class="bi bi-file-earmark-pdf"></i> PDF</a>', verbose_name="", attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Invoice
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle mb-0", "id": "customer-invoices"}
        empty_text = ("No invoices yet. Select periods in the Summary section and press Generate Invoice, "
                      "or create a draft.")

    def render_amount_paid(self, value):
        return format_money(value)


class PaymentTable(tables.Table):
    """The card's Payments tab: the customer's latest payments, each status settable in its row."""

    received_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Received")
    description = tables.Column(default="—")
    method = tables.Column()
    amount = tables.TemplateColumn(
        '{{ record.amount|money:record.currency }}{% if record.currency != record.customer.currency %}'
        '<div class="small text-muted">@ {{ record.exchange_rate.normalize }}</div>{% endif %}',
        attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    credited_amount = tables.Column(verbose_name="Credited", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    allocations = tables.TemplateColumn(
        '{% for allocation in record.allocations.all %}<a href="{{ allocation.invoice.get_absolute_url }}">'
        '{{ allocation.invoice }}</a> {{ allocation.amount|money }}{% if not forloop.last %}, {% endif %}'
        '{% empty %}—{% endfor %}', verbose_name="Allocated to", empty_values=())
    status = tables.TemplateColumn(template_name="invoicing/partials/payment_status_cell.html")

    class Meta:
        model = Payment
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm align-middle mb-0", "id": "customer-payments"}
        empty_text = "No payments yet."

    def render_credited_amount(self, value, record):
        return format_money(value, record.customer.currency)
