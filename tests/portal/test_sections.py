"""Portal sections hidden by the customer's Portal Access are absent from the menu and answer 404."""

import pytest
from django.http import HttpResponse
from django.urls import clear_url_caches, include, path

from connex.registry import PortalNavItem, registry
from customers.models import PortalSection
from portal.access import portal_section_required
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@portal_section_required(PortalSection.INVOICES)
def invoices_view(request):
    return HttpResponse(f"invoices of {request.portal_contact.customer.name}")


urlpatterns = [
    path("portal/sample-invoices/", invoices_view, name="sample_invoices"),
    path("", include("connex.urls")),
]


@pytest.fixture
def invoices_section(settings, monkeypatch):
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    monkeypatch.setattr(registry, "portal_nav",
                        [*registry.portal_nav, PortalNavItem(PortalSection.INVOICES, "Invoices", "sample_invoices")])
    yield
    clear_url_caches()


def test_shown_section_is_in_menu_and_reachable(client, portal_login, invoices_section):
    portal_login(client, ContactFactory(customer=CustomerFactory(name="Shown Co")))
    assert 'href="/portal/sample-invoices/">Invoices<' in client.get("/portal/").content.decode()
    assert client.get("/portal/sample-invoices/").content == b"invoices of Shown Co"


def test_hidden_section_is_absent_and_404(client, portal_login, invoices_section):
    customer = CustomerFactory(portal_access=[PortalSection.BALANCE, PortalSection.CDRS])
    portal_login(client, ContactFactory(customer=customer))
    html = client.get("/portal/").content.decode()
    assert "/portal/sample-invoices/" not in html and ">Invoices<" not in html
    assert client.get("/portal/sample-invoices/").status_code == 404


def test_section_needs_a_signed_in_contact(client, invoices_section):
    response = client.get("/portal/sample-invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/")


def test_dashboard_shows_status_balance_limit_and_public_notes(client, portal_login):
    customer = CustomerFactory(name="Figures Co", balance="-12.50", debit_limit="250.00", currency="EUR")
    portal_login(client, ContactFactory(customer=customer, public_notes="Support line: +44 20 7183 8750",
                                        private_notes="Difficult payer"))
    html = client.get("/portal/").content.decode()
    assert "Active" in html and "-12.50 EUR" in html and "250.00 EUR" in html
    assert "Support line: +44 20 7183 8750" in html and "Difficult payer" not in html


def test_dashboard_hides_balance_when_portal_access_hides_it(client, portal_login):
    customer = CustomerFactory(balance="77.00", portal_access=[PortalSection.CDRS])
    portal_login(client, ContactFactory(customer=customer))
    html = client.get("/portal/").content.decode()
    assert "77.00" not in html and 'id="portal-balance"' not in html
