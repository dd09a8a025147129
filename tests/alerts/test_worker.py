"""The periodic evaluation through a real Celery worker, to a real (loopback) mail server."""

import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from alerts.models import AlertEvent
from connex.celery import app
from customers.models import Customer
from messaging.models import Message, MessagingOptions
from tests.factories import AlertFactory, CustomerFactory
from tests.messaging.loopback import SmtpServer


@pytest.fixture
def worker(transactional_db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, loglevel="WARNING"):
        yield
    app.conf.task_always_eager = True


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
def test_the_periodic_task_fires_an_alert_and_the_worker_delivers_its_email(worker):
    with SmtpServer() as server:
        options = MessagingOptions.get()
        options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", server.port, False
        options.save()
        customer = CustomerFactory(name="Acme", balance=Decimal("3"))
        alert = AlertFactory(customer=customer, title="Low credit", recipients=["noc@acme.test"], penalty=True,
                             subject="{{ alert.event }}: {{ alert.title }} at {{ alert.value }}")
        # Enqueued by the name beat uses, as beat would.
        schedule = django_settings.PERIODIC_TASKS["alerts-evaluate"]
        app.send_task(schedule["task"])

        assert wait_until(lambda: Message.objects.filter(kind="alert", state=Message.State.SENT).exists())
        assert server.handler.to_addresses() == ["noc@acme.test"]
        assert server.handler.mails[0]["message"]["Subject"] == "Fired: Low credit at 3"
        event = AlertEvent.objects.get(alert=alert)
        assert (event.kind, event.penalty) == ("fired", "applied")
        assert Customer.objects.get(pk=customer.pk).status == Customer.Status.PENALTY
        # Run again: still crossed, no repeat configured, so nothing new.
        result = app.send_task(schedule["task"]).get(timeout=30)
        assert result["fired"] == 0 and AlertEvent.objects.count() == 1
