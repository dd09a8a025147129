from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from connex.generic import CardSection, CardSectionFormView, ObjectEditView
from connex.models import AccountOptions
from connex.permissions import permission_required
from connex.templatetags.connex_format import format_money
from connex.views import ObjectListView, OptionsFormView
from customers.models import Customer
from customers.selectors import customer_get_visible, visible_through_customer
from ledger.views import statement_context
from summaries.periods import Period

from . import rendering, selectors, services
from .filtersets import InvoiceFilterSet
from .forms import (
    DraftForm,
    InvoiceTemplateForm,
    InvoicingOptionsForm,
    LineForm,
    PaymentForm,
    ReasonForm,
)
from .models import Invoice, InvoiceLine, InvoiceTemplate, Payment
from .tables import CustomerInvoiceTable, InvoiceTable, PaymentTable


def _messages_of(exc: ValidationError):
    return exc.messages


def _error(request, exc):
    for message in _messages_of(exc):
        messages.error(request, message)


class InvoiceListView(ObjectListView):
    permission_required = "invoicing.view_invoice"
    table_class = InvoiceTable
    filterset_class = InvoiceFilterSet
    template_name = "invoicing/invoice_list.html"
    title = "Invoices"
    search_placeholder = "Number, customer, ext. accounting ID"

    def get_queryset(self):
        return visible_through_customer(self.request.user, Invoice.objects.select_related("customer"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["currency_totals"] = selectors.invoice_totals(self.object_list)
        return context


def _invoice_get(request, pk, queryset=None):
    queryset = Invoice.objects.all() if queryset is None else queryset
    return get_object_or_404(visible_through_customer(request.user, queryset), pk=pk)


@permission_required("invoicing.view_invoice")
def invoice_detail(request, pk):
    invoice = _invoice_get(request, pk, Invoice.objects.select_related("customer", "template"))
    return render(request, "invoicing/invoice_detail.html", {
        "invoice": invoice, "customer": invoice.customer, "lines": invoice.lines.all(),
        "events": invoice.events.select_related("user"), "line_form": LineForm(), "void_form": ReasonForm(),
        "allocations": invoice.allocations.select_related("payment"),
        "recipients": services.invoice_recipients(invoice.customer)})


@permission_required("invoicing.view_invoice")
def invoice_pdf(request, pk):
    invoice = _invoice_get(request, pk)
    return _pdf_response(invoice)


def _pdf_response(invoice):
    if invoice.is_draft:
        pdf, _ = services.invoice_pdf_bytes(invoice=invoice)
        return HttpResponse(pdf, content_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="{invoice.pdf_filename}"'})
    if not invoice.pdf:
        invoice = services.invoice_render_pdf(invoice=invoice)
    return FileResponse(invoice.pdf.open("rb"), as_attachment=True, filename=invoice.pdf_filename,
                        content_type="application/pdf")


def _back_to_card(customer, tab="invoices"):
    return redirect("customers:customer_tab", customer.pk, tab)


@permission_required("invoicing.add_invoice")
@require_POST
def invoice_generate(request, customer_pk):
    """Generate Invoice from the Summary section: one invoice per selected period, all or none."""
    customer = customer_get_visible(user=request.user, pk=customer_pk)
    try:
        periods = [Period.from_key(value, services.INVOICE_PERIODS) for value in request.POST.getlist("periods")]
        created = services.invoice_generate(customer=customer, periods=periods, user=request.user,
                                            issue=request.POST.get("draft") != "1" and request.GET.get("draft") != "1")
    except ValidationError as exc:
        _error(request, exc)
    else:
        names = ", ".join(str(invoice) for invoice in created)
        messages.success(request, f"Generated {len(created)} invoice{'s' if len(created) != 1 else ''}: {names}.")
    return _back_to_card(customer)


@permission_required("invoicing.add_invoice")
@require_POST
def invoice_auto_generate(request, customer_pk):
    customer = customer_get_visible(user=request.user, pk=customer_pk)
    if customer.invoice_schedule == Customer.InvoiceSchedule.NONE:
        messages.warning(request, f"{customer.name} has no invoice schedule; set one under Edit → Config.")
        return _back_to_card(customer)
    created = services.invoice_auto_generate_customer(customer_id=customer.pk, user=request.user)
    if created:
        messages.success(request, f"Generated {len(created)} missing invoice{'s' if len(created) != 1 else ''}: "
                                  + ", ".join(str(invoice) for invoice in created) + ".")
    else:
        messages.info(request, "No invoices missing: every completed period is invoiced.")
    return _back_to_card(customer)


@permission_required("invoicing.add_invoice")
@require_POST
def invoice_draft_create(request, customer_pk):
    customer = customer_get_visible(user=request.user, pk=customer_pk)
    form = DraftForm(request.POST)
    if form.is_valid():
        try:
            period = form.cleaned_data["period"]
            invoice = services.invoice_create(customer=customer, start=period.start, end=period.end,
                                              label=period.label, user=request.user)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, f"Draft created for {period.label}.")
            return redirect(invoice)
    else:
        for errors in form.errors.values():
            messages.error(request, f"Draft not created: {' '.join(errors)}")
    return _back_to_card(customer)


def _invoice_action(request, pk, action, success):
    invoice = _invoice_get(request, pk)
    try:
        action(invoice)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, success(invoice))
    return redirect(invoice)


@permission_required("invoicing.change_invoice")
@require_POST
def invoice_issue(request, pk):
    return _invoice_action(request, pk, lambda inv: services.invoice_issue(invoice=inv, user=request.user),
                           lambda inv: "Invoice issued; the PDF is stored.")


@permission_required("invoicing.void_invoice")
@require_POST
def invoice_void(request, pk):
    return _invoice_action(request, pk, lambda inv: services.invoice_void(
        invoice=inv, reason=request.POST.get("reason", ""), user=request.user), lambda inv: "Invoice voided.")


@permission_required("invoicing.change_invoice")
@require_POST
def invoice_send(request, pk):
    return _invoice_action(request, pk, lambda inv: services.invoice_send(invoice=inv, user=request.user),
                           lambda inv: "Invoice queued for email to "
                           + ", ".join(c.email for c in services.invoice_recipients(inv.customer)) + ".")


@permission_required("invoicing.change_invoice")
@require_POST
def invoice_rerender(request, pk):
    return _invoice_action(request, pk, lambda inv: services.invoice_render_pdf(
        invoice=inv, user=request.user, explicit=True), lambda inv: "PDF re-rendered.")


@permission_required("invoicing.change_invoice")
@require_POST
def invoice_line_add(request, pk):
    invoice = _invoice_get(request, pk)
    _save_line_form(request, lambda data: services.invoice_line_add(invoice=invoice, user=request.user, **data),
                    "Line added.")
    return redirect(invoice)


@permission_required("invoicing.change_invoice")
@require_POST
def invoice_line_edit(request, pk, line_pk):
    line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=_invoice_get(request, pk))
    if request.POST.get("remove"):
        try:
            services.invoice_line_remove(line=line, reason=request.POST.get("reason", ""), user=request.user)
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, "Line removed.")
        return redirect(line.invoice)
    _save_line_form(request, lambda data: services.invoice_line_change(line=line, user=request.user, **data),
                    "Line changed.")
    return redirect(line.invoice)


