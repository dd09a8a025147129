from datetime import UTC, datetime
from decimal import Decimal

from rates.models import RateRevision, RateRow
from tests.factories import (
    CustomerFactory,
    GatewayFactory,
    IngressRouteFactory,
    ProviderRateCardFactory,
    RateCardFactory,
)

LIVE = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def deck(card, rows, live_from=LIVE):
    """A revision of `card` from {prefix: rate} or {prefix: dict of row fields}."""
    revision = RateRevision.objects.create(card=card, live_from=live_from, row_count=len(rows))
    RateRow.objects.bulk_create([
        RateRow(revision=revision, prefix=prefix, **({"rate": Decimal(str(terms))} if not isinstance(terms, dict)
                                                     else {k: Decimal(str(v)) if k in ("rate", "connect_fee") else v
                                                           for k, v in terms.items()}))
        for prefix, terms in rows.items()])
    return revision


def customer_with_route(rows=None, balance="10", **route_fields):
    customer = CustomerFactory(balance=Decimal(balance), debit_limit=Decimal("0"), channels=10)
    card = RateCardFactory(currency=customer.currency)
    deck(card, rows or {"44": "0.0100", "447": "0.0500", "4479": {"rate": "0.1200", "connect_fee": "0.0100",
                                                                   "mcd": 30, "pulse": 6}})
    route = IngressRouteFactory(customer=customer, rate_card=card, **route_fields)
    return customer, route


def provider(rows, name=None, gateways=1, currency="USD", **provider_fields):
    link = ProviderRateCardFactory(**({"provider__name": name} if name else {}), provider__currency=currency,
                                   **{f"provider__{k}": v for k, v in provider_fields.items()})
    deck(link.card, rows)
    for _ in range(gateways):
        GatewayFactory(provider=link.provider)
    return link
