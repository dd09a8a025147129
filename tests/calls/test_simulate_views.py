import pytest

from calls.models import CallAttempt
from tests.factories import CallAttemptFactory, StaffFactory
from tests.routing.helpers import customer_with_route, provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    from routing.cache import routing_cache

    routing_cache.clear()
    yield
    routing_cache.clear()


def test_simulate_from_the_card_stores_the_attempt_and_shows_its_timeline(staff_client):
    provider({"4479": "0.0600"}, name="Cheap Carrier")
    customer, _ = customer_with_route()

    page = staff_client.post(f"/calls/customer/{customer.pk}/simulate/",
                             {"dialed": "447911123456", "cli": "442071234567"})

    text = page.content.decode()
    assert page.status_code == 200
    attempt = CallAttempt.objects.get()
    assert (attempt.customer, attempt.allowed, attempt.simulated) == (customer, True, True)
    assert "Cheap Carrier (" in text and ") kept: 4479" in text and "200 allowed" in text and 'data-ok="no"' not in text


def test_bad_number_is_shown_next_to_the_field_and_nothing_is_stored(staff_client):
    customer, _ = customer_with_route()

    page = staff_client.post(f"/calls/customer/{customer.pk}/simulate/", {"dialed": "44 abc"})

    assert page.status_code == 422 and "Digits only" in page.content.decode()
    assert not CallAttempt.objects.exists()


def test_refused_simulation_shows_the_failing_step(staff_client):
    customer, _ = customer_with_route(balance="-1")

    text = staff_client.post(f"/calls/customer/{customer.pk}/simulate/", {"dialed": "447911123456"}).content.decode()

    assert "402" in text and "balance below debit limit" in text and 'data-ok="no"' in text


def test_latest_calls_tab_lists_attempts_and_opens_a_trace(staff_client):
    attempt = CallAttemptFactory(simulated=True, allowed=False, sip_code=404, reasons=["no route"],
                                 trace=[{"step": "route", "ok": False, "text": "no route: none of 1 routes"}])

    tab = staff_client.get(f"/customers/{attempt.customer_id}/?tab=calls").content.decode()
    trace = staff_client.get(f"/calls/attempts/{attempt.pk}/trace/").content.decode()

    assert "404 refused" in tab and "simulated" in tab
    assert "no route: none of 1 routes" in trace


@pytest.mark.parametrize(("who", "simulate", "trace"), [
    ({"groups": ["Support"]}, 200, 200),
    ({"groups": ["Finance"]}, 403, 200),
    ({"perms": ["customers.view_customer"]}, 403, 403),
])
def test_permissions(client, who, simulate, trace):
    customer, _ = customer_with_route()
    attempt = CallAttemptFactory(customer=customer)
    client.force_login(StaffFactory(username="someone", **who))
    assert client.post(f"/calls/customer/{customer.pk}/simulate/", {"dialed": "44"}).status_code == simulate
    assert client.get(f"/calls/attempts/{attempt.pk}/trace/").status_code == trace


def test_anonymous_visitor_is_sent_to_sign_in(client):
    customer, _ = customer_with_route()
    assert client.post(f"/calls/customer/{customer.pk}/simulate/", {"dialed": "44"}).status_code == 302
