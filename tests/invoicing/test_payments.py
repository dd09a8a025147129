from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from customers.services import customer_delete, customer_delete_refusals
from invoicing import services
from invoicing.models import Invoice, Payment
from summaries.periods import Period
from tests.factories import CustomerFactory

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def balance(customer):
    return Customer.objects.get(pk=customer.pk).balance


def issued(customer, day, charge):
    from tests.factories import HourlySummaryFactory

    period = Period.from_key(f"daily:{day}")
    HourlySummaryFactory(customer=customer, hour=period.start, charge=Decimal(charge))
    return services.invoice_issue(invoice=services.invoice_create(customer=customer, start=period.start,
                                                                  end=period.end), render=False)


def test_completed_payment_credits_balance_once_and_each_transition_adjusts_once():
    customer = CustomerFactory(balance=Decimal("0"))
    payment = services.payment_record(customer=customer, amount="50.00", currency="USD", status="pending")
    assert balance(customer) == 0
    services.payment_set_status(payment=payment, status="completed")
    services.payment_set_status(payment=payment, status="completed")  # no transition: no second credit
    assert balance(customer) == Decimal("50")
    services.payment_set_status(payment=payment, status="cancelled")
    assert balance(customer) == 0
    services.payment_set_status(payment=payment, status="pending")
    assert balance(customer) == 0
    services.payment_set_status(payment=payment, status="completed")
    assert balance(customer) == Decimal("50")
    services.payment_record(customer=customer, amount="25.50", currency="USD")
    assert balance(customer) == Decimal("75.50")


def test_minimum_payment_refused_and_nothing_saved():
    customer = CustomerFactory(balance=Decimal("0"), minimum_payment=Decimal("20.00"))
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="19.99", currency="USD")
    assert "minimum payment of 20.00 USD" in error.value.message_dict["amount"][0]
    assert not Payment.objects.exists() and balance(customer) == 0
    services.payment_record(customer=customer, amount="20.00", currency="USD")
    assert balance(customer) == Decimal("20")


def test_currency_must_be_account_or_allowed_topup_currency():
    customer = CustomerFactory(currency="USD", balance=Decimal("0"), topup_currencies=["EUR"])
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="10", currency="GBP")
    assert "USD, EUR only" in error.value.message_dict["currency"][0]
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="10", currency="EUR")
    assert "exchange_rate" in error.value.message_dict
    assert not Payment.objects.exists()


def test_foreign_currency_payment_records_rate_and_credited_amount():
    customer = CustomerFactory(currency="USD", balance=Decimal("0"), topup_currencies=["EUR"],
                               minimum_payment=Decimal("100"))
    with pytest.raises(ValidationError):  # 90 EUR × 1.1 = 99.00 USD: below the minimum in account currency
        services.payment_record(customer=customer, amount="90", currency="EUR", exchange_rate="1.1")
    payment = services.payment_record(customer=customer, amount="100.00", currency="EUR", exchange_rate="1.08375")
    assert (payment.exchange_rate, payment.credited_amount) == (Decimal("1.08375"), Decimal("108.38"))
    assert balance(customer) == Decimal("108.38")


def test_allocations_mark_invoices_partly_paid_then_paid_and_follow_payment_status():
    customer = CustomerFactory(tax_percent=Decimal("0"))
    invoice = issued(customer, "2026-11-01", "100")
    first = services.payment_record(customer=customer, amount="40", currency="USD", allocations=[(invoice, "40")])
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (Invoice.Status.PARTLY_PAID, Decimal("40.00"))
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="80", currency="USD", allocations=[(invoice, "80")])
    assert "between 0.01 and 60.00" in error.value.messages[0]
    services.payment_record(customer=customer, amount="60", currency="USD", allocations=[(invoice, "60")])
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    services.payment_set_status(payment=first, status="cancelled")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (Invoice.Status.PARTLY_PAID, Decimal("60.00"))
    assert list(invoice.events.values_list("type", flat=True)) == ["created", "issued", "partly_paid", "paid",
                                                                  "partly_paid"]
    with pytest.raises(ValidationError):
        services.invoice_void(invoice=invoice, reason="try")


def test_allocations_cannot_exceed_the_payment_or_reach_other_customers():
    customer = CustomerFactory(tax_percent=Decimal("0"))
    mine = issued(customer, "2026-11-01", "100")
    theirs = issued(CustomerFactory(), "2026-11-01", "100")
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="10", currency="USD", allocations=[(mine, "20")])
    assert "exceed the payment" in " ".join(error.value.messages)
    with pytest.raises(ValidationError) as error:
        services.payment_record(customer=customer, amount="10", currency="USD", allocations=[(theirs, "5")])
    assert "another customer" in " ".join(error.value.messages)
    assert not Payment.objects.exists()


def test_create_invoice_on_payment_makes_a_paid_receipt(django_capture_on_commit_callbacks):
    customer = CustomerFactory(create_invoice_on_payment=True, tax_percent=Decimal("20"), name="Hooli Talk")
    payment = services.payment_record(customer=customer, amount="250.00", currency="USD", method="card",
                                      description="Card top-up", status="pending")
    assert payment.receipt is None
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.payment_set_status(payment=payment, status="completed")
    payment.refresh_from_db()
    receipt = payment.receipt
    assert receipt.kind == Invoice.Kind.RECEIPT and receipt.status == Invoice.Status.PAID
    assert (receipt.total, receipt.amount_paid, receipt.tax_amount) == (Decimal("250.00"),) * 2 + (Decimal("0"),)
    assert receipt.number
    receipt.refresh_from_db()
    text = pdf_text(receipt.pdf.read())
    assert "Receipt" in text and receipt.number in text and "Hooli Talk" in text and "250.00" in text
    services.payment_set_status(payment=payment, status="cancelled")
    services.payment_set_status(payment=payment, status="completed")
    assert Invoice.objects.filter(kind="receipt", customer=customer).count() == 1


def test_customers_with_invoices_or_payments_cannot_be_deleted():
    with_invoice = CustomerFactory()
    issued(with_invoice, "2026-11-01", "1")
    with_payment = CustomerFactory()
    services.payment_record(customer=with_payment, amount="5", currency="USD")
    clean = CustomerFactory()
    refusals = customer_delete_refusals([with_invoice.pk, with_payment.pk, clean.pk])
    assert refusals == {with_invoice.pk: "has invoices",
                        with_payment.pk: "has balance history (ledger entries); has payments"}
    with pytest.raises(ValidationError):
        customer_delete(customer_ids=[with_invoice.pk, clean.pk])
    assert Customer.objects.filter(pk=clean.pk).exists()


def test_demo_loader_creates_invoices_and_payments_from_summaries(usage):
    from invoicing.demo import load_demo_invoices

    customer = CustomerFactory(status="active")
    usage(customer, date(2026, 9, 3), charge="12")
    usage(customer, date(2026, 10, 3), charge="8")
    usage(customer, date(2026, 11, 3), charge="8")
    load_demo_invoices(type("Out", (), {"write": lambda self, text: None})())
    assert Invoice.objects.filter(customer=customer).count() == 2  # September and October (November open)
    assert Payment.objects.filter(customer=customer).exists()
