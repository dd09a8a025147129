import pytest

from messaging.models import MessagingOptions
from tests.messaging.loopback import LoopbackTwilioHttpClient, SmtpServer, TwilioApiServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
SENDER = "+14155550100"


@pytest.fixture
def smtp_server(db):
    """A real SMTP server on loopback, set as the account's mail server in Settings → Email."""
    with SmtpServer() as server:
        options = MessagingOptions.get()
        options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", server.port, False
        options.email_from = "Connex Billing <billing@connex.test>"
        options.save()
        yield server.handler


@pytest.fixture
def twilio_api(db, settings):
    """A local HTTP server answering as Twilio's API, reached through twilio's HTTP client hook."""
    with TwilioApiServer() as server:
        LoopbackTwilioHttpClient.base_url = server.url
        settings.TWILIO_HTTP_CLIENT = "tests.messaging.loopback.LoopbackTwilioHttpClient"
        options = MessagingOptions.get()
        options.sms_account_sid, options.sms_auth_token, options.sms_sender = ACCOUNT_SID, AUTH_TOKEN, SENDER
        options.sms_rate_per_second = 50
        options.save()
        yield server

