"""The card's Alerts tab: list with current values, inline form, send test, history; Settings → Alerts."""

from decimal import Decimal

import pytest
from pghistory.models import Events

from alerts.models import Alert, AlertEvent, AlertOptions
from messaging.models import Message
from tests.factories import AlertEventFactory, AlertFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

FORM = {"title": "Low credit", "enabled": "on", "area": "balance", "operator": "lt", "threshold": "10",
        "reset_threshold": "20", "sample_hours": "1", "min_attempts": "20", "repeat_minutes": "60",
        "recipients": "noc@acme.test, +44 7911 123456", "subject": "{{ alert.title }}",
        "message": "Balance {{ customer.balance }} is below {{ alert.threshold }}"}


def tab(client, customer):
    return client.get(f"/customers/{customer.pk}/tab/alerts/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="card-tab")


def test_alerts_tab_lists_alerts_with_their_current_value_and_history(staff_client):
    customer = CustomerFactory(balance=Decimal("7.25"))
    alert = AlertFactory(customer=customer, title="Low credit", threshold=Decimal("10"))
    AlertEventFactory(alert=alert, kind="fired", value=Decimal("7.25"))
    body = tab(staff_client, customer).content.decode()
    assert 'data-title="Low credit"' in body and "Balance &lt; 10, re-arms at ≥ 10" in body
    assert "7.25" in body and 'data-kind="fired"' in body
    assert 'data-tab="alerts"' in staff_client.get(f"/customers/{customer.pk}/").content.decode()


def test_adding_an_alert_normalises_recipients_and_is_audited(staff_client):
    customer = CustomerFactory(country="GB")
    response = staff_client.post(f"/alerts/customer/{customer.pk}/new/", FORM, **HTMX)
    assert response["HX-Retarget"] == "#alerts"
    alert = Alert.objects.get()
    assert alert.recipients == ["noc@acme.test", "+447911123456"]
    assert (alert.threshold, alert.reset_threshold, alert.repeat_minutes) == (Decimal("10"), Decimal("20"), 60)
    event = Events.objects.tracks(alert).get()
    assert event.pgh_context["actor"] == "alice"


@pytest.mark.parametrize("change, field, text", [
    ({"recipients": "nobody, noc@acme.test"}, "recipients", "not a phone number"),
    ({"reset_threshold": "5"}, "reset_threshold", "at or above"),
    ({"operator": "gt", "reset_threshold": "50"}, "reset_threshold", "at or below"),
    ({"message": "Hi {{ customer.nmae }}"}, "message", "Unknown merge field"),
    ({"subject": "{% if %}"}, "subject", "Merge fields"),
    ({"threshold": "abc"}, "threshold", "number"),
    ({"sample_hours": "0"}, "sample_hours", "greater than or equal to 1"),
])
def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(staff_client, change, field, text):
    customer = CustomerFactory()
    response = staff_client.post(f"/alerts/customer/{customer.pk}/new/", {**FORM, **change}, **HTMX)
    assert response.status_code == 422 and "HX-Retarget" not in response
    assert text in " ".join(response.context["form"].errors[field])
    assert not Alert.objects.exists()


def test_a_title_is_unique_per_customer_whatever_the_case(staff_client):
    customer = CustomerFactory()
    AlertFactory(customer=customer, title="Low Credit")
    AlertFactory(title="Low credit")  # another customer's may share it
    response = staff_client.post(f"/alerts/customer/{customer.pk}/new/", FORM, **HTMX)
    assert "already has an alert with this title" in " ".join(response.context["form"].errors["title"])
    assert Alert.objects.count() == 2


def test_editing_the_condition_of_a_fired_alert_re_arms_it(staff_client):
    alert = AlertFactory(title="Low credit")
    Alert.objects.filter(pk=alert.pk).update(state="fired")
    response = staff_client.post(f"/alerts/{alert.pk}/edit/", {**FORM, "threshold": "5", "reset_threshold": ""},
                                 **HTMX)
    assert response["HX-Retarget"] == "#alerts"
    alert.refresh_from_db()
    assert (alert.state, alert.threshold) == ("armed", Decimal("5"))


def test_send_test_queues_the_message_and_leaves_the_state(staff_client):
    customer = CustomerFactory(balance=Decimal("3"))
    alert = AlertFactory(customer=customer, recipients=["noc@acme.test"], message="Now {{ alert.value }}",
                         subject="[{{ alert.event }}] {{ alert.title }}")
    response = staff_client.post(f"/alerts/{alert.pk}/test/", **HTMX)
    assert "1 message(s) queued" in response.content.decode()
    message = Message.objects.get(kind="alert")
    assert (message.to, message.subject, message.body) == ("noc@acme.test", f"[Test] {alert.title}", "Now 3")
    assert AlertEvent.objects.get().kind == "test"
    alert.refresh_from_db()
    assert alert.state == "armed" and alert.last_sent_at is None


def test_send_test_without_any_recipient_says_so(staff_client):
    alert = AlertFactory(recipients=[])
    response = staff_client.post(f"/alerts/{alert.pk}/test/", **HTMX)
    assert "no recipients" in response.content.decode()
    assert not Message.objects.exists() and not AlertEvent.objects.exists()


def test_deleting_an_alert_keeps_its_history(staff_client):
    alert = AlertFactory(title="Gone")
    AlertEventFactory(alert=alert)
    staff_client.post(f"/alerts/{alert.pk}/delete/", **HTMX)
    assert not Alert.objects.exists()
    assert AlertEvent.objects.get().title == "Gone"


def test_staff_without_the_permission_see_no_buttons_and_are_refused(client):
    alert = AlertFactory()
    client.force_login(StaffFactory(groups=["Read-only"]))
    body = tab(client, alert.customer).content.decode()
    assert "Send test" not in body and "alert-add" not in body
    assert client.post(f"/alerts/{alert.pk}/test/", **HTMX).status_code == 403
    assert client.post(f"/alerts/{alert.pk}/delete/", **HTMX).status_code == 403


def test_an_account_manager_cannot_reach_another_manager_s_alerts(client):
    manager = StaffFactory(groups=["Account manager"])
    alert = AlertFactory()
    client.force_login(manager)
    assert client.post(f"/alerts/{alert.pk}/test/", **HTMX).status_code == 404
    assert client.get(f"/alerts/{alert.pk}/edit/", **HTMX).status_code == 404


def test_settings_page_sets_the_default_low_balance_alert(staff_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    data = {"low_balance_enabled": "on", "low_balance_title": "Low balance", "low_balance_threshold": "15",
            "low_balance_reset": "25", "low_balance_repeat_minutes": "0", "low_balance_subject": "{{ alert.title }}",
            "low_balance_message": "Top up, {{ customer.name }}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/settings/alerts/", data)
    assert response.status_code == 302
    alert = customer.alerts.get(source="default")
    assert (alert.threshold, alert.reset_threshold, alert.follows_default) == (Decimal("15"), Decimal("25"), True)
    assert Events.objects.tracks(AlertOptions.get()).last().pgh_context["actor"] == "alice"
    bad = staff_client.post("/settings/alerts/", {**data, "low_balance_reset": "5",
                                                  "low_balance_message": "{{ nope }}"})
    assert bad.status_code == 422
    assert set(bad.context["form"].errors) == {"low_balance_reset", "low_balance_message"}
