"""Branded portal domains: chosen by the request's host; contacts sign in only at their own."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from customers.models import PortalSection
from messaging.models import Message
from portal.models import PortalEvent
from portaldomains.models import PortalDomain
from portaldomains.services import domain_delete, domain_save
from tests.factories import ContactFactory, CustomerFactory, PortalDomainFactory

pytestmark = pytest.mark.django_db
PASSWORD = "portal-pass-1234"


@pytest.fixture(autouse=True)
def _hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", ".brand.example", ".other.example"]


@pytest.fixture
def brand_a():
    return PortalDomainFactory(host="portal.a.brand.example", display_name="Alpha Voice", primary_colour="#123456",
                               support_email="help@alpha.example", support_phone="+44 20 7946 0000")


@pytest.fixture
def brand_b():
    return PortalDomainFactory(host="portal.b.other.example", display_name="Beta Telecom")


def contact_of(domain=None, **kwargs):
    contact = ContactFactory(customer=CustomerFactory(domain=domain.host if domain else ""), **kwargs)
    contact.set_password(PASSWORD)
    contact.save()
    return contact


def sign_in(client, contact, host):
    return client.post("/portal/login/", {"email": contact.email, "password": PASSWORD}, HTTP_HOST=host)


def test_the_portal_shows_the_brand_of_the_host_it_is_opened_at(client, brand_a, brand_b):
    page = client.get("/portal/login/", HTTP_HOST=brand_a.host).content.decode()
    assert "Alpha Voice portal" in page and "#123456" in page and "help@alpha.example" in page
    assert "<title>Sign in · Alpha Voice</title>" in page
    assert "Beta Telecom" in client.get("/portal/login/", HTTP_HOST=brand_b.host).content.decode()
    main = client.get("/portal/login/").content.decode()
    assert "Alpha Voice" not in main and "Beta Telecom" not in main


def test_a_contact_signs_in_at_its_own_domain_and_at_the_main_address(client, brand_a):
    contact = contact_of(brand_a)
    assert sign_in(client, contact, brand_a.host).status_code == 302
    assert client.get("/portal/", HTTP_HOST=brand_a.host).status_code == 200
    other = type(client)()
    assert sign_in(other, contact, "testserver").status_code == 302


def test_a_contact_signing_in_at_another_customers_domain_is_refused(client, brand_a, brand_b):
    contact = contact_of(brand_b)
    response = sign_in(client, contact, brand_a.host)
    assert response.status_code == 200 and "Email or password is incorrect." in response.content.decode()
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.LOGIN_REFUSED_DOMAIN, contact=contact,
                                      detail__host=brand_a.host).exists()
    assert client.get("/portal/", HTTP_HOST=brand_a.host).status_code == 302  # not signed in
    # A contact of the main portal is a stranger at a branded domain too.
    assert sign_in(client, contact_of(None), brand_a.host).status_code == 200


def test_a_session_opened_at_one_domain_does_not_open_another_brands_portal(client, brand_a, brand_b):
    contact = contact_of(brand_a)
    sign_in(client, contact, brand_a.host)
    response = client.get("/portal/", HTTP_HOST=brand_b.host)
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")


def test_a_domain_offers_only_its_features(client, brand_a):
    brand_a.features = [PortalSection.BALANCE, PortalSection.PAYMENTS]
    brand_a.save()
    contact = contact_of(brand_a)
    sign_in(client, contact, brand_a.host)
    assert client.get("/portal/billing/invoices/", HTTP_HOST=brand_a.host).status_code == 404
    assert client.get("/portal/billing/payments/", HTTP_HOST=brand_a.host).status_code == 200


def test_the_customer_domain_must_be_one_of_the_portal_domains(brand_a):
    customer = CustomerFactory()
    customer.domain = "typo.example.com"
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert "not one of the portal domains" in str(error.value)
    customer.domain = brand_a.host
    customer.full_clean()


def test_the_customer_form_offers_the_domains_as_choices(staff_client, brand_a):
    customer = CustomerFactory()
    page = staff_client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert f'<option value="{brand_a.host}"' in page


def test_renaming_a_domain_moves_its_customers_and_a_used_domain_cannot_be_deleted(brand_a):
    customer = CustomerFactory(domain=brand_a.host)
    brand_a.host = "Portal.Renamed.brand.example"
    domain_save(domain=brand_a)
    customer.refresh_from_db()
    assert customer.domain == "portal.renamed.brand.example"
    with pytest.raises(ValidationError, match="1 customer uses"):
        domain_delete(domain=brand_a)
    customer.domain = ""
    customer.save()
    domain_delete(domain=brand_a)
    assert not PortalDomain.objects.exists()


def test_emails_to_a_customer_use_its_domains_name_and_links(client, brand_a, django_capture_on_commit_callbacks):
    contact = contact_of(brand_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/password-reset/", {"email": contact.email})
    assert Message.objects.get(contact=contact, kind="password_reset").subject == \
        "Reset your Alpha Voice portal password"
    sent = mail.outbox[-1]
    assert "https://portal.a.brand.example/portal/password-reset/" in sent.body
    assert "Support: help@alpha.example" in sent.body


def test_settings_pages_list_add_and_refuse_bad_input(staff_client, brand_a):
    assert brand_a.host in staff_client.get("/settings/portal-domains/").content.decode()
    bad = staff_client.post("/settings/portal-domains/add/", {"host": "https://x", "display_name": "X",
                                                              "primary_colour": "red", "accent_colour": "#000000"})
    assert bad.status_code == 422 and PortalDomain.objects.count() == 1
    assert "not a host name" in bad.content.decode() and "#RRGGBB" in bad.content.decode()
    good = staff_client.post("/settings/portal-domains/add/", {
        "host": "portal.new.brand.example", "display_name": "New", "primary_colour": "#000000",
        "accent_colour": "#ffffff", "features": ["balance"], "topup_methods": ["paypal"]})
    assert good.status_code == 302
    assert PortalDomain.objects.get(host="portal.new.brand.example").features == ["balance"]


def test_each_host_serves_its_own_brands_logo(client, brand_a, brand_b):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 10), "#123456").save(buffer, "PNG")
    brand_a.logo.save("alpha.png", ContentFile(buffer.getvalue()), save=True)
    page = client.get("/portal/login/", HTTP_HOST=brand_a.host).content.decode()
    assert "/portal/brand/logo/?v=" in page
    logo = client.get("/portal/brand/logo/", HTTP_HOST=brand_a.host)
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == buffer.getvalue()
    assert client.get("/portal/brand/logo/", HTTP_HOST=brand_b.host).status_code == 404  # Beta has none
