"""Delivery through real loopback servers: SMTP (aiosmtpd) and an HTTP server answering as Twilio."""

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from messaging.models import Broadcast, Message, MessagingOptions
from messaging.services import broadcast_create, message_queue, message_resend
from tests.factories import ContactFactory, CustomerFactory
from tests.messaging.conftest import ACCOUNT_SID, AUTH_TOKEN, SENDER

pytestmark = pytest.mark.django_db


def send_broadcast(capture, **kwargs):
    with capture(execute=True):
        broadcast = broadcast_create(**kwargs)
    return broadcast


def test_email_broadcast_delivers_one_mail_per_contact_email_with_merge_fields(
        smtp_server, django_capture_on_commit_callbacks):
    acme = CustomerFactory(name="Acme Telecom", balance=Decimal("-12.5"), currency="EUR")
    globex = CustomerFactory(name="Globex", balance=Decimal("1500"))
    CustomerFactory(name="Not selected")
    ContactFactory(customer=acme, name="Ann", email="ann@acme.test")
    ContactFactory(customer=acme, name="Bob", email="bob@acme.test")
    ContactFactory(customer=globex, name="Gil", email="gil@globex.test")

    broadcast = send_broadcast(
        django_capture_on_commit_callbacks, channel="email", customers=[acme, globex, acme],
        subject="Balance for {{ customer.name }}",
        body="Dear {{ contact.name }},\nyour balance is {{ customer.balance }} {{ customer.currency }}.")

    assert sorted(smtp_server.to_addresses()) == ["ann@acme.test", "bob@acme.test", "gil@globex.test"]
    mails = {mail["to"][0]: mail["message"] for mail in smtp_server.mails}
    assert mails["ann@acme.test"]["Subject"] == "Balance for Acme Telecom"
    assert mails["ann@acme.test"].get_content().replace("\r\n", "\n").strip() == "Dear Ann,\nyour balance is -12.50 EUR."
    assert "your balance is 1500.00 USD." in mails["gil@globex.test"].get_content()
    assert smtp_server.mails[0]["from"] == "billing@connex.test"
    assert broadcast.recipient_count == 3 and broadcast.customer_count == 2
    assert set(broadcast.messages.values_list("state", flat=True)) == {Message.State.SENT}
    assert all(m.sent_at and m.attempts == 1 for m in broadcast.messages.all())


