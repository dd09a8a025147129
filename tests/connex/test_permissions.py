"""Default deny: a panel view that declares no permission is refused to everyone."""

import pytest
from django.http import HttpResponse
from django.urls import clear_url_caches, include, path
from django.views import View

from connex.permissions import PermissionRequiredMixin, permission_required, portal_view
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


class UndeclaredView(View):
    def get(self, request):
        return HttpResponse("secret")


class UndeclaredMixinView(PermissionRequiredMixin, View):
    def get(self, request):
        return HttpResponse("secret")


class VoidView(PermissionRequiredMixin, View):
    permission_required = "invoicing.void_invoice"

    def get(self, request):
        return HttpResponse("voided")


def undeclared_function(request):
    return HttpResponse("secret")


@permission_required("customers.view_customer")
def board_function(request):
    return HttpResponse("board")


@portal_view
def portal_function(request):
    return HttpResponse("portal")


urlpatterns = [
    path("x/undeclared/", UndeclaredView.as_view()),
    path("x/undeclared-mixin/", UndeclaredMixinView.as_view()),
    path("x/undeclared-function/", undeclared_function),
    path("x/void/", VoidView.as_view()),
    path("x/board/", board_function),
    path("x/portal/", portal_function),
    path("", include("connex.urls")),
]


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    yield
    clear_url_caches()


@pytest.mark.parametrize("url", ["/x/undeclared/", "/x/undeclared-mixin/", "/x/undeclared-function/"])
def test_view_without_declaration_is_refused_even_to_an_administrator(client, test_urls, url):
    client.force_login(StaffFactory(username="root", is_superuser=True))
    response = client.get(url)
    assert response.status_code == 403 and b"secret" not in response.content


def test_anonymous_visitor_is_sent_to_sign_in(client, test_urls):
    response = client.get("/x/void/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/x/void/")


def test_declared_permission_is_needed(client, test_urls):
    client.force_login(StaffFactory(username="reader", groups=["Read-only"]))
    assert client.get("/x/void/").status_code == 403
    assert client.get("/x/board/").content == b"board"
    client.force_login(StaffFactory(username="finance", groups=["Finance"]))
    assert client.get("/x/void/").content == b"voided"


def test_non_staff_user_with_the_permission_is_still_sent_to_sign_in(client, test_urls):
    client.force_login(StaffFactory(username="ex", is_staff=False, groups=["Administrator"]))
    assert client.get("/x/board/").status_code == 302


def test_portal_views_leave_the_check_to_the_portal(client, test_urls):
    assert client.get("/x/portal/").content == b"portal"
