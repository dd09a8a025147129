"""Invoices and payments: every write goes through here (views, API, tasks and demo data)."""

import logging
from datetime import UTC, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import TruncDate, TruncDay
from django.utils import timezone

from connex.models import AccountOptions
from customers.models import Customer
from ledger.models import LedgerEntry
from ledger.services import ledger_post
from summaries.models import HourlySummary
from summaries.periods import DAILY, MONTHLY, WEEKLY, Period, periods_between

from . import rendering
from .models import (
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceTemplate,
    InvoicingOptions,
    Payment,
    PaymentAllocation,
)

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0")
AUTO_LOOKBACK_DAYS = 400
_LOCK_NAMESPACE = 7001  # pg advisory lock space: one lock per customer for invoice creation
# An invoice covers a day, a week or a month; hours are for the summary view only.
INVOICE_PERIODS = (DAILY, WEEKLY, MONTHLY)


def money(value) -> Decimal:
    """Round half-up to the cent: the one rounding rule of every invoice figure."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _lock_customer_invoicing(customer_id):
    # Serialises invoice creation per customer (manual, auto runs, receipts) until commit.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, int(customer_id)])


def _event(invoice, type_, user=None, **parameters):
    return InvoiceEvent.objects.create(invoice=invoice, type=type_,
                                       user=user if user is not None and user.is_authenticated else None,
                                       parameters=parameters)


# Templates ----------------------------------------------------------------------------------

def template_default() -> InvoiceTemplate:
    """The template used when a customer has none; the shipped one is created on first use."""
    template = InvoiceTemplate.objects.filter(is_default=True).order_by("pk").first()
    if template is None:
        template, _ = InvoiceTemplate.objects.get_or_create(
            name="Default", defaults={"html": rendering.default_html(), "css": rendering.default_css(),
                                      "is_default": True})
    return template


@transaction.atomic
def template_save(*, template: InvoiceTemplate) -> InvoiceTemplate:
    template.save()
    if template.is_default:
        InvoiceTemplate.objects.exclude(pk=template.pk).filter(is_default=True).update(is_default=False)
    return template


# Lines from summaries -------------------------------------------------------------------------

def summary_lines(*, customer, start, end, grouping=None) -> list[InvoiceLine]:
    """Invoice lines from the customer's hourly summaries of [start, end); aggregation in SQL."""
    grouping = grouping or InvoicingOptions.get().invoice_line_grouping
    rows = HourlySummary.objects.filter(customer=customer, hour__gte=start, hour__lt=end)
    if grouping == InvoicingOptions.LineGrouping.DAY:
        rows = rows.annotate(day=TruncDate("hour", tzinfo=UTC)).values("day").annotate(
            seconds=Sum("billed_duration"), charge=Sum("charge")).order_by("day")
        describe = lambda row: f"Calls on {row['day']:%Y-%m-%d}"  # noqa: E731
    else:
        rows = rows.values("destination").annotate(seconds=Sum("billed_duration"), charge=Sum("charge")) \
            .order_by("destination")
        describe = lambda row: row["destination"] or "Other destinations"  # noqa: E731
    return [InvoiceLine(position=position, description=describe(row)[:200],
                        quantity=money(Decimal(row["seconds"] or 0) / 60), amount=money(row["charge"] or ZERO))
            for position, row in enumerate(rows, start=1)]


def registered_lines(*, customer, start, end, first_position=1) -> list[InvoiceLine]:
    """Lines other apps add for the period (connex.registry.register_invoice_line_source)."""
    from connex.registry import registry

    found = [line for source in registry.invoice_line_sources for line in source(customer, start, end)]
    return [InvoiceLine(position=position, description=description[:200], quantity=money(quantity),
                        amount=money(amount))
            for position, (description, quantity, amount) in enumerate(found, start=first_position)]


