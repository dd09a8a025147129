from decimal import Decimal

from dids.models import Did
from dids.services import did_save
from tests.factories import CustomerFactory, GatewayFactory, ProviderFactory, RateCardFactory
from tests.routing.helpers import deck

NUMBER = "442071838750"
PROVIDER_IP = "203.0.113.77"


def inbound_setup(*, balance="10", sell="0.0100", buy="0.0020", status="active", uri="sip:100@pbx.example.com"):
    """A customer holding one DID (+442071838750) bought from a provider whose gateway is PROVIDER_IP."""
    customer = CustomerFactory(balance=Decimal(balance), debit_limit=Decimal("0"), status=status)
    provider = ProviderFactory(currency=customer.currency)
    GatewayFactory(provider=provider, host=PROVIDER_IP)
    sell_card = RateCardFactory(kind="customer", direction="origination", currency=customer.currency)
    deck(sell_card, {"44": {"rate": sell, "mcd": 0, "pulse": 1}})
    buy_card = RateCardFactory(kind="provider", direction="origination", currency=customer.currency)
    deck(buy_card, {"4420": buy})
    did = did_save(did=Did(number="+" + NUMBER, provider=provider, provider_card=buy_card, customer=customer,
                           customer_card=sell_card, destination_type=Did.DestinationType.URI, destination_uri=uri))
    return customer, did
