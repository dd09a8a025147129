import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from pghistory.models import Events

from connex.models import StaffPreference
from customers.forms import CustomerForm
from customers.models import Customer, DelayedChange
from customers.services import delayed_changes_apply_due
from customers.tasks import delayed_changes_apply_task
from tests.factories import CustomerFactory, DelayedChangeFactory, TagFactory


def form_data(customer, **changes):
    """The edit form as the browser would post it, with `changes` typed in."""
    form = CustomerForm(instance=customer)
    data = {"windows-TOTAL_FORMS": "0", "windows-INITIAL_FORMS": "0", "windows-MIN_NUM_FORMS": "0",
            "windows-MAX_NUM_FORMS": "1000"}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return data


@pytest.mark.django_db
def test_delay_and_save_stores_the_change_in_utc_without_applying_it(staff_client, staff):
    StaffPreference.objects.create(user=staff, timezone="America/New_York")
    customer = CustomerFactory(channels=30, flow_speed=10)
    customer.tags.add(TagFactory(name="old"))
    response = staff_client.post(f"/customers/{customer.pk}/edit/", form_data(
        customer, channels="45", tag_names="old, new", action="delay", **{"delay-due_at": "2030-01-15T09:00"}))
    assert response.status_code == 302, response.content.decode()[:2000]
    change = DelayedChange.objects.get()
    assert change.due_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert change.changes == {"channels": [30, 45], "tags": [["old"], ["new", "old"]]}
    assert change.requested_by == staff and change.state == DelayedChange.State.PENDING
    customer.refresh_from_db()
    assert customer.channels == 30  # not applied yet

    card = staff_client.get(customer.get_absolute_url()).content.decode()
    assert "Pending changes" in card and "2030-01-15 09:00" in card and "America/New_York" in card


@pytest.mark.django_db
def test_delay_requires_a_future_time_and_saves_nothing_otherwise(staff_client):
    customer = CustomerFactory(channels=30)
    response = staff_client.post(f"/customers/{customer.pk}/edit/", form_data(
        customer, channels="45", action="delay", **{"delay-due_at": "2001-01-01T00:00"}))
    assert response.status_code == 422
    assert "Choose a date and time in the future." in response.content.decode()
    assert not DelayedChange.objects.exists()


@pytest.mark.django_db
def test_due_change_is_applied_by_the_task_and_audited_as_system(staff):
    customer = CustomerFactory(channels=30)
    change = DelayedChangeFactory(customer=customer, requested_by=staff, changes={"channels": [30, 60]})
    later = DelayedChangeFactory(customer=customer, due_at=datetime.now(UTC) + timedelta(hours=1))
    result = delayed_changes_apply_task.apply().get()
    assert result == {"applied": 1, "failed": 0}
    customer.refresh_from_db()
    change.refresh_from_db()
    later.refresh_from_db()
    assert customer.channels == 60 and change.state == DelayedChange.State.APPLIED
    assert later.state == DelayedChange.State.PENDING
    event = Events.objects.tracks(customer).filter(pgh_label="customer.updated").get()
    assert event.pgh_diff["channels"] == [30, 60]
    assert event.pgh_context["actor"] == "system" and event.pgh_context["task_id"]
    assert event.pgh_context["delayed_change"] == change.pk and event.pgh_context["on_behalf_of"] == staff.username


@pytest.mark.django_db
def test_change_that_no_longer_validates_is_marked_failed_and_not_applied_partly():
    CustomerFactory(name="Taken Name")
    customer = CustomerFactory(name="Mine", channels=30)
    change = DelayedChangeFactory(customer=customer, changes={"channels": [30, 99], "name": ["Mine", "taken name"]})
    assert delayed_changes_apply_due() == {"applied": 0, "failed": 1}
    change.refresh_from_db()
    customer.refresh_from_db()
    assert change.state == DelayedChange.State.FAILED
    assert "already exists" in change.reason
    assert customer.channels == 30 and customer.name == "Mine"


@pytest.mark.django_db
def test_cancelled_change_is_never_applied(staff_client):
    customer = CustomerFactory(channels=30)
    change = DelayedChangeFactory(customer=customer, changes={"channels": [30, 60]})
    staff_client.post(f"/customers/delayed-changes/{change.pk}/cancel/")
    delayed_changes_apply_due()
    customer.refresh_from_db()
    change.refresh_from_db()
    assert change.state == DelayedChange.State.CANCELLED and customer.channels == 30


@pytest.mark.django_db
def test_delayed_changes_page_filters_by_state(staff_client):
    DelayedChangeFactory(customer=CustomerFactory(name="Pending Co"))
    DelayedChangeFactory(customer=CustomerFactory(name="Failed Co"), state=DelayedChange.State.FAILED,
                         reason="boom")
    page = staff_client.get("/delayed-changes/?state=failed").content.decode()
    table = page.split('id="delayed-change-table"')[1]
    assert "Failed Co" in table and "boom" in table and "Pending Co" not in table


@pytest.mark.django_db(transaction=True)
def test_two_racing_runs_apply_each_change_exactly_once():
    """Two task runs at the same moment, each on its own connection and transaction."""
    customers = CustomerFactory.create_batch(12, channels=0)
    for customer in customers:
        DelayedChangeFactory(customer=customer, changes={"channels": [0, 5]})
        DelayedChangeFactory(customer=customer, changes={"flow_speed": [customer.flow_speed, 77]})
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(delayed_changes_apply_due())
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # A change applied by both runs would be counted twice here.
    assert sum(r["applied"] for r in results) == 24 and sum(r["failed"] for r in results) == 0
    assert DelayedChange.objects.filter(state=DelayedChange.State.APPLIED).count() == 24
    updates = Events.objects.tracks(Customer.objects.all()).filter(pgh_label="customer.updated")
    assert updates.count() == 24  # one update per change, none repeated
    assert set(Customer.objects.values_list("channels", "flow_speed")) == {(5, 77)}


@pytest.mark.django_db
def test_a_broken_change_is_failed_and_does_not_block_later_ones():
    customer = CustomerFactory(channels=30)
    broken = DelayedChangeFactory(customer=customer, due_at=datetime.now(UTC) - timedelta(hours=2),
                                  changes={"field_removed_since": [1, 2]})
    fine = DelayedChangeFactory(customer=customer, changes={"channels": [30, 31]})
    assert delayed_changes_apply_due() == {"applied": 1, "failed": 1}
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.state == DelayedChange.State.FAILED and "field_removed_since" in broken.reason
    assert fine.state == DelayedChange.State.APPLIED