def _save_line_form(request, save, success):
    """Validate a posted line, run `save(cleaned_data)`, and report the outcome as messages."""
    form = LineForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label or field.capitalize()}: {' '.join(errors)}")
        return
    try:
        save(form.cleaned_data)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, success)


# Card tabs ----------------------------------------------------------------------------------

def invoices_tab_context(request, customer):
    invoices = Invoice.objects.filter(customer=customer).order_by("-period_start", "-pk")[:200]
    return {"invoice_table": CustomerInvoiceTable(invoices), "draft_form": DraftForm(initial={"kind": "monthly", "day": _last_month_start()}),
            "totals": selectors.invoice_totals(Invoice.objects.filter(customer=customer))}


def _last_month_start():
    first = datetime.now(UTC).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def _open_invoices(customer):
    return Invoice.objects.filter(customer=customer, status__in=[Invoice.Status.ISSUED,
                                                                 Invoice.Status.PARTLY_PAID]).order_by("due_date")


def payments_tab_context(request, customer):
    payments = Payment.objects.filter(customer=customer).select_related("customer").prefetch_related(
        "allocations__invoice")[:200]
    return {"payment_table": PaymentTable(payments),
            "payment_form": PaymentForm(customer=customer, invoices=_open_invoices(customer)),
            **statement_context(request, customer)}


PAYMENTS = CardSection("payments-tab", "invoicing/partials/tab_payments.html", payments_tab_context, tab="payments")