def _recalculate(invoice):
    invoice.subtotal = money(sum((line.amount for line in invoice.lines.all()), ZERO))
    invoice.tax_amount = money(invoice.subtotal * invoice.tax_percent / 100)
    invoice.total = invoice.subtotal + invoice.tax_amount


def _overlapping(customer_id, start, end):
    return list(Invoice.objects.filter(customer_id=customer_id, kind=Invoice.Kind.USAGE, period_start__lt=end,
                                       period_end__gt=start).exclude(status=Invoice.Status.VOID)
                .order_by("period_start")[:3])


def _overlap_error(others, label):
    named = ", ".join(f"{other} ({other.period_start:%Y-%m-%d} to "
                      f"{other.period_end - timedelta(seconds=1):%Y-%m-%d}, {other.get_status_display().lower()})"
                      for other in others)
    return ValidationError(f"{label} overlaps invoice {named}.", code="overlap")


# Invoices -------------------------------------------------------------------------------------

@transaction.atomic
def invoice_create(*, customer, start, end, label=None, user=None, lines=None) -> Invoice:
    """A draft invoice for [start, end) built from the summaries; overlaps are refused."""
    label = label or f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    _lock_customer_invoicing(customer.pk)
    other = _overlapping(customer.pk, start, end)
    if other:
        raise _overlap_error(other, label)
    invoice = Invoice(customer=customer, period_start=start, period_end=end, currency=customer.currency,
                      tax_percent=customer.tax_percent, external_accounting_id=customer.external_accounting_id,
                      template=customer.invoice_template)
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:  # the exclusion constraint caught what the check above could not see
        other = _overlapping(customer.pk, start, end)
        if other:
            raise _overlap_error(other, label) from None
        raise
    if lines is None:
        lines = summary_lines(customer=customer, start=start, end=end)
        lines += registered_lines(customer=customer, start=start, end=end, first_position=len(lines) + 1)
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    _recalculate(invoice)
    invoice.save(update_fields=["subtotal", "tax_amount", "total", "updated"])
    _event(invoice, InvoiceEvent.Type.CREATED, user, period=label, lines=len(lines))
    return invoice