def test_sms_broadcast_sends_one_twilio_request_per_unique_mobile(twilio_api, django_capture_on_commit_callbacks):
    uk = CustomerFactory(name="Britline", country="GB")
    us = CustomerFactory(name="Yankee Voice", country="US")
    ContactFactory(customer=uk, name="Ann", mobile="07911 123456")  # national format, GB customer
    ContactFactory(customer=uk, name="Ann again", mobile="+447911123456")  # same number
    ContactFactory(customer=us, name="Sam", mobile="+1 415 555 0199")
    ContactFactory(customer=us, name="No mobile", mobile="")

    broadcast = send_broadcast(django_capture_on_commit_callbacks, channel="sms", customers=[uk, us],
                               subject="ignored", body="Hi {{ contact.name }} of {{ customer.name }}")

    requests = twilio_api.requests
    assert len(requests) == 2
    by_to = {r["form"]["To"]: r for r in requests}
    assert set(by_to) == {"+447911123456", "+14155550199"}
    assert by_to["+447911123456"]["form"] == {"To": "+447911123456", "From": SENDER, "Body": "Hi Ann of Britline"}
    assert by_to["+14155550199"]["form"]["Body"] == "Hi Sam of Yankee Voice"
    assert all(r["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" for r in requests)
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert all(r["authorization"] == f"Basic {credentials}" for r in requests)
    messages = list(broadcast.messages.all())
    assert {m.state for m in messages} == {Message.State.SENT}
    assert all(m.provider_message_id.startswith("SM") for m in messages)


def test_messaging_service_sid_is_sent_as_messaging_service(twilio_api, django_capture_on_commit_callbacks):
    options = MessagingOptions.get()
    options.sms_sender = "MG" + "a" * 32
    options.save()
    with django_capture_on_commit_callbacks(execute=True):
        message_queue(channel="sms", to="+14155550199", body="Code 1234", kind="verification")
    assert twilio_api.requests[0]["form"] == {"To": "+14155550199", "MessagingServiceSid": "MG" + "a" * 32,
                                              "Body": "Code 1234"}


def test_sms_broadcast_keeps_to_the_configured_rate(twilio_api, django_capture_on_commit_callbacks):
    options = MessagingOptions.get()
    options.sms_rate_per_second = 4
    options.save()
    customer = CustomerFactory(country="US")
    for n in range(6):
        ContactFactory(customer=customer, mobile=f"+1415555{n:04d}")
    send_broadcast(django_capture_on_commit_callbacks, channel="sms", customers=[customer], subject="",
                   body="Maintenance tonight")
    times = [r["at"] for r in twilio_api.requests]
    assert len(times) == 6
    # Six messages at four a second cannot all leave within 5/4 s of the first; arrival times at the
    # stand-in carry scheduling jitter on a loaded machine, so allow a fifth of that (unthrottled: milliseconds).
    assert times[-1] - times[0] >= 1.0


def test_invalid_mobile_is_recorded_failed_with_the_reason_and_not_sent(
        twilio_api, django_capture_on_commit_callbacks):
    customer = CustomerFactory(country="US")
    ContactFactory(customer=customer, name="Bad", mobile="12345")
    ContactFactory(customer=customer, name="Good", mobile="+14155550123")
    broadcast = send_broadcast(django_capture_on_commit_callbacks, channel="sms", customers=[customer],
                               subject="", body="Hello")

    bad = broadcast.messages.get(contact__name="Bad")
    assert bad.state == Message.State.FAILED
    assert bad.error == "“12345” is not a valid phone number for its country code."
    assert [r["form"]["To"] for r in twilio_api.requests] == ["+14155550123"]

    with django_capture_on_commit_callbacks(execute=True):
        direct = message_queue(channel="sms", to="not a number", body="Code", kind="verification")
    direct.refresh_from_db()
    assert direct.state == Message.State.FAILED and "“not a number” is not a phone number" in direct.error
    assert len(twilio_api.requests) == 1


def test_transient_smtp_failure_is_retried_and_succeeds(smtp_server, django_capture_on_commit_callbacks):
    smtp_server.fail_next = ["451 4.3.0 Try again later"]
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="ann@example.test")
    broadcast = send_broadcast(django_capture_on_commit_callbacks, channel="email", customers=[customer],
                               subject="News", body="Hello")
    message = broadcast.messages.get()
    assert message.state == Message.State.SENT
    assert message.attempts == 2
    assert smtp_server.to_addresses() == ["ann@example.test"]


def test_transient_twilio_failure_is_retried_and_succeeds(twilio_api, django_capture_on_commit_callbacks):
    twilio_api.responses = [(503, {"code": 20503, "message": "Service unavailable", "status": 503})]
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="sms", to="+14155550123", body="Your code is 991", kind="verification")
    message.refresh_from_db()
    assert message.state == Message.State.SENT and message.attempts == 2
    assert len(twilio_api.requests) == 2


def test_permanent_smtp_failure_is_marked_failed_with_the_servers_error(
        smtp_server, django_capture_on_commit_callbacks):
    smtp_server.refuse["gone@example.test"] = "550 5.1.1 No such user here"
    customer = CustomerFactory()
    ContactFactory(customer=customer, email="gone@example.test")
    ContactFactory(customer=customer, email="here@example.test")
    broadcast = send_broadcast(django_capture_on_commit_callbacks, channel="email", customers=[customer],
                               subject="News", body="Hello")
    gone = broadcast.messages.get(to="gone@example.test")
    assert gone.state == Message.State.FAILED
    assert gone.attempts == 1
    assert "550" in gone.error and "No such user here" in gone.error
    assert broadcast.messages.get(to="here@example.test").state == Message.State.SENT
    assert smtp_server.to_addresses() == ["here@example.test"]


