"""Portal domains through /api/v1/portal-domains/ and the generic panel pages."""

import io

import pytest
from PIL import Image

from portaldomains.models import PortalDomain
from tests.factories import CustomerFactory, PortalDomainFactory

pytestmark = pytest.mark.django_db
ALL = ("portaldomains.view_portaldomain", "portaldomains.add_portaldomain", "portaldomains.change_portaldomain",
       "portaldomains.delete_portaldomain")


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (20, 8), "#336699").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    return buffer


def test_api_creates_a_domain_and_renaming_it_moves_its_customers(api_client):
    api = api_client(*ALL)
    created = api.post("/api/v1/portal-domains/", {
        "host": "portal.reseller.example", "display_name": "Reseller Voice", "primary_colour": "#102030",
        "accent_colour": "#405060", "features": ["balance", "cdrs"], "topup_methods": []}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["host"] == "portal.reseller.example" and body["features"] == ["balance", "cdrs"]
    assert body["has_logo"] is False and body["customers"] == 0
    customer = CustomerFactory(domain="portal.reseller.example")
    assert api.get(f"/api/v1/portal-domains/{body['id']}/").json()["customers"] == 1
    moved = api.patch(f"/api/v1/portal-domains/{body['id']}/", {"host": "voice.reseller.example"}, format="json")
    assert moved.status_code == 200
    customer.refresh_from_db()
    assert customer.domain == "voice.reseller.example"


def test_api_uploads_a_logo_as_multipart(api_client):
    domain = PortalDomainFactory()
    api = api_client(*ALL)
    response = api.patch(f"/api/v1/portal-domains/{domain.pk}/", {"logo": _png()}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["has_logo"] is True
    domain.refresh_from_db()
    assert domain.logo.name.startswith("portal_domains/")


def test_api_refuses_bad_values_by_field_and_a_domain_in_use(api_client):
    api = api_client(*ALL)
    bad = api.post("/api/v1/portal-domains/", {"host": "https://x", "display_name": "X", "primary_colour": "red",
                                               "features": ["nonsense"]}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"features"}
    bad = api.post("/api/v1/portal-domains/", {"host": "https://x", "display_name": "X", "primary_colour": "red"},
                   format="json")
    assert bad.status_code == 400 and {"host", "primary_colour"} <= set(bad.json())
    used = PortalDomainFactory(host="used.brand.example")
    CustomerFactory(domain=used.host)
    refused = api.delete(f"/api/v1/portal-domains/{used.pk}/")
    assert refused.status_code == 400 and "1 customer uses used.brand.example" in str(refused.json())
    assert PortalDomain.objects.filter(pk=used.pk).exists()
    assert api_client("portaldomains.view_portaldomain").delete(f"/api/v1/portal-domains/{used.pk}/").status_code == 403


def test_delete_page_says_why_a_domain_in_use_cannot_go(staff_client):
    used = PortalDomainFactory(host="busy.brand.example")
    CustomerFactory(domain=used.host)
    CustomerFactory(domain=used.host)
    edit = staff_client.get(f"/settings/portal-domains/{used.pk}/").content.decode()
    assert f"/settings/portal-domains/{used.pk}/delete/" in edit and 'enctype="multipart/form-data"' in edit
    page = staff_client.get(f"/settings/portal-domains/{used.pk}/delete/").content.decode()
    assert "It cannot be deleted: 2 customers use busy.brand.example; choose another domain for them first." in page
    assert staff_client.post(f"/settings/portal-domains/{used.pk}/delete/").status_code == 422
    assert PortalDomain.objects.filter(pk=used.pk).exists()


def test_panel_upload_of_a_logo_is_saved(staff_client):
    domain = PortalDomainFactory()
    response = staff_client.post(f"/settings/portal-domains/{domain.pk}/", {
        "host": domain.host, "display_name": domain.display_name, "primary_colour": "#000000",
        "accent_colour": "#ffffff", "features": ["balance"], "logo": _png()})
    assert response.status_code == 302, response.content.decode()[:2000]
    domain.refresh_from_db()
    assert domain.logo and domain.features == ["balance"]
