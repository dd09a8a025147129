"""One money format and one period format wherever staff or customers read them."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connex.templatetags.connex_format import format_money, format_period
from invoicing.models import Invoice
from tests.factories import CustomerFactory, InvoiceFactory


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (Decimal("4905.48"), "GBP", "4,905.48 GBP"),
    (Decimal("-1234567.005"), "USD", "-1,234,567.01 USD"),
    (Decimal("-0.001"), "EUR", "0.00 EUR"),
    (Decimal("12"), "", "12.00"),
    (None, "GBP", "—"),
])
def test_money_is_grouped_with_two_places_and_the_currency_after(value, currency, expected):
    assert format_money(value, currency) == expected


def test_half_open_period_is_written_with_its_last_day():
    assert format_period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)) \
        == "2026-11-01 – 2026-11-30"
    assert format_period(date(2026, 11, 2), date(2026, 11, 3)) == "2026-11-02"


def test_receipt_shows_its_payment_day_not_a_zero_length_period(db):
    moment = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    receipt = InvoiceFactory(kind=Invoice.Kind.RECEIPT, period_start=moment, period_end=moment)
    assert receipt.period_display == "2026-11-20"


def test_board_and_card_write_the_balance_the_same_way(staff_client):
    customer = CustomerFactory(name="Format Co", currency="GBP", balance=Decimal("4905.48"),
                               debit_limit=Decimal("1500"))
    board = staff_client.get("/customers/").content.decode()
    card = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "4,905.48 GBP" in board
    assert "4,905.48 GBP" in card and "4905.48" not in card
    assert "1,500.00 GBP" in card


def test_invoice_periods_read_the_same_on_the_card_the_list_and_the_invoice(staff_client):
    invoice = InvoiceFactory(period_start=datetime(2026, 10, 1, tzinfo=UTC),
                             period_end=datetime(2026, 11, 1, tzinfo=UTC))
    pages = [staff_client.get(url).content.decode() for url in (
        f"/customers/{invoice.customer_id}/tab/invoices/", "/invoicing/", f"/invoicing/{invoice.pk}/")]
    for page in pages:
        assert "2026-10-01 – 2026-10-31" in page
        assert "excl." not in page and "2026-11-01" not in page