def test_permanent_twilio_failure_is_marked_failed_with_the_providers_error(
        twilio_api, django_capture_on_commit_callbacks):
    twilio_api.responses = [(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "status": 400})]
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="sms", to="+14155550123", body="Hi", kind="general")
    message.refresh_from_db()
    assert message.state == Message.State.FAILED and message.attempts == 1
    assert "21610" in message.error and "unsubscribed recipient" in message.error
    assert len(twilio_api.requests) == 1


def test_without_an_sms_provider_messages_stay_in_the_outbox_as_not_sent(
        settings, django_capture_on_commit_callbacks):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM = ""
    customer = CustomerFactory(country="US")
    ContactFactory(customer=customer, mobile="+14155550123")
    broadcast = send_broadcast(django_capture_on_commit_callbacks, channel="sms", customers=[customer],
                               subject="", body="Hi")
    with django_capture_on_commit_callbacks(execute=True):
        single = message_queue(channel="sms", to="+14155550124", body="Code 1", kind="verification")
    for message in [broadcast.messages.get(), Message.objects.get(pk=single.pk)]:
        assert message.state == Message.State.NOT_SENT
        assert message.error == "not sent: no SMS provider configured"


def test_environment_twilio_settings_are_the_fallback(twilio_api, settings, django_capture_on_commit_callbacks):
    options = MessagingOptions.get()
    options.sms_account_sid = options.sms_auth_token = options.sms_sender = ""
    options.save()
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "f" * 32, "env-token"
    settings.TWILIO_FROM = "+14155550111"
    with django_capture_on_commit_callbacks(execute=True):
        message_queue(channel="sms", to="+14155550123", body="Hi")
    request = twilio_api.requests[0]
    assert request["form"]["From"] == "+14155550111"
    assert request["path"] == f"/2010-04-01/Accounts/AC{'f' * 32}/Messages.json"


@pytest.mark.parametrize("kind", ["password", "verification", "invoice"])
def test_passwords_verification_codes_and_invoices_arrive_through_the_outbox(
        kind, smtp_server, django_capture_on_commit_callbacks):
    contact = ContactFactory(email="ann@example.test")
    attachment = ("INV-0001.pdf", ContentFile(b"%PDF-1.4 test")) if kind == "invoice" else None
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to=contact.email, subject=f"Your {kind}",
                                body=f"Here is your {kind}.", kind=kind, customer=contact.customer,
                                contact=contact, attachment=attachment)
    message.refresh_from_db()
    assert message.state == Message.State.SENT and message.kind == kind
    assert message.customer == contact.customer
    [mail] = smtp_server.mails
    assert mail["to"] == ["ann@example.test"] and mail["message"]["Subject"] == f"Your {kind}"
    attachments = list(mail["message"].iter_attachments())
    if kind == "invoice":
        assert [a.get_filename() for a in attachments] == ["INV-0001.pdf"]
        assert attachments[0].get_content() == b"%PDF-1.4 test"
    else:
        assert attachments == []


def test_verification_sms_arrives_through_the_outbox(twilio_api, django_capture_on_commit_callbacks):
    contact = ContactFactory(mobile="+14155550123")
    with django_capture_on_commit_callbacks(execute=True):
        message_queue(channel="sms", to=contact.mobile, body="Code 123456", kind="verification",
                      customer=contact.customer, contact=contact)
    assert Message.objects.get(kind="verification").state == Message.State.SENT
    assert twilio_api.requests[0]["form"]["Body"] == "Code 123456"


def test_failed_message_can_be_resent_and_is_delivered(smtp_server, django_capture_on_commit_callbacks):
    smtp_server.refuse["ann@example.test"] = "550 5.2.1 Mailbox disabled"
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to="ann@example.test", subject="Hi", body="Hello")
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    smtp_server.refuse.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message_resend(message=message)
    message.refresh_from_db()
    assert message.state == Message.State.SENT and message.error == "" and message.attempts == 2
    assert smtp_server.to_addresses() == ["ann@example.test"]


