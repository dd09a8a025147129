"""Demo DIDs for `manage.py seed_demo` (idempotent): origination cards, numbers in stock and assigned."""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction

from customers.models import Customer
from providers.models import Provider
from rates.models import RateCard, RateRevision, RateRow

from .models import Did
from .services import did_save

LIVE = datetime(2026, 1, 1, tzinfo=UTC)


def _card(name, kind, currency, rate):
    card, created = RateCard.objects.get_or_create(
        name=name, defaults={"kind": kind, "direction": RateCard.Direction.ORIGINATION, "currency": currency})
    if created:
        revision = RateRevision.objects.create(card=card, live_from=LIVE, source="demo", row_count=2)
        RateRow.objects.bulk_create([RateRow(revision=revision, prefix="44", name="UK geographic", rate=rate),
                                     RateRow(revision=revision, prefix="1", name="USA", rate=rate / 2)])
    return card


@transaction.atomic
def load_demo_dids(stdout):
    if Did.objects.exists():
        return
    provider = Provider.objects.order_by("pk").first()
    if provider is None:
        return
    buy = _card("DID origination buy", RateCard.Kind.PROVIDER, provider.currency, Decimal("0.0020"))
    sell = _card("DID origination sell", RateCard.Kind.CUSTOMER, provider.currency, Decimal("0.0100"))
    customers = list(Customer.objects.filter(currency=provider.currency).order_by("pk")[:3])
    for index in range(10):
        did = Did(number=f"+4420718{index:05d}", provider=provider, provider_card=buy)
        if index < len(customers) * 2:
            did.customer, did.customer_card = customers[index // 2], sell
            did.destination_type, did.destination_uri = Did.DestinationType.URI, f"sip:{index}@pbx.example.com"
        did_save(did=did)
    stdout.write("Demo DIDs: 10 numbers, some assigned.\n")
