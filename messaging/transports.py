"""Delivery of one Message. A new provider is one more Transport subclass here.

Providers are configured in Settings → Email / SMS (MessagingOptions); the environment
(EMAIL_URL, DEFAULT_FROM_EMAIL, TWILIO_*) is the fallback when those are blank.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string


class TransportError(Exception):
    """Delivery failed. `transient` errors are retried with backoff; permanent ones are final."""

    def __init__(self, message, *, transient, unreachable=False):
        super().__init__(message)
        self.transient = transient
        # The provider could not be reached at all: not this message's fault, so a batch pauses.
        self.unreachable = unreachable
        self.attempts = 0  # set by the outbox when it hands the error on for a retry


class NotConfigured(Exception):
    """No provider is set up for this channel: the message stays in the outbox, visibly."""


class Transport:
    """Use as a context manager to send many messages over one connection."""

    def send(self, message) -> str:
        """Deliver `message`; return the provider's message id or raise TransportError."""
        raise NotImplementedError

    def open(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


def _smtp_error(exc):
    """Classify smtplib's errors: 4xx replies and dropped connections are worth retrying."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                           for rcpt, (code, msg) in exc.recipients.items())
        return TransportError(f"Recipient refused: {detail}", transient=all(400 <= c < 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return TransportError(f"SMTP {exc.smtp_code}: {text}", transient=400 <= exc.smtp_code < 500)
    unreachable = isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError)
    return TransportError(str(exc) or exc.__class__.__name__, transient=unreachable, unreachable=unreachable)


class EmailTransport(Transport):
    def __init__(self, *, from_email, connection_kwargs=None):
        self.from_email = from_email
        self.connection_kwargs = connection_kwargs
        self.connection = None

    @classmethod
    def from_options(cls, options):
        if options.smtp_host:
            kwargs = {"backend": "django.core.mail.backends.smtp.EmailBackend", "host": options.smtp_host,
                      "port": options.smtp_port or (587 if options.smtp_use_tls else 25),
                      "username": options.smtp_username, "password": options.smtp_password,
                      "use_tls": options.smtp_use_tls, "timeout": 30}
        else:
            kwargs = None  # EMAIL_URL from the environment
        return cls(from_email=options.email_from or settings.DEFAULT_FROM_EMAIL, connection_kwargs=kwargs)

    def _connection(self):
        if self.connection is None:
            self.connection = get_connection(**(self.connection_kwargs or {}))
        return self.connection

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None

    def send(self, message):
        email = EmailMessage(subject=message.subject, body=message.body, to=[message.to],
                             from_email=self.from_email, connection=self._connection())
        if message.attachment:
            message.attachment.open("rb")
            try:
                email.attach(message.attachment.name.rsplit("/", 1)[-1], message.attachment.read(),
                             "application/pdf")
            finally:
                message.attachment.close()
        try:
            # Opened here, not by send(), so one session carries every message of a batch.
            self.connection.open()
            email.send(fail_silently=False)
        except smtplib.SMTPException as exc:  # before OSError: smtplib's errors subclass it
            self.close()  # the session may be half-way through a transaction; start clean
            raise _smtp_error(exc)
        except OSError as exc:
            self.close()
            raise TransportError(str(exc) or exc.__class__.__name__, transient=True, unreachable=True)
        return ""


class TwilioSmsTransport(Transport):
    def __init__(self, account_sid, auth_token, sender, http_client=None):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.http_client = http_client
        self.client = None

    def _client(self):
        if self.client is None:
            from twilio.rest import Client

            self.client = Client(self.account_sid, self.auth_token, http_client=self.http_client)
        return self.client

    def send(self, message):
        from twilio.base.exceptions import TwilioRestException

        params = {"to": message.to, "body": message.body}
        if self.sender.startswith("MG"):
            params["messaging_service_sid"] = self.sender
        else:
            params["from_"] = self.sender
        try:
            result = self._client().messages.create(**params)
        except TwilioRestException as exc:
            transient = exc.status == 429 or exc.status >= 500
            code = f" (error {exc.code})" if exc.code else ""
            raise TransportError(f"Twilio {exc.status}{code}: {exc.msg}", transient=transient)
        except OSError as exc:  # requests' connection errors and timeouts
            raise TransportError(str(exc) or exc.__class__.__name__, transient=True, unreachable=True)
        return result.sid


def twilio_http_client():
    """An optional twilio HttpClient (settings.TWILIO_HTTP_CLIENT, a dotted path), e.g. for a proxy."""
    path = getattr(settings, "TWILIO_HTTP_CLIENT", "")
    return import_string(path)() if path else None


def sms_credentials(options):
    if options.sms_account_sid and options.sms_auth_token and options.sms_sender:
        return options.sms_account_sid, options.sms_auth_token, options.sms_sender
    return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM


def sms_configured(options=None) -> bool:
    from .models import MessagingOptions

    return all(sms_credentials(options or MessagingOptions.get()))


def transport_for(channel, options=None):
    from .models import MessagingOptions

    options = options or MessagingOptions.get()
    if channel == "email":
        return EmailTransport.from_options(options)
    sid, token, sender = sms_credentials(options)
    if sid and token and sender:
        return TwilioSmsTransport(sid, token, sender, http_client=twilio_http_client())
    raise NotConfigured("not sent: no SMS provider configured")
