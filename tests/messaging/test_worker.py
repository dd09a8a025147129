"""A real Celery worker against Redis: batches, retries after a real backoff countdown."""


import pytest

from messaging.models import Message, MessagingOptions
from messaging.services import broadcast_create
from tests.celery_worker import wait_until
from tests.factories import ContactFactory, CustomerFactory
from tests.messaging.loopback import SmtpServer


@pytest.mark.worker
def test_worker_delivers_a_broadcast_and_retries_a_deferred_recipient_after_backoff(worker):
    with SmtpServer() as server:
        options = MessagingOptions.get()
        options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", server.port, False
        options.save()
        server.handler.fail_next = ["451 4.7.1 Greylisted, try again"]
        customer = CustomerFactory(name="Acme")
        for n in range(30):
            ContactFactory(customer=customer, name=f"Person {n:02d}", email=f"p{n:02d}@acme.test")

        broadcast = broadcast_create(channel="email", customers=[customer], subject="Hi {{ contact.name }}",
                                     body="Balance {{ customer.balance }}")

        def finished():
            return not broadcast.messages.filter(state__in=[Message.State.QUEUED, Message.State.SENDING]).exists()

        assert wait_until(finished)
        assert sorted(server.handler.to_addresses()) == [f"p{n:02d}@acme.test" for n in range(30)]
        greylisted = broadcast.messages.get(attempts=2)
        assert greylisted.state == Message.State.SENT
        assert broadcast.messages.filter(state=Message.State.SENT).count() == 30
        # The second attempt waited out the backoff rather than hammering the server.
        assert (greylisted.sent_at - greylisted.created).total_seconds() >= 2