def invoice_issue(*, invoice, user=None, render=True) -> Invoice:
    """Give a draft its number, tax and due date; then render and store its PDF."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
        if not invoice.is_draft:
            raise ValidationError(f"Invoice {invoice} is already {invoice.get_status_display().lower()}.")
        customer = invoice.customer
        invoice.tax_percent = ZERO if invoice.kind == Invoice.Kind.RECEIPT else customer.tax_percent
        _recalculate(invoice)
        invoice.issue_date = timezone.now().date()
        invoice.due_date = invoice.issue_date + timedelta(days=customer.invoice_due_days)
        invoice.template = invoice.template or customer.invoice_template
        # Taken last and held to commit: numbers stay gapless because a rolled-back issue
        # also rolls back its increment.
        options = InvoicingOptions.get_for_update()
        invoice.number = f"{options.invoice_number_prefix}{options.invoice_next_number}"
        if Invoice.objects.filter(number=invoice.number).exists():
            raise ValidationError(f"Invoice number {invoice.number} is already used; raise the next invoice "
                                  "number in Settings.")
        options.invoice_next_number = F("invoice_next_number") + 1
        options.save(update_fields=["invoice_next_number", "updated"])
        invoice.status = Invoice.Status.ISSUED
        invoice.save()
        _event(invoice, InvoiceEvent.Type.ISSUED, user, number=invoice.number, total=str(invoice.total),
               tax_percent=str(invoice.tax_percent))
    if render:
        invoice = invoice_render_pdf(invoice=invoice, user=user)
    return invoice


def invoice_render(*, invoice, template=None) -> rendering.Rendered:
    template = template or invoice.template or invoice.customer.invoice_template or template_default()
    return rendering.render_html(template.html, template.css,
                                 rendering.invoice_data(invoice, AccountOptions.get()))


def invoice_pdf_bytes(*, invoice) -> tuple[bytes, str]:
    """PDF of the invoice; a broken template falls back to the shipped default (error returned)."""
    rendered = invoice_render(invoice=invoice)
    error = rendered.error
    if error:
        rendered = rendering.render_html(rendering.default_html(), rendering.default_css(),
                                         rendering.invoice_data(invoice, AccountOptions.get()))
    return rendering.html_to_pdf(rendered.html), error


def invoice_render_pdf(*, invoice, user=None, explicit=False) -> Invoice:
    """Render and store the PDF of an issued invoice (explicit re-render replaces it)."""
    invoice = Invoice.objects.select_related("customer", "template").get(pk=invoice.pk)
    if invoice.is_draft:
        raise ValidationError("Drafts get their PDF when issued; download shows a preview.")
    pdf, error = invoice_pdf_bytes(invoice=invoice)
    old = invoice.pdf.name
    with transaction.atomic():
        invoice.pdf.save(invoice.pdf_filename, ContentFile(pdf), save=False)
        Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name, updated=timezone.now())
        if explicit or error:
            _event(invoice, InvoiceEvent.Type.RENDERED, user, explicit=explicit, template_error=error)
    if old and old != invoice.pdf.name:
        invoice.pdf.storage.delete(old)
    return invoice


def _draft_for_edit(invoice, reason):
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.is_draft:
        raise ValidationError(f"Invoice {invoice} is issued; issued invoices cannot be edited (void it instead).")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for the change."})
    return invoice


def _line_values(line):
    return {"description": line.description, "quantity": str(line.quantity), "amount": str(line.amount)}


def _save_totals(invoice):
    _recalculate(invoice)
    invoice.save(update_fields=["subtotal", "tax_amount", "total", "updated"])


@transaction.atomic
def invoice_line_add(*, invoice, description, quantity, amount, reason, user=None) -> InvoiceLine:
    invoice = _draft_for_edit(invoice, reason)
    position = (invoice.lines.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    line = InvoiceLine(invoice=invoice, position=position, description=description,
                       quantity=money(quantity), amount=money(amount))
    line.save()
    _save_totals(invoice)
    _event(invoice, InvoiceEvent.Type.LINE_ADDED, user, reason=reason, line=_line_values(line))
    return line


@transaction.atomic
def invoice_line_change(*, line, description, quantity, amount, reason, user=None) -> InvoiceLine:
    invoice = _draft_for_edit(line.invoice, reason)
    before = _line_values(line)
    line.description, line.quantity, line.amount = description, money(quantity), money(amount)
    line.save()
    _save_totals(invoice)
    _event(invoice, InvoiceEvent.Type.LINE_CHANGED, user, reason=reason, before=before, after=_line_values(line))
    return line


@transaction.atomic
def invoice_line_remove(*, line, reason, user=None) -> None:
    invoice = _draft_for_edit(line.invoice, reason)
    before = _line_values(line)
    line.delete()
    _save_totals(invoice)
    _event(invoice, InvoiceEvent.Type.LINE_REMOVED, user, reason=reason, line=before)


@transaction.atomic
def invoice_void(*, invoice, reason, user=None) -> Invoice:
    """Void an invoice (its period becomes free again); paid money must be unallocated first."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        raise ValidationError(f"Invoice {invoice} is already void.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Give a reason for voiding."})
    if invoice.allocations.filter(payment__status=Payment.Status.COMPLETED).exists():
        raise ValidationError(f"Invoice {invoice} has payments allocated; cancel or move them first.")
    invoice.status = Invoice.Status.VOID
    invoice.void_reason = reason.strip()
    invoice.save(update_fields=["status", "void_reason", "updated"])
    _event(invoice, InvoiceEvent.Type.VOIDED, user, reason=invoice.void_reason)
    return invoice


def invoice_recipients(customer):
    contacts = list(customer.contacts.filter(contact_type="billing").exclude(email=""))
    return contacts or list(customer.contacts.exclude(email=""))


