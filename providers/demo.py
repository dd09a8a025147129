"""Demo providers with gateways and buy cards, customers' routes with strategies, and CLI rules
for `manage.py seed_demo` (idempotent)."""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction

from customers.models import Customer
from rates.models import RateCard, RateRevision, RateRow

from .models import Gateway, Provider, ProviderRateCard

LIVE = datetime(2026, 1, 1, tzinfo=UTC)
DESTINATIONS = [("44", "United Kingdom"), ("447", "UK mobile"), ("4479", "UK mobile Vodafone"),
                ("4420", "London"), ("33", "France"), ("336", "France mobile"), ("1", "USA and Canada"),
                ("49", "Germany"), ("4915", "Germany mobile")]
CARRIERS = [("Northwind Voice", 1, 70, Decimal("0.90")), ("Bluewave Carrier", 1, 30, Decimal("1.00")),
            ("Atlas Telecom", 2, 100, Decimal("1.15"))]
STRATEGIES = ["lcr", "weighted", "round_robin", "reverse", "random", "lcr"]


def _deck(card, factor, base=Decimal("0.0100")):
    revision = RateRevision.objects.create(card=card, live_from=LIVE, source="demo", row_count=len(DESTINATIONS))
    RateRow.objects.bulk_create(
        RateRow(revision=revision, prefix=prefix, name=name, rate=(base * (1 + index % 4) * factor).quantize(
            Decimal("0.000001")), mcd=30 if prefix.startswith("447") else 0, pulse=6 if prefix.startswith("44") else 1)
        for index, (prefix, name) in enumerate(DESTINATIONS))


@transaction.atomic
def load_demo_routing(stdout):
    from clirules.models import CliRule
    from routing.models import IngressRoute

    if Provider.objects.exists():
        return
    currency = "USD"
    for index, (name, tier, weight, factor) in enumerate(CARRIERS):
        provider = Provider.objects.create(name=name, currency=currency, tier=tier, weight=weight)
        for gateway in range(1 + index % 2):
            Gateway.objects.create(provider=provider, host=f"198.18.{index}.{10 + gateway}", port=5060,
                                   tech_prefix="" if index else "77", channels=300, flow_speed=50,
                                   weight=100 - 20 * gateway)
        card = RateCard.objects.create(name=f"{name} buy", kind=RateCard.Kind.PROVIDER, currency=currency)
        _deck(card, factor)
        ProviderRateCard.objects.create(provider=provider, card=card)
    sell = RateCard.objects.filter(kind=RateCard.Kind.CUSTOMER, currency=currency).first()
    if sell is None:
        sell = RateCard.objects.create(name="Retail USD", kind=RateCard.Kind.CUSTOMER, currency=currency)
        _deck(sell, Decimal("1.40"))
    customers = Customer.objects.filter(currency=currency).order_by("pk")[:len(STRATEGIES)]
    for index, customer in enumerate(customers):
        if customer.ingress_routes.exists():
            continue
        IngressRoute.objects.create(customer=customer, rate_card=sell, strategy=STRATEGIES[index],
                                    profit_assurance=index % 2 == 0, max_providers=3,
                                    provider_capped_rate=Decimal("0.05") if index == 5 else None)
        if index < 2:
            CliRule.objects.create(customer=customer, position=1, dialed_pattern="^44", cli_pattern=r"^0(\d{10})$",
                                   rewrite_cli=r"44\1")
            CliRule.objects.create(customer=customer, position=2, cli_pattern=r"^\d{8,15}$")
    stdout.write(f"Demo routing: {len(CARRIERS)} providers, routes for {len(customers)} customers.\n")
