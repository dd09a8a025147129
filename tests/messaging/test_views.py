import pytest

from messaging.models import Broadcast, Message, MessagingOptions
from tests.factories import BroadcastFactory, ContactFactory, CustomerFactory, MessageFactory

pytestmark = pytest.mark.django_db


def test_board_offers_send_email_and_sms(staff_client):
    CustomerFactory()
    page = staff_client.get("/customers/").content.decode()
    assert 'id="send-menu"' in page
    assert 'formaction="/messaging/broadcasts/new/"' in page and 'value="sms"' in page


def test_compose_shows_recipient_count_and_preview_for_the_first_recipient(staff_client):
    acme = CustomerFactory(name="Acme")
    ContactFactory(customer=acme, name="Ann", email="ann@acme.test")
    ContactFactory(customer=acme, name="Bob", email="bob@acme.test")
    other = CustomerFactory(name="Other")
    ContactFactory(customer=other, name="Zed", email="zed@other.test")

    response = staff_client.post("/messaging/broadcasts/new/", {"pk": [acme.pk], "channel": "email"})
    assert response.status_code == 200
    assert b'<strong id="recipient-count">2</strong>' in response.content

    response = staff_client.post("/messaging/broadcasts/new/", {
        "pk": [acme.pk], "channel": "email", "step": "preview",
        "subject": "Hi {{ customer.name }}", "body": "Dear {{ contact.name }}, balance {{ customer.balance }}"})
    page = response.content.decode()
    assert '<div class="fw-semibold mb-1" id="preview-subject">Hi Acme</div>' in page
    assert "Dear Ann, balance 50.00" in page
    assert not Message.objects.exists()


def test_compose_for_all_matching_customers_uses_the_board_filter(staff_client):
    for name in ("Alpha One", "Alpha Two", "Beta"):
        ContactFactory(customer=CustomerFactory(name=name))
    response = staff_client.post("/messaging/broadcasts/new/", {
        "select_all_matching": "1", "filter_query": "q=Alpha", "channel": "email"})
    assert b'<strong id="recipient-count">2</strong>' in response.content


def test_send_creates_a_broadcast_and_redirects_to_its_progress(staff_client, django_capture_on_commit_callbacks):
    acme = CustomerFactory(name="Acme")
    ContactFactory(customer=acme, name="Ann", email="ann@acme.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/messaging/broadcasts/new/", {
            "pk": [acme.pk], "channel": "email", "step": "send", "subject": "News", "body": "Hi {{ contact.name }}"})
    broadcast = Broadcast.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messaging/broadcasts/{broadcast.pk}/"
    message = broadcast.messages.get()
    assert (message.to, message.body, message.kind) == ("ann@acme.test", "Hi Ann", "broadcast")
    assert message.state == Message.State.SENT  # the test settings' locmem email backend

    page = staff_client.get(response["Location"]).content.decode()
    assert "Finished" in page and 'data-state="sent"' in page
    assert "hx-trigger" not in page  # no polling once finished


@pytest.mark.parametrize("fields, error", [
    ({"subject": "", "body": "Hi"}, "An email needs a subject."),
    ({"subject": "News", "body": ""}, "Write the message."),
    ({"subject": "News", "body": "Hi {{ contact.nmae }}"}, "Unknown merge field: {{ contact.nmae }}."),
    ({"subject": "News {% if %}", "body": "Hi"}, "Merge fields:"),
    ({"subject": "News", "body": "{% load static %}{% static 'x' %}"}, "Merge fields:"),
    ({"subject": "News", "body": "{{ customer.contacts.all }}"}, "Unknown merge field: {{ customer.contacts.all }}."),
    ({"subject": "News", "body": "{% include 'base.html' %}"}, "Merge fields:"),
])
def test_bad_broadcast_input_is_shown_next_to_the_field_and_nothing_is_sent(staff_client, fields, error):
    acme = CustomerFactory()
    ContactFactory(customer=acme)
    response = staff_client.post("/messaging/broadcasts/new/", {
        "pk": [acme.pk], "channel": "email", "step": "send", **fields})
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not Broadcast.objects.exists() and not Message.objects.exists()


def test_customers_without_mobiles_cannot_be_sent_an_sms(staff_client):
    acme = CustomerFactory()
    ContactFactory(customer=acme, mobile="")
    response = staff_client.post("/messaging/broadcasts/new/", {
        "pk": [acme.pk], "channel": "sms", "step": "send", "body": "Hi"})
    assert response.status_code == 422
    assert "has a contact with a mobile number" in response.content.decode()
    assert not Broadcast.objects.exists()


