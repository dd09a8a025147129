from decimal import Decimal

import pytest

from customers.models import Customer
from invoicing import services as invoicing_services
from tests.api_cases import audit_actors, results
from tests.factories import CustomerFactory, StaffFactory, TagFactory

pytestmark = pytest.mark.django_db

ALL = ("customers.view_customer", "customers.add_customer", "customers.change_customer",
       "customers.delete_customer", "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*ALL)


def test_create_a_customer_with_model_field_names_and_tags(api):
    TagFactory(name="Wholesale")
    response = api.post("/api/v1/customers/", {
        "name": "  Acme VoIP ", "currency": "EUR", "status": "active", "channels": 40, "flow_speed": 12,
        "debit_limit": "250.00", "tags": ["wholesale", "New"], "timezone": "Europe/Berlin"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert (customer.name, customer.currency, customer.channels, customer.flow_speed, customer.debit_limit) == (
        "Acme VoIP", "EUR", 40, 12, Decimal("250.00"))
    assert sorted(t.name for t in customer.tags.all()) == ["New", "Wholesale"]
    assert body["tags"] == ["New", "Wholesale"] and body["balance"] == "0.000000"


def test_change_a_customer(api):
    customer = CustomerFactory(channels=5)
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"channels": 60, "status": "penalty"}, format="json")
    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert (customer.channels, customer.status) == (60, "penalty")


def test_the_currency_cannot_change_and_nothing_is_saved(api):
    customer = CustomerFactory(currency="USD", channels=5)
    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"currency": "EUR", "channels": 9}, format="json")
    assert response.status_code == 400
    assert "cannot change" in response.json()["currency"][0]
    customer.refresh_from_db()
    assert (customer.currency, customer.channels) == ("USD", 5)


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "currency": "XXX"}, "currency"),
    ({"name": "x", "currency": "USD", "topup_currencies": ["USD"]}, "topup_currencies"),
    ({"name": "x", "currency": "USD", "vars": "a = ["}, "vars"),
    ({"name": "x", "currency": "USD", "timezone": "Mars/Base"}, "timezone"),
    ({"name": "x", "currency": "USD", "channels": -1}, "channels"),
    ({"name": "x", "currency": "USD", "debit_limit": "1e30"}, "debit_limit"),
    ({"currency": "USD"}, "name"),
])
def test_invalid_fields_are_400_beside_the_field(api, body, field):
    response = api.post("/api/v1/customers/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Customer.objects.exists()


def test_a_duplicate_name_is_refused_case_insensitively(api):
    CustomerFactory(name="Acme")
    response = api.post("/api/v1/customers/", {"name": "ACME", "currency": "USD"}, format="json")
    assert response.status_code == 400 and "already exists" in response.json()["name"][0]


def test_delete_a_customer_without_financial_history(api):
    customer = CustomerFactory()
    assert api.delete(f"/api/v1/customers/{customer.pk}/").status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_a_customer_with_payments_cannot_be_deleted(api):
    customer = CustomerFactory(currency="USD")
    invoicing_services.payment_record(customer=customer, amount=Decimal("10"), currency="USD")
    response = api.delete(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code == 400 and response.json()["non_field_errors"]
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_without_the_permission_nothing_changes(api_client):
    customer = CustomerFactory(channels=5)
    viewer = api_client("customers.view_customer", "customers.view_all_customers")
    assert viewer.patch(f"/api/v1/customers/{customer.pk}/", {"channels": 1}, format="json").status_code == 403
    assert viewer.delete(f"/api/v1/customers/{customer.pk}/").status_code == 403
    customer.refresh_from_db()
    assert customer.channels == 5


def test_a_read_token_cannot_write(api_client):
    customer = CustomerFactory(channels=5)
    reader = api_client(*ALL, scopes=["read"])
    assert reader.patch(f"/api/v1/customers/{customer.pk}/", {"channels": 1}, format="json").status_code == 403
    customer.refresh_from_db()
    assert customer.channels == 5


def test_an_account_manager_sees_and_changes_only_their_customers(api_client):
    manager = StaffFactory(perms=(), username="am")
    api = api_client(*[p for p in ALL if p != "customers.view_all_customers"], user=manager)
    mine = CustomerFactory(name="Mine", account_manager=manager)
    other = CustomerFactory(name="Other", channels=5)
    assert [row["name"] for row in results(api.get("/api/v1/customers/"))] == ["Mine"]
    assert api.get(f"/api/v1/customers/{other.pk}/").status_code == 404
    assert api.patch(f"/api/v1/customers/{other.pk}/", {"channels": 1}, format="json").status_code == 404
    assert api.delete(f"/api/v1/customers/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.channels == 5 and Customer.objects.filter(pk=mine.pk).exists()


def test_the_audit_actor_is_the_token_s_user(api_client):
    api = api_client(*ALL, user=StaffFactory(perms=(), username="provisioner"))
    customer_id = api.post("/api/v1/customers/", {"name": "Audited", "currency": "USD"}, format="json").json()["id"]
    api.patch(f"/api/v1/customers/{customer_id}/", {"channels": 3}, format="json")
    assert audit_actors(Customer.objects.get(pk=customer_id)) == ["provisioner", "provisioner"]


def test_filters(api):
    CustomerFactory(name="Alpha", status="active", currency="USD")
    CustomerFactory(name="Beta", status="inactive", currency="EUR")
    assert [r["name"] for r in results(api.get("/api/v1/customers/", {"status": "inactive"}))] == ["Beta"]
    assert [r["name"] for r in results(api.get("/api/v1/customers/", {"name": "alp"}))] == ["Alpha"]
    assert api.get("/api/v1/customers/", {"status": "bogus"}).status_code == 400
