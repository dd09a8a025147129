from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from invoicing.models import Invoice
from tests.factories import CallDetailRecordFactory, CustomerFactory, HourlySummaryFactory

from .conftest import pdf_text

pytestmark = pytest.mark.browser


def _usage_on(customer, day, destination, charge):
    HourlySummaryFactory(customer=customer, destination=destination, charge=Decimal(charge),
                         hour=datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


def _calls_on(customer, day, destination, charge):
    """Usage the way production gets it: a CDR, rolled up into the hourly and daily summaries."""
    from summaries.services import summary_rebuild_range

    start = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    CallDetailRecordFactory(customer=customer, destination=destination, charge=Decimal(charge),
                            start_time=start, answer_time=start, end_time=start + timedelta(seconds=60))
    summary_rebuild_range(date_from=day, date_to=day)


def test_select_two_daily_rows_generate_invoices_and_download_a_pdf(staff_page):
    customer = CustomerFactory(name="Browser Telecom")
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=3), today - timedelta(days=2)]
    for day, charge in zip(days, ("4.20", "6.80"), strict=True):
        _calls_on(customer, day, "Germany - Fixed", charge)
    page = staff_page
    page.goto(f"/customers/{customer.pk}/")
    page.locator('a[data-period="daily"]').click()
    page.wait_for_selector('#summary-selection input[name="periods"]')
    assert page.locator("#generate-invoice").is_disabled()  # nothing ticked yet
    for day in days:
        page.locator(f'#summary-selection input[name="periods"][value="daily:{day:%Y-%m-%d}"]').check()
    page.locator("#generate-invoice").click()
    page.wait_for_selector(".cx-messages >> text=Generated 2 invoices")
    invoices = list(Invoice.objects.filter(customer=customer).order_by("period_start"))
    assert [(i.status, i.total) for i in invoices] == [("issued", Decimal("4.20")), ("issued", Decimal("6.80"))]
    page.goto(f"/customers/{customer.pk}/tab/invoices/")
    with page.expect_download() as download_info:
        page.locator(f'a[href="/invoicing/{invoices[0].pk}/pdf/"]').click()
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert invoices[0].number in text and "Browser Telecom" in text and "4.20" in text


def test_draft_from_the_invoices_tab_issue_and_download(staff_page):
    customer = CustomerFactory(name="Draft Voice")
    _usage_on(customer, datetime(2026, 10, 5, tzinfo=UTC).date(), "France - Mobile", "12.34")
    page = staff_page
    page.goto(f"/customers/{customer.pk}/tab/invoices/")
    page.select_option('#invoices-tab select[name="kind"]', "monthly")
    page.fill('#invoices-tab input[name="day"]', "2026-10-14")
    page.locator("#invoices-tab button", has_text="Draft").click()
    page.wait_for_selector("text=Draft created for October 2026")
    row = page.locator("#invoice-lines tbody tr").first
    row.get_by_label("Amount").fill("20.00")
    row.get_by_label("Reason").fill("Credit for outage agreed")
    row.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Line changed.")
    assert "“Credit for outage agreed”" in page.locator("#invoice-events").inner_text()
    page.get_by_role("button", name="Issue").click()
    page.wait_for_selector("text=Invoice issued")
    invoice = Invoice.objects.get(customer=customer)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").first.click()
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert invoice.number in text and "France - Mobile" in text and "20.00" in text and "12.34" not in text
