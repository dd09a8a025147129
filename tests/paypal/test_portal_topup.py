"""The portal's top-up form: amount and currency checked, then the contact is sent to PayPal."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from customers.models import PortalSection
from paypal.models import PayPalOptions, PayPalTopup
from tests.factories import ContactFactory, CustomerFactory, PortalDomainFactory

from .conftest import COMPANY_PAYPAL

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    customer = CustomerFactory(name="Topper", currency="USD", minimum_payment=Decimal("20.00"),
                               topup_currencies=["EUR", "GBP"])
    return ContactFactory(customer=customer)


def test_the_form_sends_the_contact_to_paypal_with_the_top_up_reference(client, portal_login, paypal, contact):
    portal_login(client, contact)
    page = client.get("/portal/billing/topup/")
    assert page.status_code == 200
    # EUR has a rate in Settings → PayPal; GBP has none, so it is not offered.
    assert '<option value="EUR"' in page.content.decode() and '<option value="GBP"' not in page.content.decode()
    assert "form-action 'self' http://127.0.0.1:" in page["Content-Security-Policy"]
    response = client.post("/portal/billing/topup/", {"amount": "25.00", "currency": "USD"})
    assert response.status_code == 302 and response["Location"].startswith(paypal.url)
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    topup = PayPalTopup.objects.get()
    assert (topup.customer, topup.contact, topup.amount) == (contact.customer, contact, Decimal("25.00"))
    assert query["business"] == COMPANY_PAYPAL and query["custom"] == topup.reference
    assert query["amount"] == "25.00" and query["currency_code"] == "USD"
    assert query["notify_url"] == "http://testserver/paypal/ipn/"


def test_a_top_up_below_the_minimum_is_refused_beside_the_amount(client, portal_login, paypal, contact):
    portal_login(client, contact)
    response = client.post("/portal/billing/topup/", {"amount": "15.00", "currency": "USD"})
    assert response.status_code == 422
    assert "The minimum top-up is 20.00 USD" in response.content.decode()
    # 18 EUR credits 19.80 USD: still below the minimum.
    response = client.post("/portal/billing/topup/", {"amount": "18.00", "currency": "EUR"})
    assert response.status_code == 422 and "this credits 19.80" in response.content.decode()
    response = client.post("/portal/billing/topup/", {"amount": "30.00", "currency": "JPY"})
    assert response.status_code == 422
    assert not PayPalTopup.objects.exists()


def test_top_ups_are_hidden_when_paypal_is_off_or_payments_are_not_shown(client, portal_login, paypal, contact):
    portal_login(client, contact)
    assert "Top up" in client.get("/portal/").content.decode()
    PayPalOptions.objects.update(enabled=False)
    assert client.get("/portal/billing/topup/").status_code == 404
    assert "Top up" not in client.get("/portal/").content.decode()
    PayPalOptions.objects.update(enabled=True)
    contact.customer.portal_access = [PortalSection.BALANCE]
    contact.customer.save()
    assert client.get("/portal/billing/topup/").status_code == 404


def test_a_domain_without_paypal_offers_no_top_up(client, portal_login, paypal, contact, settings):
    settings.ALLOWED_HOSTS = ["testserver", ".brand.example"]
    domain = PortalDomainFactory(host="portal.x.brand.example", topup_methods=[])
    contact.customer.domain = domain.host
    contact.customer.save()
    contact.set_password("portal-pass-1234")
    contact.save()
    client.post("/portal/login/", {"email": contact.email, "password": "portal-pass-1234"}, HTTP_HOST=domain.host)
    assert client.get("/portal/billing/topup/", HTTP_HOST=domain.host).status_code == 404


def test_staff_see_every_ipn_and_set_paypal_options(staff_client, paypal):
    from tests.factories import PayPalIpnFactory

    ipn = PayPalIpnFactory(txn_id="LISTED1", reason="Held for a test")
    page = staff_client.get("/paypal/ipns/").content.decode()
    assert "LISTED1" in page and "Held for a test" in page and ipn.customer.name in page
    bad = staff_client.post("/settings/paypal/", {"enabled": "on", "receiver_email": "",
                                                  "exchange_rates": "EUR USD one"})
    assert bad.status_code == 422
    assert "PayPal email to offer PayPal top-ups" in bad.content.decode() and "FROM TO RATE" in bad.content.decode()
