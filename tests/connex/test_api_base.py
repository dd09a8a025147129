"""The API base every endpoint shares: default deny, scopes, pagination, filters, schema access."""

from datetime import UTC, datetime

import pytest
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from connex.api import ReadOnlyServiceViewSet, ServiceAPIView
from customers.api import CustomerSerializer
from customers.models import Customer
from messaging.models import Message
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    MessageFactory,
    SipUserFactory,
    StaffFactory,
    grant,
)

pytestmark = pytest.mark.django_db

EVERYTHING = ("customers.view_customer", "customers.add_customer", "customers.change_customer",
              "customers.view_all_customers")


class Undeclared(ServiceAPIView):
    def get(self, request):
        return Response({"ok": True})


class WithUndeclaredAction(ReadOnlyServiceViewSet):
    queryset = Customer.objects.order_by("pk")
    serializer_class = CustomerSerializer

    @action(detail=False, methods=["post"])
    def poke(self, request):
        return Response({"ok": True})


def test_a_view_declaring_no_permission_is_refused_even_to_a_superuser():
    superuser = StaffFactory(is_superuser=True)
    request = APIRequestFactory().get("/x")
    force_authenticate(request, user=superuser)
    response = Undeclared.as_view()(request)
    assert response.status_code == 403
    assert "declares no permission" in str(response.data["detail"])


def test_a_custom_action_without_declared_permissions_is_refused():
    superuser = StaffFactory(is_superuser=True)
    request = APIRequestFactory().post("/x")
    force_authenticate(request, user=superuser)
    assert WithUndeclaredAction.as_view({"post": "poke"})(request).status_code == 403
    listing = APIRequestFactory().get("/x")
    force_authenticate(listing, user=superuser)
    assert WithUndeclaredAction.as_view({"get": "list"})(listing).status_code == 200


def test_model_permissions_follow_the_method(api_client):
    viewer = api_client("customers.view_customer", "customers.view_all_customers")
    assert viewer.get("/api/v1/customers/").status_code == 200
    response = viewer.post("/api/v1/customers/", {"name": "New", "currency": "USD"}, format="json")
    assert response.status_code == 403
    assert not Customer.objects.filter(name="New").exists()
    assert api_client().get("/api/v1/customers/").status_code == 403


def test_a_token_needs_the_scope_of_the_method(api_client):
    reader = api_client(*EVERYTHING, scopes=["read"])
    response = reader.post("/api/v1/customers/", {"name": "New", "currency": "USD"}, format="json")
    assert response.status_code == 403 and "“write” scope" in response.json()["detail"]
    writer = api_client(*EVERYTHING, scopes=["write"])
    assert writer.get("/api/v1/customers/").status_code == 403
    assert writer.post("/api/v1/customers/", {"name": "New", "currency": "USD"}, format="json").status_code == 201
    switch = api_client(*EVERYTHING, scopes=["switch"])
    assert switch.get("/api/v1/customers/").status_code == 403


def test_staff_signed_in_to_the_panel_use_their_model_permissions(client):
    client.force_login(grant(StaffFactory(perms=()), "customers.view_customer", "customers.view_all_customers"))
    CustomerFactory()
    assert client.get("/api/v1/customers/").status_code == 200
    assert client.post("/api/v1/customers/", {"name": "x", "currency": "USD"},
                       content_type="application/json").status_code == 403


def test_non_staff_sessions_and_anonymous_callers_are_refused(client):
    assert client.get("/api/v1/customers/").status_code in (401, 403)
    client.force_login(grant(StaffFactory(perms=(), is_staff=False), *EVERYTHING))
    assert client.get("/api/v1/customers/").status_code == 403


# Pagination -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/invoices/", "/api/v1/messages/", "/api/v1/customers/"])
def test_a_limit_above_the_maximum_is_a_400_naming_it(api_client, url):
    api = api_client("invoicing.view_invoice", "messaging.view_message", *EVERYTHING)
    InvoiceFactory(), MessageFactory()
    response = api.get(url, {"limit": "99999999999999999999"})
    assert response.status_code == 400
    assert response.json()["limit"] == ["Enter at most 1000."]
    assert api.get(url, {"limit": "1000"}).status_code == 200


@pytest.mark.parametrize("params, field", [({"offset": "99999999999999999999"}, "offset"),
                                           ({"offset": "-1"}, "offset"), ({"limit": "-5"}, "limit"),
                                           ({"limit": "ten"}, "limit")])
def test_bad_limit_or_offset_is_a_400_naming_it(api_client, params, field):
    api = api_client("invoicing.view_invoice", "customers.view_all_customers")
    response = api.get("/api/v1/invoices/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_limit_and_offset_page_through_a_list(api_client):
    api = api_client(*EVERYTHING)
    customers = [CustomerFactory() for _ in range(5)]
    page = api.get("/api/v1/customers/", {"limit": 2, "offset": 2}).json()
    assert page["count"] == 5
    assert [row["id"] for row in page["results"]] == [c.pk for c in customers[2:4]]


# Filters ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, param", [("/api/v1/invoices/", "period_after"), ("/api/v1/invoices/", "period_before"),
                                        ("/api/v1/invoices/", "updated_since"), ("/api/v1/messages/", "updated_since"),
                                        ("/api/v1/customers/", "updated_since")])
def test_an_offset_postgres_cannot_store_is_a_400_with_a_message(api_client, url, param):
    api = api_client("invoicing.view_invoice", "messaging.view_message", *EVERYTHING)
    InvoiceFactory()
    response = api.get(url, {param: "2026-01-01T00:00:00-19:00"})
    assert response.status_code == 400
    assert "offset" in response.json()[param][0]
    assert api.get(url, {param: "2026-01-01T00:00:00-15:00"}).status_code == 200


def test_every_list_takes_updated_since(api_client):
    api = api_client("messaging.view_message", "sipauth.view_sipuser", *EVERYTHING)
    old, new = MessageFactory(), MessageFactory()
    Message.objects.filter(pk=old.pk).update(updated=datetime(2026, 1, 1, tzinfo=UTC))
    rows = api.get("/api/v1/messages/", {"updated_since": "2026-06-01T00:00:00Z"}).json()["results"]
    assert [row["id"] for row in rows] == [new.pk]
    sip_user = SipUserFactory()
    assert api.get("/api/v1/sip-users/", {"updated_since": "2999-01-01T00:00:00+02:00"}).json()["count"] == 0
    assert api.get("/api/v1/sip-users/", {"updated_since": "2000-01-01"}).json()["results"][0]["id"] == sip_user.pk
    assert api.get("/api/v1/sip-users/", {"updated_since": "yesterday"}).status_code == 400


# Schema and docs --------------------------------------------------------------------------

def test_schema_and_docs_need_a_signed_in_staff_member(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code == 302
    client.force_login(StaffFactory(perms=(), is_staff=False))
    assert client.get("/api/schema/").status_code == 403
    client.force_login(StaffFactory(perms=()))
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_the_schema_lists_every_provisioning_resource(staff_client):
    schema = staff_client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/customers/", "/api/v1/contacts/", "/api/v1/contacts/{id}/set-password/",
                 "/api/v1/sip-users/", "/api/v1/ip-entries/", "/api/v1/customers/{customer_pk}/number-blocks/",
                 "/api/v1/payments/", "/api/v1/approved-clis/"):
        assert path in schema["paths"], path
    create = schema["paths"]["/api/v1/customers/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CustomerRequest")
    assert "apiToken" in schema["components"]["securitySchemes"]
