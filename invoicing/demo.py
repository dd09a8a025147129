"""Demo invoices and payments for `manage.py seed_demo`, from whatever summaries exist."""

import random
from decimal import Decimal

from django.db.models import Max, Min


def load_demo_invoices(stdout):
    from customers.models import Customer
    from summaries.models import HourlySummary
    from summaries.periods import MONTHLY, Period

    from .models import Invoice, Payment
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
    # A balance only ever moves by payments and CDR charges (check_balances recomputes it so), so
    # demo customers start at zero and get their opening credit as a payment; those given none go
    # negative with their calls.
    rng = random.Random(20261130)
    for customer in Customer.objects.order_by("pk"):
        opening = Decimal(rng.choice([0, 0, 25, 100, 250, 500, 1000, 2500]))
        if opening:
            payment_record(customer=customer, amount=max(opening, customer.minimum_payment), currency=customer.currency,
                           method=Payment.Method.MANUAL, description="Opening balance",
                           received_at=customer.created)
    spans = HourlySummary.objects.values("customer_id").annotate(first=Min("hour"), last=Max("hour"))
    invoices = payments = 0
    for span in spans.order_by("customer_id")[:30]:
        customer = Customer.objects.get(pk=span["customer_id"])
        period = Period.containing(MONTHLY, span["first"])
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
            period = period.next()
    for customer in Customer.objects.filter(status="active").order_by("pk")[:10]:
        amount = max(Decimal("100.00"), customer.minimum_payment)
        payment_record(customer=customer, amount=amount, currency=customer.currency,
                       method=Payment.Method.CARD, description="Top-up")
        payments += 1
    stdout.write(f"Invoices: {invoices} invoices (PDFs render on first download), {payments} payments.")
