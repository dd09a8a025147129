from decimal import Decimal

import pytest

from customers.models import Customer
from invoicing import services
from invoicing.models import Invoice, Payment
from summaries.periods import Period
from tests.api_cases import audit_actors, results
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

ALL = ("invoicing.view_payment", "invoicing.add_payment", "invoicing.change_payment", "invoicing.record_payment",
       "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*ALL, user=StaffFactory(perms=(), username="finance-bot"))


def issued_invoice(customer, amount="40"):
    period = Period.from_key("daily:2026-10-01")
    invoice = services.invoice_create(customer=customer, start=period.start, end=period.end)
    services.invoice_line_add(invoice=invoice, description="Calls", quantity=60, amount=amount, reason="test")
    return services.invoice_issue(invoice=invoice, render=False)


def test_record_a_payment_credits_the_balance_and_settles_an_invoice(api):
    customer = CustomerFactory(currency="USD", balance=Decimal("0"))
    invoice = issued_invoice(customer)
    response = api.post("/api/v1/payments/", {
        "customer": customer.pk, "amount": "100.00", "currency": "USD", "method": "bank_transfer",
        "description": "Wire 42", "allocations": [{"invoice": invoice.pk, "amount": str(invoice.total)}]},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credited"] is True and body["credited_amount"] == "100.00"
    customer.refresh_from_db(), invoice.refresh_from_db()
    assert customer.balance == Decimal("100") and invoice.status == Invoice.Status.PAID
    assert audit_actors(Payment.objects.get(pk=body["id"])) == ["finance-bot"]


def test_cancelling_a_payment_takes_the_credit_back_once(api):
    customer = CustomerFactory(currency="USD", balance=Decimal("0"))
    payment = services.payment_record(customer=customer, amount=Decimal("30"), currency="USD")
    for _ in range(2):
        response = api.patch(f"/api/v1/payments/{payment.pk}/", {"status": "cancelled"}, format="json")
        assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.balance == Decimal("0") and response.json()["status"] == "cancelled"
    assert audit_actors(payment)[1:] == ["finance-bot"]


def test_payments_are_never_deleted(api):
    payment = services.payment_record(customer=CustomerFactory(currency="USD"), amount=Decimal("5"), currency="USD")
    assert api.delete(f"/api/v1/payments/{payment.pk}/").status_code == 405
    assert Payment.objects.filter(pk=payment.pk).exists()


@pytest.mark.parametrize("body, field", [
    ({"amount": "0", "currency": "USD"}, "amount"),
    ({"amount": "-5", "currency": "USD"}, "amount"),
    ({"amount": "10", "currency": "GBP"}, "currency"),
    ({"amount": "10", "currency": "EUR"}, "exchange_rate"),
    ({"amount": "10", "currency": "USD", "status": "lost"}, "status"),
    ({"amount": "10", "currency": "USD", "allocations": [{"invoice": 999999, "amount": "1"}]}, "allocations"),
])
def test_invalid_payments_are_400_beside_the_field_and_move_nothing(api, body, field):
    customer = CustomerFactory(currency="USD", topup_currencies=["EUR"], balance=Decimal("0"))
    response = api.post("/api/v1/payments/", {"customer": customer.pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Payment.objects.exists()
    assert Customer.objects.get(pk=customer.pk).balance == Decimal("0")


def test_recording_needs_the_record_payment_permission_and_the_write_scope(api_client):
    customer = CustomerFactory(currency="USD")
    body = {"customer": customer.pk, "amount": "10", "currency": "USD"}
    no_record = api_client(*[p for p in ALL if p != "invoicing.record_payment"])
    assert no_record.post("/api/v1/payments/", body, format="json").status_code == 403
    reader = api_client(*ALL, scopes=["read"])
    assert reader.post("/api/v1/payments/", body, format="json").status_code == 403
    payment = services.payment_record(customer=customer, amount=Decimal("5"), currency="USD")
    assert no_record.patch(f"/api/v1/payments/{payment.pk}/", {"status": "cancelled"},
                           format="json").status_code == 403
    assert Payment.objects.get(pk=payment.pk).status == "completed" and Payment.objects.count() == 1


def test_an_account_manager_sees_and_records_only_for_their_customers(api_client):
    manager = StaffFactory(perms=())
    api = api_client(*ALL[:-1], user=manager)
    mine = CustomerFactory(currency="USD", account_manager=manager)
    other = CustomerFactory(currency="USD")
    own = services.payment_record(customer=mine, amount=Decimal("5"), currency="USD")
    theirs = services.payment_record(customer=other, amount=Decimal("5"), currency="USD")
    assert [r["id"] for r in results(api.get("/api/v1/payments/"))] == [own.pk]
    assert api.patch(f"/api/v1/payments/{theirs.pk}/", {"status": "cancelled"}, format="json").status_code == 404
    response = api.post("/api/v1/payments/", {"customer": other.pk, "amount": "1", "currency": "USD"}, format="json")
    assert response.status_code == 400 and "customer" in response.json()
    assert Payment.objects.count() == 2
