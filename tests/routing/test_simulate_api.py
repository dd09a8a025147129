import pytest

from calls.models import CallAttempt
from tests.factories import ApiTokenFactory, IpAuthEntryFactory, StaffFactory
from tests.routing.helpers import customer_with_route, provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    token = ApiTokenFactory(user=StaffFactory(groups=["Support"]))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"
    return client


def test_simulate_answers_the_decision_and_its_trace_and_stores_the_attempt(api):
    provider({"4479": "0.0600"}, name="Cheap")
    customer, route = customer_with_route()
    IpAuthEntryFactory(customer=customer, address="198.51.100.7")

    answer = api.post("/api/v1/calls/simulate", {"source_ip": "198.51.100.7", "dialed": "+447911123456",
                                                 "cli": "442071234567"}, content_type="application/json")

    body = answer.json()
    assert answer.status_code == 200, body
    assert (body["allowed"], body["sip_code"], body["route_id"], body["dialed"]) == (True, 200, route.pk,
                                                                                      "447911123456")
    assert [r["provider"] for r in body["routes"]] == ["Cheap"] and body["routes"][0]["cost_rate"] == "0.060000"
    assert [s["step"] for s in body["trace"]][:3] == ["customer", "customer", "status"]
    attempt = CallAttempt.objects.get(pk=body["attempt"])
    assert (attempt.customer, attempt.simulated, attempt.allowed, attempt.sip_code) == (customer, True, True, 200)


def test_simulate_refusal_lists_reasons_and_code(api):
    customer, _ = customer_with_route(balance="-1")

    body = api.post("/api/v1/calls/simulate", {"customer": customer.pk, "dialed": "447911123456"},
                    content_type="application/json").json()

    assert (body["allowed"], body["sip_code"], body["reason"]) == (False, 402, "balance below debit limit")


def test_simulate_needs_an_identity_and_digits(api):
    bad_number = api.post("/api/v1/calls/simulate", {"customer": 1, "dialed": "44abc"},
                          content_type="application/json")
    nobody = api.post("/api/v1/calls/simulate", {"dialed": "4420"}, content_type="application/json")
    assert bad_number.status_code == 400 and "dialed" in bad_number.json()
    assert nobody.status_code == 400 and "customer, source_ip or sip_user" in str(nobody.json())
    assert not CallAttempt.objects.exists()


def test_simulate_needs_the_permission(client):
    token = ApiTokenFactory(user=StaffFactory(groups=["Finance"]))
    answer = client.post("/api/v1/calls/simulate", {"customer": 1, "dialed": "44"}, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert answer.status_code == 403
