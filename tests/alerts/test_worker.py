"""The periodic evaluation through a real Celery worker, to a real (loopback) mail server."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from alerts.models import AlertEvent
from connex.celery import app
from customers.models import Customer
from messaging.models import Message, MessagingOptions
from tests.celery_worker import wait_until
from tests.factories import AlertFactory, CustomerFactory
from tests.messaging.loopback import SmtpServer


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