@transaction.atomic
def invoice_send(*, invoice, user=None) -> list:
    """Email the PDF to the billing contacts (all contacts when none is billing), via the outbox."""
    from messaging.services import message_queue

    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    if invoice.is_draft or invoice.status == Invoice.Status.VOID:
        raise ValidationError(f"Only issued invoices can be sent; {invoice} is {invoice.get_status_display().lower()}.")
    recipients = invoice_recipients(invoice.customer)
    if not recipients:
        raise ValidationError(f"{invoice.customer} has no contact with an email address.")
    if not invoice.pdf:
        invoice = invoice_render_pdf(invoice=invoice, user=user)
    with invoice.pdf.open("rb") as handle:
        pdf = handle.read()
    company = AccountOptions.get().company_name
    messages = []
    for contact in recipients:
        messages.append(message_queue(
            channel="email", to=contact.email, kind="invoice", customer=invoice.customer, contact=contact,
            subject=f"Invoice {invoice.number} from {company}",
            body=(f"Dear {contact.name},\n\nPlease find attached invoice {invoice.number} for "
                  f"{invoice.total:,.2f} {invoice.currency}, due on {invoice.due_date:%Y-%m-%d}.\n\n{company}\n"),
            attachment=(invoice.pdf_filename, ContentFile(pdf))))
    _event(invoice, InvoiceEvent.Type.EMAILED, user, to=[c.email for c in recipients],
           message_ids=[m.pk for m in messages])
    return messages


def invoice_generate(*, customer, periods: list[Period], issue=True, user=None) -> list[Invoice]:
    """One invoice per period, all or none; a period overlapping an invoice refuses the lot."""
    if not periods:
        raise ValidationError("Select at least one summary row (period) to invoice.")
    if any(period.kind not in INVOICE_PERIODS for period in periods):
        raise ValidationError("An invoice covers a day, a week or a month, not an hour.")
    periods = sorted(set(periods), key=lambda p: (p.start, p.end))
    errors = [f"{b.label} overlaps the selected {a.label}."
              for a, b in zip(periods, periods[1:], strict=False) if b.start < a.end]
    if errors:
        raise ValidationError(errors)
    created = []
    with transaction.atomic():
        for period in periods:
            try:
                with transaction.atomic():
                    invoice = invoice_create(customer=customer, start=period.start, end=period.end,
                                             label=period.label, user=user)
                    if issue:
                        invoice = invoice_issue(invoice=invoice, user=user, render=False)
                    created.append(invoice)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors)
    if issue:
        created = [invoice_render_pdf(invoice=invoice, user=user) for invoice in created]
    return created


def _missing_periods(customer, options, now):
    kind = customer.invoice_schedule
    since_at = now - timedelta(days=AUTO_LOOKBACK_DAYS)
    since = since_at.date()
    used_days = set(HourlySummary.objects.filter(customer=customer, hour__gte=since_at)
                    .annotate(day=TruncDay("hour", tzinfo=UTC)).values_list("day", flat=True).distinct())
    if options.invoice_empty_periods:
        first = max(since, customer.created.astimezone(UTC).date())
    elif used_days:
        first = min(used_days).date()
    else:
        return []
    taken = list(Invoice.objects.filter(customer=customer, kind=Invoice.Kind.USAGE, period_end__gt=since_at)
                 .exclude(status=Invoice.Status.VOID).values_list("period_start", "period_end"))
    missing = []
    for period in periods_between(kind, first, now):
        if any(start < period.end and end > period.start for start, end in taken):
            continue
        if not options.invoice_empty_periods and not any(period.start <= d < period.end for d in used_days):
            continue
        missing.append(period)
    return missing