def test_broadcast_page_polls_while_sending_and_counts_states(staff_client):
    broadcast = BroadcastFactory(recipient_count=3)
    MessageFactory(broadcast=broadcast, state=Message.State.SENT)
    MessageFactory(broadcast=broadcast, state=Message.State.QUEUED)
    MessageFactory(broadcast=broadcast, state=Message.State.FAILED, error="550 No such user")
    page = staff_client.get(f"/messaging/broadcasts/{broadcast.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "Sending…" in page and "2 of 3 done" in page
    assert "550 No such user" in page

    partial = staff_client.get(f"/messaging/broadcasts/{broadcast.pk}/",
                               headers={"HX-Request": "true", "HX-Target": "broadcast-progress"})
    assert partial.content.decode().startswith('<div id="broadcast-progress"')
    assert 'style="width: 67%"' in partial.content.decode()


def test_message_list_filters_by_channel_and_state(staff_client):
    MessageFactory(to="sent@example.test", state=Message.State.SENT)
    MessageFactory(to="failed@example.test", state=Message.State.FAILED)
    MessageFactory(channel="sms", to="+14155550123", state=Message.State.NOT_SENT,
                   error="not sent: no SMS provider configured")
    page = staff_client.get("/messaging/?channel=email&state=failed").content.decode()
    assert "failed@example.test" in page and "sent@example.test" not in page and "+14155550123" not in page
    page = staff_client.get("/messaging/?channel=sms").content.decode()
    assert "not sent: no SMS provider configured" in page
    csv = staff_client.get("/messaging/?_export=csv").content.decode()
    assert "failed@example.test" in csv and "Not sent" in csv


def test_failed_message_detail_offers_resend_and_sent_one_does_not(staff_client, django_capture_on_commit_callbacks):
    failed = MessageFactory(state=Message.State.FAILED, error="550 Mailbox disabled", attempts=1)
    sent = MessageFactory(state=Message.State.SENT)
    assert "Resend" in staff_client.get(f"/messaging/{failed.pk}/").content.decode()
    assert "Resend" not in staff_client.get(f"/messaging/{sent.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/messaging/{failed.pk}/resend/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == Message.State.SENT and failed.attempts == 2

    staff_client.post(f"/messaging/{sent.pk}/resend/")
    sent.refresh_from_db()
    assert sent.attempts == 0  # a sent message is never sent twice by mistake


@pytest.mark.parametrize("url", ["/messaging/", "/messaging/broadcasts/", "/settings/email/",
                                 "/settings/sms/"])
def test_pages_need_a_staff_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_contact_signed_in_to_the_portal_cannot_see_messages(client, portal_login):
    contact = ContactFactory()
    portal_login(client, contact)
    response = client.get("/messaging/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# Settings -----------------------------------------------------------------------------------

def test_smtp_password_is_write_only(staff_client):
    options = MessagingOptions.get()
    options.smtp_host, options.smtp_password = "mail.example.test", "s3cret-pass"
    options.save()
    page = staff_client.get("/settings/email/").content.decode()
    assert "s3cret-pass" not in page and "stored; leave blank to keep" in page

    data = {"email_from": "Billing <billing@example.test>", "smtp_host": "smtp.example.test", "smtp_port": "2525",
            "smtp_username": "user", "smtp_password": ""}
    assert staff_client.post("/settings/email/", data).status_code == 302
    options.refresh_from_db()
    assert (options.smtp_host, options.smtp_port, options.smtp_password) == ("smtp.example.test", 2525, "s3cret-pass")
    assert options.smtp_use_tls is False

    staff_client.post("/settings/email/", {**data, "smtp_password": "new-pass"})
    options.refresh_from_db()
    assert options.smtp_password == "new-pass"

    staff_client.post("/settings/email/", {**data, "clear_smtp_password": "on"})
    options.refresh_from_db()
    assert options.smtp_password == ""


def test_secret_changes_are_not_written_to_the_audit_history(staff_client):
    import pghistory.models

    staff_client.post("/settings/sms/", {"sms_account_sid": "AC" + "1" * 32, "sms_auth_token": "tok-123",
                                                   "sms_sender": "+14155550100", "sms_rate_per_second": "5"})
    assert MessagingOptions.get().sms_auth_token == "tok-123"
    events = pghistory.models.Events.objects.all()
    assert events.exists()
    assert all("tok-123" not in str(event.pgh_data) for event in events)


@pytest.mark.parametrize("data, field, error", [
    ({"sms_account_sid": "XX123"}, "sms_account_sid", "AC followed by 32"),
    ({"sms_sender": "12345"}, "sms_sender", "E.164"),
    ({"sms_rate_per_second": "0"}, "sms_rate_per_second", "Between 1 and 100"),
    ({"sms_auth_token": "x", "clear_sms_auth_token": "on"}, "sms_auth_token", "not both"),
])
def test_sms_settings_refuse_bad_input(staff_client, data, field, error):
    valid = {"sms_account_sid": "", "sms_auth_token": "", "sms_sender": "", "sms_rate_per_second": "5"}
    response = staff_client.post("/settings/sms/", {**valid, **data})
    assert response.status_code == 422
    page = response.content.decode()
    assert error in page[page.index(f'id="field-{field}"'):]
    assert MessagingOptions.get().sms_rate_per_second == 5


def test_sms_sender_is_normalised_to_e164(staff_client):
    staff_client.post("/settings/sms/", {"sms_sender": "+1 (415) 555-0100", "sms_rate_per_second": "3"})
    options = MessagingOptions.get()
    assert (options.sms_sender, options.sms_rate_per_second) == ("+14155550100", 3)


def test_settings_page_lists_email_and_sms(staff_client):
    page = staff_client.get("/settings/").content.decode()
    assert "/settings/email/" in page and "/settings/sms/" in page


def test_customer_card_has_a_messages_tab_with_that_customers_messages(staff_client):
    acme, other = CustomerFactory(), CustomerFactory()
    MessageFactory(customer=acme, to="ann@acme.test", kind="invoice", state=Message.State.FAILED, error="550 Gone")
    MessageFactory(customer=other, to="zed@other.test")
    page = staff_client.get(f"/customers/{acme.pk}/tab/messages/", headers={"HX-Request": "true",
                                                                           "HX-Target": "card-tab"}).content.decode()
    assert "ann@acme.test" in page and "550 Gone" in page and "zed@other.test" not in page
