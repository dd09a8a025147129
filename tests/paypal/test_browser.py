"""A contact tops up through the local PayPal stand-in; the verified IPN credits the balance."""

from decimal import Decimal

import pytest

from invoicing.models import Payment
from paypal.models import PayPalIpn, PayPalOptions
from tests.factories import ContactFactory, CustomerFactory

from .standin import PayPalStandIn

pytestmark = pytest.mark.browser


def test_a_contact_tops_up_through_paypal_and_sees_the_payment(browser, live_server, transactional_db, settings):
    customer = CustomerFactory(name="Browser Topper", currency="USD", balance=Decimal("10.00"),
                               minimum_payment=Decimal("20.00"))
    contact = ContactFactory(customer=customer)
    contact.set_password("portal-pass-1234")
    contact.save()
    PayPalOptions.objects.update_or_create(pk=1, defaults={"enabled": True, "receiver_email": "pay@carrier.example"})
    with PayPalStandIn() as standin:
        settings.PAYPAL_URL = standin.url
        settings.PAYPAL_VERIFY_URL = standin.url
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
        page = context.new_page()
        try:
            page.goto("/portal/login/")
            page.fill("#id_email", contact.email)
            page.fill("#id_password", "portal-pass-1234")
            page.click("button[type=submit]")
            page.wait_for_url("**/portal/")
            page.click("text=Top up")
            page.fill("#id_amount", "15")
            page.click("#topup-pay")
            page.wait_for_selector("#topup-form .invalid-feedback")
            assert "The minimum top-up is 20.00 USD" in page.inner_text("#topup-form")

            page.fill("#id_amount", "42.50")
            page.click("#topup-pay")
            page.wait_for_selector("#pay-now")
            assert "Pay 42.50 USD to pay@carrier.example" in page.inner_text("#summary")
            page.click("#pay-now")
            page.wait_for_url("**/portal/billing/topup/")
            assert "credited as soon as PayPal confirms it" in page.inner_text("body")
            assert "Paid" in page.inner_text("#portal-topups")
            assert "52.50" in page.inner_text("#topup-form")
        finally:
            context.close()
    customer.refresh_from_db()
    assert customer.balance == Decimal("52.50")
    ipn = PayPalIpn.objects.get()
    assert ipn.outcome == PayPalIpn.Outcome.CREDITED and ipn.verification == "VERIFIED"
    assert Payment.objects.get(customer=customer).method == Payment.Method.PAYPAL