def test_smtp_server_down_is_retried_until_the_attempts_run_out(db, django_capture_on_commit_callbacks):
    from tests.messaging.loopback import free_port

    options = MessagingOptions.get()
    options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", free_port(), False
    options.save()
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to="ann@example.test", subject="Hi", body="Hello")
    message.refresh_from_db()
    # Every retry found the server down: after the last attempt the message is failed, with why.
    assert message.state == Message.State.FAILED
    assert message.attempts == 5
    assert "refused" in message.error.lower()
    assert not Broadcast.objects.exists()


def test_message_stuck_in_sending_is_failed_visibly_not_resent(smtp_server):
    import time_machine
    from django.utils import timezone

    from messaging.tasks import message_fail_stale_task

    with time_machine.travel(timezone.now() - timedelta(minutes=20)):
        stuck = Message.objects.create(channel="email", to="ann@example.test", subject="Hi",
                                       state=Message.State.SENDING, attempts=1)
    recent = Message.objects.create(channel="email", to="bob@example.test", state=Message.State.SENDING,
                                    attempts=1)
    message_fail_stale_task.delay()
    stuck.refresh_from_db()
    recent.refresh_from_db()
    assert stuck.state == Message.State.FAILED and "interrupted" in stuck.error
    assert recent.state == Message.State.SENDING
    assert smtp_server.mails == []


def test_broadcast_pauses_while_the_mail_server_is_unreachable_then_resumes(db):
    from messaging.services import PROVIDER_DOWN_PAUSE, broadcast_deliver
    from tests.messaging.loopback import SmtpServer

    server = SmtpServer()
    options = MessagingOptions.get()
    options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", server.port, False
    options.save()
    customer = CustomerFactory()
    for n in range(4):
        ContactFactory(customer=customer, name=f"P{n}", email=f"p{n}@example.test")
    broadcast = broadcast_create(channel="email", customers=[customer], subject="News", body="Hi")  # not committed
    retried = []

    countdown = broadcast_deliver(broadcast_id=broadcast.pk, schedule_retry=lambda pk, n: retried.append((pk, n)))

    # One message found the server down and goes on with its own backoff; the rest wait, untried.
    assert countdown == PROVIDER_DOWN_PAUSE
    first = broadcast.messages.get(attempts=1)
    assert first.state == Message.State.QUEUED and "refused" in first.error.lower()
    assert retried == [(first.pk, 1)]
    assert broadcast.messages.filter(attempts=0, state=Message.State.QUEUED).count() == 3

    with server:
        assert broadcast_deliver(broadcast_id=broadcast.pk, schedule_retry=None) is None
        assert sorted(server.handler.to_addresses()) == sorted(
            broadcast.messages.exclude(pk=first.pk).values_list("to", flat=True))
    assert broadcast.messages.filter(state=Message.State.SENT).count() == 3


def test_two_sms_broadcasts_share_the_account_rate_rather_than_doubling_it(twilio_api):
    from django.db import connections

    from messaging.services import SMS_LOCK_KEY, SMS_LOCK_WAIT, broadcast_deliver

    customer = CustomerFactory(country="US")
    ContactFactory(customer=customer, mobile="+14155550123")
    broadcast = broadcast_create(channel="sms", customers=[customer], subject="", body="Hi")
    # Another worker holds the SMS sender (a second connection, as another process would).
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [SMS_LOCK_KEY])
        assert broadcast_deliver(broadcast_id=broadcast.pk) == SMS_LOCK_WAIT
        assert twilio_api.requests == [] and broadcast.messages.get().state == Message.State.QUEUED
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SMS_LOCK_KEY])
        assert broadcast_deliver(broadcast_id=broadcast.pk) is None
    finally:
        other.close()
    assert broadcast.messages.get().state == Message.State.SENT and len(twilio_api.requests) == 1


@pytest.mark.parametrize("to, delivered", [("Ann Archer <ann@example.test>", True), ("ann@", False), ("", False)])
def test_email_addresses_are_checked_before_queueing(smtp_server, django_capture_on_commit_callbacks, to, delivered):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to=to, subject="Hi", body="Hello", kind="password")
    message.refresh_from_db()
    if delivered:
        assert message.state == Message.State.SENT and smtp_server.to_addresses() == ["ann@example.test"]
    else:
        assert message.state == Message.State.FAILED and "Invalid email address" in message.error
        assert smtp_server.mails == []
