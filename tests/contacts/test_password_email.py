"""The generated password travels through the outbox and a real SMTP conversation on loopback."""

import socket

import pytest
from aiosmtpd.controller import Controller

from contacts.models import Contact
from messaging.models import Message
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class Collector:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield collector
    controller.stop()


def test_generated_password_email_reaches_smtp_with_password_not_hash(
        staff_client, smtp_server, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="Acme")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/contacts/customer/{customer.pk}/new/", {
            "name": "Nora Ops", "email": "nora@acme.test", "contact_type": "noc", "auto_password": "on",
            "action": "continue"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    contact = Contact.objects.get(email="nora@acme.test")

    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ["nora@acme.test"]
    raw = envelope.content.decode()
    password = raw.split("Password: ")[1].split()[0]
    assert len(password) >= 12 and contact.check_password(password)
    assert contact.password not in raw and contact.password.split("$")[-1] not in raw
    assert password not in contact.password
    # Staff never see it: not in the page that confirmed the save.
    assert password not in response.content.decode()
    assert Message.objects.get(contact=contact).state == Message.State.SENT