def invoice_auto_generate_customer(*, customer_id, now=None, user=None) -> list[Invoice]:
    """Create and issue the missing invoices of a customer's completed scheduled periods.

    Runs for one customer hold that customer's invoicing lock, so overlapping runs queue and the
    later one finds the invoices already there.
    """
    now = now or timezone.now()
    options = InvoicingOptions.get()
    with transaction.atomic():
        _lock_customer_invoicing(customer_id)
        customer = Customer.objects.filter(pk=customer_id).exclude(
            invoice_schedule=Customer.InvoiceSchedule.NONE).first()
        if customer is None:
            return []
        created = []
        for period in _missing_periods(customer, options, now):
            invoice = invoice_create(customer=customer, start=period.start, end=period.end,
                                     label=period.label, user=user)
            created.append(invoice_issue(invoice=invoice, user=user, render=False))
    return [invoice_render_pdf(invoice=invoice, user=user) for invoice in created]


def invoice_auto_generate(*, customer_ids=None, now=None, user=None) -> list[Invoice]:
    customers = Customer.objects.exclude(invoice_schedule=Customer.InvoiceSchedule.NONE)
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    created = []
    for customer_id in customers.order_by("pk").values_list("pk", flat=True):
        try:
            created.extend(invoice_auto_generate_customer(customer_id=customer_id, now=now, user=user))
        except Exception:
            # One customer's failure (rolled back whole) must not keep invoices from the others.
            logger.exception("Invoices of customer %s could not be generated", customer_id)
    return created


# Payments -------------------------------------------------------------------------------------

def _invoice_refresh_paid(invoice_id, user=None):
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status in (Invoice.Status.DRAFT, Invoice.Status.VOID):
        return invoice
    paid = invoice.allocations.filter(payment__status=Payment.Status.COMPLETED).aggregate(
        total=Sum("amount"))["total"] or ZERO
    if paid > 0 and paid >= invoice.total:
        status = Invoice.Status.PAID
    elif paid > 0:
        status = Invoice.Status.PARTLY_PAID
    else:
        status = Invoice.Status.ISSUED
    if (status, paid) != (invoice.status, invoice.amount_paid):
        changed = status != invoice.status
        invoice.status, invoice.amount_paid = status, paid
        invoice.save(update_fields=["status", "amount_paid", "updated"])
        if changed:
            type_ = {Invoice.Status.PAID: InvoiceEvent.Type.PAID, Invoice.Status.PARTLY_PAID:
                     InvoiceEvent.Type.PARTLY_PAID}.get(status, InvoiceEvent.Type.UNPAID)
            _event(invoice, type_, user, amount_paid=str(paid))
    return invoice


def _payment_validate(*, customer, amount, currency, exchange_rate):
    errors = {}
    amount = Decimal(amount) if amount is not None else None
    if amount is None or amount <= 0:
        errors["amount"] = "Enter an amount above zero."
    allowed = [customer.currency, *(customer.topup_currencies or [])]
    if currency not in allowed:
        errors["currency"] = f"{customer.name} pays in {', '.join(allowed)} only."
    rate = Decimal("1")
    if currency != customer.currency and "currency" not in errors:
        if exchange_rate is None or Decimal(exchange_rate) <= 0:
            errors["exchange_rate"] = (f"Give the exchange rate: how many {customer.currency} one {currency} "
                                       "is worth.")
        else:
            rate = Decimal(exchange_rate)
    if errors:
        raise ValidationError(errors)
    credited = money(amount * rate)
    if credited < customer.minimum_payment:
        raise ValidationError({"amount": f"Below the minimum payment of {customer.minimum_payment:,.2f} "
                                         f"{customer.currency} (this credits {credited:,.2f})."})
    return amount, rate, credited


