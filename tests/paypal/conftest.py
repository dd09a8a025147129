import pytest

from paypal.models import PayPalOptions

from .standin import PayPalStandIn

COMPANY_PAYPAL = "pay@carrier.example"


@pytest.fixture
def paypal(settings, db):
    """The local PayPal stand-in, with the panel pointed at it and PayPal top-ups enabled."""
    with PayPalStandIn() as standin:
        settings.PAYPAL_URL = standin.url
        settings.PAYPAL_VERIFY_URL = standin.url
        settings.PAYPAL_VERIFY_TIMEOUT = 5
        PayPalOptions.objects.update_or_create(pk=1, defaults={
            "enabled": True, "receiver_email": COMPANY_PAYPAL, "exchange_rates": "EUR USD 1.10"})
        yield standin
