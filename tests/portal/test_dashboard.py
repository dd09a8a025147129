"""The portal dashboard: money, usage, live calls, invoices and the next thing to do."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import ContactFactory, CustomerFactory, DailySummaryFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_dashboard_shows_balance_credit_spend_live_calls_invoices_and_next_steps(client, portal_login):
    customer = CustomerFactory(name="Dash Co", currency="EUR", balance=Decimal("-120.00"),
                               debit_limit=Decimal("100.00"), channels=30, channels_in_use=7,
                               mobile_verification_required=True, approved_clis_only=True)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    DailySummaryFactory(customer=customer, day=today, charge=Decimal("12.50"), duration=600)
    DailySummaryFactory(customer=customer, day=today - timedelta(days=40), charge=Decimal("99"), duration=60)
    invoice = InvoiceFactory(customer=customer, number="INV-77", status="issued", total=Decimal("1234.5"),
                             currency="EUR", due_date=today.date() - timedelta(days=3))
    portal_login(client, ContactFactory(customer=customer, mobile="+447911123456"))
    response = client.get("/portal/")
    page = response.content.decode()
    assert "-120.00 EUR" in page and "-20.00 EUR" in page  # balance, credit left
    usage = response.context["usage"]
    assert usage["today_spend"] == Decimal("12.50") and usage["today_minutes"] == 10
    assert len(usage["chart"]["minutes"]) == 30 and usage["chart"]["minutes"][-1] == 10
    assert 'id="portal-live-calls">7<' in page
    assert "INV-77" in page and "1,234.50 EUR" in page and invoice.get_status_display() in page
    steps = [step["key"] for step in response.context["next_steps"]]
    assert steps == ["verify", "pay", "cli"]
    assert "chart.umd.min.js" in page and 'id="usage-chart"' in page


def test_dashboard_says_nothing_to_do_for_a_verified_account_in_credit(client, portal_login):
    customer = CustomerFactory(balance=Decimal("50"), debit_limit=Decimal("0"))
    portal_login(client, ContactFactory(customer=customer))
    page = client.get("/portal/").content.decode()
    assert "Nothing to do" in page and 'data-step="none"' in page


def test_portal_shows_the_company_name_and_logo_from_settings(client, portal_login, staff_client):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 10), "#14213d").save(buffer, "PNG")
    png = buffer.getvalue()
    response = staff_client.post("/settings/company/", {
        "company_name": "Skyline Carrier", "company_email": "", "company_address": "",
        "company_logo": SimpleUploadedFile("logo.png", png, content_type="image/png")})
    assert response.status_code == 302, response.context["form"].errors
    portal_login(client, ContactFactory())
    brand = client.get("/portal/").content.decode()
    assert "Skyline Carrier" in brand and "/portal/brand/logo/?v=" in brand
    logo = type(client)().get("/portal/brand/logo/")  # shown on the sign-in page too
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == png
