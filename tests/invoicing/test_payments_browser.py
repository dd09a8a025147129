"""The card's Payments form in the browser: errors beside the fields, the header kept current."""

from decimal import Decimal

import pytest

from invoicing.models import Payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def test_payment_errors_show_beside_the_field_and_a_success_refreshes_the_header_balance(staff_page):
    customer = CustomerFactory(name="Pay Co", currency="USD", balance=Decimal("100.00"),
                               minimum_payment=Decimal("20.00"), topup_currencies=["EUR"])
    page = staff_page
    page.goto(f"/customers/{customer.pk}/tab/payments/")
    assert page.inner_text("#header-balance") == "100.00 USD"

    page.fill("#payment-add input[name=amount]", "5")
    page.click("#payment-add button[type=submit]")
    page.wait_for_selector("#payment-add .invalid-feedback")
    assert "minimum payment of 20.00 USD" in page.inner_text("#payment-add")

    page.fill("#payment-add input[name=amount]", "50")
    page.select_option("#payment-add select[name=currency]", "EUR")
    page.click("#payment-add button[type=submit]")
    page.wait_for_selector("#payment-add .invalid-feedback:has-text('Give the exchange rate')")
    assert page.locator("#payment-add input[name=exchange_rate] ~ .invalid-feedback").count() == 1
    assert not Payment.objects.exists()

    page.select_option("#payment-add select[name=currency]", "USD")
    page.fill("#payment-add input[name=amount]", "1250")
    page.click("#payment-add button[type=submit]")
    page.wait_for_selector("#header-balance:text-is('1,350.00 USD')")
    assert "Payment of 1,250.00 USD recorded" in page.inner_text("#messages")
    assert page.url.endswith("/tab/payments/")  # no reload was needed
