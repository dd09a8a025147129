"""Real 404 and 500 pages in the panel's and the portal's look, and a favicon on every page."""

import pytest
from django.test import Client
from django.urls import path

from connex import urls as connex_urls
from connex.permissions import public_view
from tests.factories import ContactFactory, StaffFactory


def test_panel_404_is_a_page_in_the_panel_layout(staff_client):
    response = staff_client.get("/customers/987654/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'id="error-page"' in page and "Page not found" in page
    assert "cx-navbar" in page and "Go to Customers" in page


def test_portal_404_is_a_page_in_the_portal_layout(client, portal_login, db):
    portal_login(client, ContactFactory(name="Pat Portal"))
    response = client.get("/portal/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "cx-portal-navbar" in page and "Back to your dashboard" in page


@public_view
def _boom(request):
    raise RuntimeError("the database went away")


urlpatterns = [path("boom/", _boom), path("portal/boom/", _boom), *connex_urls.urlpatterns]
handler404 = connex_urls.handler404
handler500 = connex_urls.handler500


@pytest.mark.urls("tests.connex.test_error_pages")
@pytest.mark.parametrize(("url", "home"), [("/boom/", "Back to Customers"), ("/portal/boom/", "Back to your dashboard")])
def test_500_page_explains_and_gives_a_reference(db, url, home):
    client = Client(raise_request_exception=False)
    client.force_login(StaffFactory())
    response = client.get(url, HTTP_X_REQUEST_ID="req-abc123")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and home in page
    assert "Reference req-abc123" in page and "the database went away" not in page


def test_every_page_links_the_favicon_and_it_is_served(staff_client):
    page = staff_client.get("/customers/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert Client().get("/favicon.ico").headers["Location"] == "/static/favicon.svg"
