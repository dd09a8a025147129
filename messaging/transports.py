"""Delivery of one Message. A new provider is one more Transport subclass here."""

from django.conf import settings
from django.core.mail import EmailMessage


class TransportError(Exception):
    """Delivery failed. `transient` errors are retried with backoff; permanent ones are final."""

    def __init__(self, message, *, transient):
        super().__init__(message)
        self.transient = transient


class NotConfigured(Exception):
    """No provider is set up for this channel: the message stays in the outbox, visibly."""


class Transport:
    def send(self, message) -> str:
        """Deliver `message`; return the provider's message id or raise TransportError."""
        raise NotImplementedError


class EmailTransport(Transport):
    def send(self, message):
        email = EmailMessage(subject=message.subject, body=message.body, to=[message.to],
                             from_email=settings.DEFAULT_FROM_EMAIL)
        if message.attachment:
            message.attachment.open("rb")
            try:
                email.attach(message.attachment.name.rsplit("/", 1)[-1], message.attachment.read(),
                             "application/pdf")
            finally:
                message.attachment.close()
        try:
            email.send(fail_silently=False)
        except (ConnectionError, TimeoutError) as exc:
            raise TransportError(str(exc) or exc.__class__.__name__, transient=True)
        except OSError as exc:
            raise TransportError(str(exc) or exc.__class__.__name__, transient=True)
        except Exception as exc:  # smtplib's refusals and the like
            import smtplib

            transient = isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError) or (
                isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 500
            )
            raise TransportError(str(exc), transient=transient)
        return ""


class TwilioSmsTransport(Transport):
    def __init__(self, account_sid, auth_token, sender, http_client=None):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.http_client = http_client

    def send(self, message):
        from twilio.base.exceptions import TwilioRestException
        from twilio.rest import Client

        client = Client(self.account_sid, self.auth_token, http_client=self.http_client)
        params = {"to": message.to, "body": message.body}
        if self.sender.startswith("MG"):
            params["messaging_service_sid"] = self.sender
        else:
            params["from_"] = self.sender
        try:
            result = client.messages.create(**params)
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500
            raise TransportError(f"Twilio {exc.status}: {exc.msg}", transient=transient)
        except OSError as exc:
            raise TransportError(str(exc), transient=True)
        return result.sid


def transport_for(channel):
    if channel == "email":
        return EmailTransport()
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM:
        return TwilioSmsTransport(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM)
    raise NotConfigured("not sent: no SMS provider configured")
