from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing import services
from invoicing.models import Invoice
from summaries.periods import Period
from tests.factories import ApiTokenFactory, ContactFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def make_invoice(customer, day, amount="10", issue=True):
    period = Period.from_key(f"daily:{day}")
    invoice = services.invoice_create(customer=customer, start=period.start, end=period.end)
    services.invoice_line_add(invoice=invoice, description="Calls", quantity=60, amount=amount, reason="test")
    return services.invoice_issue(invoice=invoice, render=False) if issue else invoice


@pytest.fixture
def api(api_client):
    return api_client("invoicing.view_invoice", "customers.view_all_customers", scopes=["read"])


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_api_requires_a_staff_token(client):
    assert client.get("/api/v1/invoices/").status_code == 401
    token = ApiTokenFactory(user=StaffFactory(username="not-staff"))
    type(token.user).objects.filter(pk=token.user_id).update(is_staff=False)
    assert client.get("/api/v1/invoices/", HTTP_AUTHORIZATION=f"Bearer {token.key}").status_code == 403
    assert client.get("/api/v1/invoices/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_api_detail_has_lines_and_money_as_strings(api):
    invoice = make_invoice(CustomerFactory(tax_percent=Decimal("10"), external_accounting_id="ACC-9"), "2026-11-01")
    data = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert data["number"] == invoice.number and data["total"] == "11.00" and data["tax_amount"] == "1.00"
    assert data["lines"] == [{"position": 1, "description": "Calls", "quantity": "60.00",
                              "unit_price": "0.166667", "amount": "10.00"}]
    assert data["external_accounting_id"] == "ACC-9"


def test_api_filters(api):
    a = CustomerFactory(external_accounting_id="ACC-A")
    b = CustomerFactory()
    a1 = make_invoice(a, "2026-11-01")
    a2 = make_invoice(a, "2026-11-05", issue=False)
    b1 = make_invoice(b, "2026-11-03")
    Invoice.objects.filter(pk=b1.pk).update(issue_date="2026-10-01", updated=timezone.now() - timedelta(days=3))
    assert ids(api.get("/api/v1/invoices/", {"customer": a.pk})) == sorted([a1.pk, a2.pk])
    assert ids(api.get("/api/v1/invoices/", {"status": "draft"})) == [a2.pk]
    assert ids(api.get("/api/v1/invoices/", {"external_accounting_id": "ACC-A", "status": "issued"})) == [a1.pk]
    assert ids(api.get("/api/v1/invoices/", {"issued_after": "2026-10-15"})) == [a1.pk]
    assert ids(api.get("/api/v1/invoices/", {"period_after": "2026-11-02T00:00:00Z",
                                             "period_before": "2026-11-04T00:00:00Z"})) == [b1.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(api.get("/api/v1/invoices/", {"updated_since": since})) == sorted([a1.pk, a2.pk])
    assert api.get("/api/v1/invoices/", {"status": "nonsense"}).status_code == 400


def test_api_is_in_the_openapi_schema(staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    assert "/api/v1/invoices/" in schema and "updated_since" in schema


def test_portal_lists_only_own_issued_invoices_and_downloads_own_pdf(client, portal_login):
    mine = CustomerFactory(name="Mine Ltd")
    other = CustomerFactory(name="Other Ltd")
    issued = make_invoice(mine, "2026-11-01")
    draft = make_invoice(mine, "2026-11-02", issue=False)
    foreign = make_invoice(other, "2026-11-01")
    portal_login(client, ContactFactory(customer=mine))
    page = client.get("/portal/billing/invoices/").content.decode()
    assert issued.number in page and foreign.number not in page and f"/{draft.pk}/pdf/" not in page
    assert client.get(f"/portal/billing/invoices/{issued.pk}/pdf/").status_code == 200
    assert client.get(f"/portal/billing/invoices/{foreign.pk}/pdf/").status_code == 404
    assert client.get(f"/portal/billing/invoices/{draft.pk}/pdf/").status_code == 404
    assert client.get(f"/invoicing/{issued.pk}/pdf/").status_code == 302  # panel URL is staff only


def test_portal_sections_follow_portal_access(client, portal_login):
    customer = CustomerFactory(portal_access=["balance", "payments"])
    services.payment_record(customer=customer, amount="12.00", currency="USD", description="Wire 42")
    invoice = make_invoice(customer, "2026-11-01")
    portal_login(client, ContactFactory(customer=customer))
    assert client.get("/portal/billing/invoices/").status_code == 404
    assert client.get(f"/portal/billing/invoices/{invoice.pk}/pdf/").status_code == 404
    payments = client.get("/portal/billing/payments/")
    assert payments.status_code == 200 and "Wire 42" in payments.content.decode()
    nav = client.get("/portal/").content.decode()
    assert "/portal/billing/payments/" in nav and "/portal/billing/invoices/" not in nav


def test_portal_requires_sign_in(client):
    response = client.get("/portal/billing/invoices/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]
