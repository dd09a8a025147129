"""One message that fails in an unforeseen way is recorded failed; it never stalls the others."""

from unittest import mock

import pytest

from messaging.models import Message
from messaging.services import broadcast_create, message_queue
from messaging.transports import EmailTransport
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _send_failing_for(address):
    real = EmailTransport.send

    def send(self, message):
        if message.to == address:
            raise UnicodeEncodeError("ascii", "ß", 0, 1, "ordinal not in range(128)")
        return real(self, message)

    return mock.patch.object(EmailTransport, "send", send)


def test_a_broadcast_message_failing_unexpectedly_is_failed_and_the_rest_are_sent(
        smtp_server, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    for address in ("a@example.test", "b@example.test", "c@example.test"):
        ContactFactory(customer=customer, email=address)

    with _send_failing_for("b@example.test"), django_capture_on_commit_callbacks(execute=True):
        broadcast = broadcast_create(channel="email", customers=[customer], subject="News", body="Hello")

    states = dict(broadcast.messages.values_list("to", "state"))
    assert states == {"a@example.test": Message.State.SENT, "b@example.test": Message.State.FAILED,
                      "c@example.test": Message.State.SENT}
    assert broadcast.messages.get(to="b@example.test").error.startswith("Unexpected error: UnicodeEncodeError")
    assert sorted(smtp_server.to_addresses()) == ["a@example.test", "c@example.test"]


def test_a_single_message_failing_unexpectedly_is_failed_not_left_sending(
        smtp_server, django_capture_on_commit_callbacks):
    with _send_failing_for("x@example.test"), django_capture_on_commit_callbacks(execute=True):
        message = message_queue(channel="email", to="x@example.test", subject="s", body="b")

    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert "UnicodeEncodeError" in message.error
