"""Demo invoices and payments for `manage.py seed_demo`, from whatever summaries exist."""

from datetime import UTC
from decimal import Decimal

from django.db.models import Max, Min


def load_demo_invoices(stdout):
    from customers.models import Customer
    from summaries.models import HourlySummary

    from .models import Invoice, Payment
    from .periods import period_for
    from .services import (
        invoice_create,
        invoice_issue,
        payment_record,
        template_default,
    )

    template_default()
    if Invoice.objects.exists() or Payment.objects.exists():
        stdout.write("Invoices: demo invoices already present.")
        return
    spans = HourlySummary.objects.values("customer_id").annotate(first=Min("hour"), last=Max("hour"))
    invoices = payments = 0
    for span in spans.order_by("customer_id")[:30]:
        customer = Customer.objects.get(pk=span["customer_id"])
        period = period_for("monthly", span["first"].astimezone(UTC).date())
        while period.end <= span["last"]:
            invoice = invoice_issue(invoice=invoice_create(customer=customer, start=period.start,
                                                           end=period.end), render=False)
            invoices += 1
            if invoice.total > 0 and invoice.pk % 3:
                part = invoice.total if invoice.pk % 2 else (invoice.total / 2).quantize(Decimal("0.01"))
                payment_record(customer=customer, amount=max(part, customer.minimum_payment),
                               currency=customer.currency, method=Payment.Method.BANK_TRANSFER,
                               description=f"Transfer for {invoice.number}",
                               allocations=[(invoice, min(part, invoice.outstanding))])
                payments += 1
            period = period_for("monthly", period.end.date())
    for customer in Customer.objects.filter(status="active").order_by("pk")[:10]:
        amount = max(Decimal("100.00"), customer.minimum_payment)
        payment_record(customer=customer, amount=amount, currency=customer.currency,
                       method=Payment.Method.CARD, description="Top-up")
        payments += 1
    stdout.write(f"Invoices: {invoices} invoices (PDFs render on first download), {payments} payments.")