def _payment_apply(payment, previous_credited, user=None):
    """Move the balance by the credited amount once per change in or out of Completed."""
    should = payment.status == Payment.Status.COMPLETED
    if should != previous_credited:
        ledger_post(customer_id=payment.customer_id,
                    amount=payment.credited_amount if should else -payment.credited_amount,
                    kind=LedgerEntry.Kind.PAYMENT if should else LedgerEntry.Kind.PAYMENT_REVERSAL,
                    description=(payment.description or payment.get_method_display())[:200], source=payment)
    for invoice_id in payment.allocations.values_list("invoice_id", flat=True):
        _invoice_refresh_paid(invoice_id, user)
    customer = Customer.objects.get(pk=payment.customer_id)
    if (should and customer.create_invoice_on_payment and payment.receipt_id is None
            and not payment.allocations.exists()):
        _payment_receipt(payment, customer, user)


def _payment_receipt(payment, customer, user):
    line = InvoiceLine(position=1, quantity=ZERO, amount=payment.credited_amount,
                       description=f"Payment received — {payment.description or payment.get_method_display()}"[:200])
    invoice = Invoice(customer=customer, kind=Invoice.Kind.RECEIPT, period_start=payment.received_at,
                      period_end=payment.received_at, currency=customer.currency,
                      external_accounting_id=customer.external_accounting_id, template=customer.invoice_template)
    invoice.save()
    line.invoice = invoice
    line.save()
    _event(invoice, InvoiceEvent.Type.CREATED, user, receipt_for_payment=payment.pk)
    invoice = invoice_issue(invoice=invoice, user=user, render=False)
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=payment.credited_amount)
    Payment.objects.filter(pk=payment.pk).update(receipt=invoice)
    payment.receipt = invoice
    _invoice_refresh_paid(invoice.pk, user)
    from .tasks import invoice_render_pdf_task

    transaction.on_commit(lambda: invoice_render_pdf_task.delay(invoice.pk))


@transaction.atomic
def payment_record(*, customer, amount, currency, method=Payment.Method.MANUAL,
                   status=Payment.Status.COMPLETED, description="", exchange_rate=None, allocations=(),
                   received_at=None, user=None) -> Payment:
    """Record a payment; Completed credits the balance; allocations mark invoices (partly) paid."""
    customer = Customer.objects.get(pk=customer.pk)
    amount, rate, credited = _payment_validate(customer=customer, amount=amount, currency=currency,
                                               exchange_rate=exchange_rate)
    allocations = [(invoice, money(part)) for invoice, part in allocations if part]
    errors = []
    for invoice, part in allocations:
        invoice.refresh_from_db()
        if invoice.customer_id != customer.pk:
            errors.append(f"Invoice {invoice} belongs to another customer.")
        elif invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID):
            errors.append(f"Invoice {invoice} is {invoice.get_status_display().lower()}; only issued invoices "
                          "take payments.")
        elif part <= 0 or part > invoice.outstanding:
            errors.append(f"Allocate between 0.01 and {invoice.outstanding:,.2f} to invoice {invoice}.")
    if sum((part for _, part in allocations), ZERO) > credited:
        errors.append(f"Allocations exceed the payment ({credited:,.2f} {customer.currency}).")
    if errors:
        raise ValidationError({"allocations": errors})
    payment = Payment.objects.create(
        customer=customer, amount=amount, currency=currency, exchange_rate=rate, credited_amount=credited,
        method=method, status=status, description=description,
        credited=status == Payment.Status.COMPLETED, received_at=received_at or timezone.now())
    PaymentAllocation.objects.bulk_create(
        [PaymentAllocation(payment=payment, invoice=invoice, amount=part) for invoice, part in allocations])
    _payment_apply(payment, previous_credited=False, user=user)
    return payment


@transaction.atomic
def payment_set_status(*, payment, status, user=None) -> Payment:
    """Change a payment's status; the row lock makes each transition move the balance once."""
    if status not in Payment.Status.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == status:
        return payment
    previous = payment.credited
    payment.status = status
    payment.credited = status == Payment.Status.COMPLETED
    payment.save(update_fields=["status", "credited", "updated"])
    _payment_apply(payment, previous_credited=previous, user=user)
    return payment
