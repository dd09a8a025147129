import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pghistory.models import Events

from connex.audit import system_context
from customers.models import Customer, CustomerImport
from messaging.models import MessagingOptions
from tests.customers.test_delayed_changes import form_data
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def customer_events(customer, label):
    return Events.objects.tracks(customer).filter(pgh_label=label).order_by("pgh_id")


def test_form_edit_is_recorded_with_the_staff_member_and_request_id(staff_client, staff):
    customer = CustomerFactory(channels=30)
    response = staff_client.post(f"/customers/{customer.pk}/edit/", form_data(customer, channels="31"))
    assert response.status_code == 302
    event = customer_events(customer, "customer.updated").get()
    assert event.pgh_diff == {"channels": [30, 31]}
    assert event.pgh_context["actor"] == staff.username and event.pgh_context["actor_type"] == "staff"
    assert event.pgh_context["request_id"] == response["X-Request-ID"]


def test_import_is_recorded_with_the_staff_member(staff_client, staff):
    staff_client.post("/customers/import/", {"file": SimpleUploadedFile("c.csv", b"name,currency\nImported,USD\n")})
    staff_client.post(f"/customers/import/{CustomerImport.objects.get().pk}/")
    customer = Customer.objects.get(name="Imported")
    event = customer_events(customer, "customer.created").get()
    assert event.pgh_context["actor"] == staff.username
    assert event.pgh_context["import_id"] == CustomerImport.objects.get().pk


def test_import_run_by_the_task_is_recorded_as_system_for_the_staff_member(
        staff_client, staff, settings, django_capture_on_commit_callbacks):
    settings.CUSTOMER_IMPORT_ASYNC_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/customers/import/", {"file": SimpleUploadedFile("c.csv", b"name,currency\nBig,USD\n")})
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/customers/import/{CustomerImport.objects.get().pk}/")
    event = customer_events(Customer.objects.get(name="Big"), "customer.created").get()
    assert event.pgh_context["actor"] == "system" and event.pgh_context["task_id"]
    assert event.pgh_context["on_behalf_of"] == staff.username


def test_task_helper_marks_changes_as_system():
    customer = CustomerFactory(channels=1)
    with system_context("task-123"):
        Customer.objects.filter(pk=customer.pk).update(channels=2)  # a bulk update cannot slip past
    event = customer_events(customer, "customer.updated").get()
    assert event.pgh_context["actor"] == "system" and event.pgh_context["task_id"] == "task-123"


def test_secrets_never_appear_in_the_log(staff_client):
    contact = ContactFactory()
    contact.set_password("s3cret-Pass-word")
    contact.save()
    options = MessagingOptions.get()
    options.smtp_password = "smtp-secret-value"
    options.sms_auth_token = "twilio-secret-token"
    options.smtp_host = "smtp.renamed.test"
    options.save()
    export = staff_client.get("/audit/?_export=csv").content.decode()
    page = staff_client.get("/audit/").content.decode()
    assert "smtp.renamed.test" in export
    for secret in ("s3cret", "smtp-secret-value", "twilio-secret-token", contact.password):
        assert secret not in export and secret not in page


def test_customer_card_tab_shows_creator_and_each_change_with_its_difference(staff_client, staff):
    staff_client.post("/customers/new/", form_data(Customer(), name="Carded", currency="USD", channels="5"))
    customer = Customer.objects.get(name="Carded")
    staff_client.post(f"/customers/{customer.pk}/edit/", form_data(customer, channels="6"))
    ContactFactory(customer=customer, name="Pat")
    page = staff_client.get(f"/customers/{customer.pk}/tab/audit/").content.decode()
    assert f"by <strong>{staff.username}</strong>" in page
    assert "customer.updated" in page and "contact.created" in page and "View difference" in page
    assert '"channels": {\n    "old": 5,\n    "new": 6\n  }' in page.replace("&quot;", '"')


def test_audit_page_filters_by_type_actor_object_and_date(staff_client, staff):
    customer = CustomerFactory(name="Filtered")
    ContactFactory(customer=customer)
    # Last: pghistory keeps a context for the rest of its transaction, and a test is one transaction.
    with system_context("t-1"):
        Customer.objects.filter(pk=customer.pk).update(channels=99)

    def rows(query):
        response = staff_client.get(f"/audit/?{query}&_export=csv")
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    assert {r["Object"].split(" #")[0] for r in rows("object_type=contacts.Contact")} == {"Contact"}
    system_rows = rows("actor=system")
    assert [r["Action"] for r in system_rows] == ["customer.updated"]
    assert system_rows[0]["Task id"] == "t-1" and '"channels"' in system_rows[0]["Changes"]
    assert len(rows(f"object_type=customers.Customer&object_id={customer.pk}")) == 2
    today = datetime.now(UTC).date()
    assert rows(f"created_min={today + timedelta(days=1)}") == []
    assert len(rows(f"created_min={today}&created_max={today}")) >= 3


def test_import_update_records_the_changed_fields(staff_client, staff):
    customer = CustomerFactory(name="Updated By File", channels=3, currency="USD")
    staff_client.post("/customers/import/", {"update_existing": "on", "file": SimpleUploadedFile(
        "c.csv", b"name,currency,channels\nupdated by file,USD,12\n")})
    staff_client.post(f"/customers/import/{CustomerImport.objects.get().pk}/")
    event = customer_events(customer, "customer.updated").get()
    assert event.pgh_diff == {"channels": [3, 12]}
    assert event.pgh_context["actor"] == staff.username


def test_every_task_sets_its_audit_actor_through_audited_task(settings):
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    from connex.celery import app

    project_apps = tuple(config.name for config in apps.get_app_configs() if config.path.startswith(str(settings.BASE_DIR)))
    for name in project_apps:
        if find_spec(f"{name}.tasks"):
            import_module(f"{name}.tasks")
    tasks = [task for name, task in app.tasks.items() if name.startswith(tuple(f"{n}." for n in project_apps))]
    assert len(tasks) >= 10
    assert [task.name for task in tasks if not getattr(task.run, "audited", False)] == []


def test_a_task_run_records_its_changes_as_the_system_with_its_task_id():
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import Message
    from messaging.tasks import message_fail_stale_task

    message = Message.objects.create(channel="email", to="a@b.test", customer=CustomerFactory(),
                                     state=Message.State.SENDING)
    Message.objects.filter(pk=message.pk).update(updated=timezone.now() - timedelta(hours=2))
    assert message_fail_stale_task.apply(task_id="task-42").get() == 1
    event = Message.pgh_event_model.objects.get(pgh_obj=message, pgh_label="message.state_changed")
    assert (event.state, event.pgh_context.metadata["actor"], event.pgh_context.metadata["task_id"]) == (
        "failed", "system", "task-42")
