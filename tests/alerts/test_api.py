"""/api/v1/alerts/: CRUD through the same service as the card, validation, permissions, audit actor."""

from decimal import Decimal

import pytest

from alerts.models import Alert, AlertEvent
from messaging.models import Message
from tests.api_cases import audit_actors, results
from tests.factories import AlertFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

PERMS = ("alerts.view_alert", "alerts.add_alert", "alerts.change_alert", "alerts.delete_alert",
         "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*PERMS, user=StaffFactory(perms=(), username="provisioner"))


def test_create_change_and_delete_an_alert(api):
    customer = CustomerFactory(country="US")
    response = api.post("/api/v1/alerts/", {
        "customer": customer.pk, "title": "ASR low", "area": "asr", "operator": "lt", "threshold": "30",
        "reset_threshold": "40", "sample_hours": 3, "recipients": ["noc@acme.test", "(415) 555-0100"],
        "penalty": True}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == ["noc@acme.test", "+14155550100"] and body["state"] == "armed"
    alert = Alert.objects.get(pk=body["id"])
    assert (alert.sample_hours, alert.penalty) == (3, True)

    response = api.patch(f"/api/v1/alerts/{alert.pk}/", {"threshold": "25", "customer": CustomerFactory().pk},
                         format="json")
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.threshold == Decimal("25") and alert.customer == customer  # the customer is fixed

    assert [a["title"] for a in results(api.get(f"/api/v1/alerts/?customer={customer.pk}&area=asr"))] == ["ASR low"]
    assert api.delete(f"/api/v1/alerts/{alert.pk}/").status_code == 204
    assert not Alert.objects.exists()
    assert audit_actors(alert) == ["provisioner", "provisioner", "provisioner"]


@pytest.mark.parametrize("change, field", [
    ({"recipients": ["not-an-address"]}, "recipients"),
    ({"reset_threshold": "1"}, "reset_threshold"),
    ({"message": "{{ alert.nope }}"}, "message"),
    ({"area": "mos"}, "area"),
    ({"title": "Taken"}, "title"),
])
def test_bad_input_answers_400_by_field_and_saves_nothing(api, change, field):
    customer = CustomerFactory()
    AlertFactory(customer=customer, title="taken")
    body = {"customer": customer.pk, "title": "Low", "threshold": "10", "reset_threshold": "20", **change}
    response = api.post("/api/v1/alerts/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert Alert.objects.count() == 1


def test_state_fields_are_read_only(api):
    alert = AlertFactory()
    api.patch(f"/api/v1/alerts/{alert.pk}/", {"state": "fired", "source": "default"}, format="json")
    alert.refresh_from_db()
    assert (alert.state, alert.source) == ("armed", "custom")


def test_send_test_through_the_api(api):
    alert = AlertFactory(customer=CustomerFactory(balance=Decimal("4")))
    response = api.post(f"/api/v1/alerts/{alert.pk}/send-test/")
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "test" and response.json()["value"] == "4.000000"
    assert Message.objects.filter(kind="alert").count() == 1
    alert_without = AlertFactory(recipients=[])
    response = api.post(f"/api/v1/alerts/{alert_without.pk}/send-test/")
    assert response.status_code == 400
    assert AlertEvent.objects.count() == 1


def test_permissions_scopes_and_only_my_customers(api_client):
    manager = StaffFactory(perms=(), username="am")
    mine = AlertFactory(customer=CustomerFactory(account_manager=manager))
    AlertFactory()
    client = api_client("alerts.view_alert", user=manager)
    assert [a["id"] for a in results(client.get("/api/v1/alerts/"))] == [mine.pk]
    assert client.post("/api/v1/alerts/", {"customer": mine.customer.pk, "title": "x", "threshold": "1"},
                       format="json").status_code == 403
    assert client.post(f"/api/v1/alerts/{mine.pk}/send-test/").status_code == 403
    reader = api_client(*PERMS, scopes=("read",))
    assert reader.delete(f"/api/v1/alerts/{mine.pk}/").status_code == 403
    assert Alert.objects.count() == 2
    assert api_client().get("/api/v1/alerts/").status_code == 403