class PaymentAddView(CardSectionFormView):
    """The Payments tab's form: record a payment (allocated to open invoices if asked)."""

    model = Payment
    form_class = PaymentForm
    form_template = "invoicing/partials/payment_form.html"
    object_name = "payment"
    section = PAYMENTS
    permission_required = "invoicing.record_payment"

    def get_form_kwargs(self, customer, instance):
        return {"customer": customer, "invoices": _open_invoices(customer)}

    def render_form(self, form, customer, instance, status=200):
        return render(self.request, self.form_template, {"payment_form": form, "customer": customer},
                      status=status)

    def save(self, form):
        data = form.cleaned_data
        payment = services.payment_record(
            customer=form.customer, amount=data["amount"], currency=data["currency"], method=data["method"],
            status=data["status"], description=data["description"], exchange_rate=data["exchange_rate"],
            allocations=form.allocations(), user=self.request.user)
        form.customer.refresh_from_db(fields=["balance"])  # the card header shows the new balance
        return (f"Payment of {format_money(payment.amount, payment.currency)} recorded "
                f"({payment.get_status_display().lower()})."), {}


@permission_required("invoicing.record_payment")
@require_POST
def payment_status(request, pk):
    payment = get_object_or_404(visible_through_customer(request.user, Payment.objects.all()), pk=pk)
    try:
        services.payment_set_status(payment=payment, status=request.POST.get("status", ""), user=request.user)
    except ValidationError as exc:
        _error(request, exc)
    else:
        payment.refresh_from_db()
        messages.success(request, f"Payment marked {payment.get_status_display().lower()}.")
    return _back_to_card(payment.customer, "payments")


# Templates ----------------------------------------------------------------------------------

@permission_required("invoicing.view_invoicetemplate")
def template_list(request):
    services.template_default()
    return render(request, "invoicing/template_list.html", {
        "templates": InvoiceTemplate.objects.all(), "options": AccountOptions.get()})


class InvoiceTemplateEditView(ObjectEditView):
    """An invoice template's HTML and CSS beside a live preview; a template that does not render is not saved."""

    model = InvoiceTemplate
    form_class = InvoiceTemplateForm
    template_name = "invoicing/template_form.html"
    object_name = "template"

    def get_object(self, pk, parent_pk=None):
        return super().get_object(pk) if pk else InvoiceTemplate(html=rendering.default_html(),
                                                                  css=rendering.default_css())

    def get_context_data(self, form, **extra):
        preview = rendering.render_html(form["html"].value() or "", form["css"].value() or "", sample_data())
        return super().get_context_data(form, preview=preview, **extra)

    def save(self, form):
        rendered = rendering.render_html(form.cleaned_data["html"], form.cleaned_data["css"], sample_data())
        if rendered.error:
            raise ValidationError({"html": rendered.error})
        return services.template_save(template=form.save(commit=False))


@permission_required("invoicing.view_invoicetemplate")
@require_POST
def template_preview(request):
    rendered = rendering.render_html(request.POST.get("html", ""), request.POST.get("css", ""), sample_data())
    if request.POST.get("format") == "pdf" and not rendered.error:
        return HttpResponse(rendering.html_to_pdf(rendered.html), content_type="application/pdf")
    return render(request, "invoicing/partials/template_preview.html", {"preview": rendered})


def sample_data():
    """Made-up invoice for previews: the same shape the real render gets, no database access."""
    from .models import InvoiceLine

    customer = Customer(name="Sample Customer Ltd", address_line1="1 Example Street", city="London",
                        postcode="EC1A 1AA", country="GB", external_accounting_id="ACC-0042")
    start = datetime(2026, 10, 1, tzinfo=UTC)
    invoice = Invoice(customer=customer, number="INV-1042", period_start=start, period_end=datetime(2026, 11, 1, tzinfo=UTC),
                      currency="USD", tax_percent=Decimal("20.00"), issue_date=date(2026, 11, 1),
                      due_date=date(2026, 11, 1) + timedelta(days=14), status=Invoice.Status.ISSUED,
                      external_accounting_id="ACC-0042")
    lines = [InvoiceLine(description=name, quantity=Decimal(minutes), amount=Decimal(amount))
             for name, minutes, amount in [("United Kingdom - Mobile", "1520.50", "30.41"),
                                           ("United States - Fixed", "8250.00", "41.25"),
                                           ("Germany - Fixed", "310.25", "4.65")]]
    invoice.subtotal = sum((line.amount for line in lines), Decimal("0"))
    invoice.tax_amount = services.money(invoice.subtotal * invoice.tax_percent / 100)
    invoice.total = invoice.subtotal + invoice.tax_amount
    return rendering.invoice_data(invoice, AccountOptions.get(), lines=lines)


class InvoicingOptionsView(OptionsFormView):
    """Settings → Invoicing."""

    permission_required = "invoicing.change_invoicingoptions"
    form_class = InvoicingOptionsForm
    title = "Invoicing"
