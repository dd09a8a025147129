"""Demo rate cards for `manage.py seed_demo`: a provider (buy) card and a sell card per currency."""

import io
from datetime import UTC, datetime
from decimal import Decimal

# prefix, destination, buy rate per minute, MCD, pulse
DEMO_ROWS = [
    ("1", "United States", "0.0040", 6, 6), ("1212", "United States - New York", "0.0045", 6, 6),
    ("1415", "United States - California", "0.0050", 6, 6), ("44", "United Kingdom", "0.0060", 1, 1),
    ("4420", "United Kingdom - London", "0.0065", 1, 1), ("447", "United Kingdom - Mobile", "0.0200", 30, 6),
    ("4477009", "United Kingdom - Mobile (test range)", "0.0220", 30, 6), ("49", "Germany", "0.0070", 1, 1),
    ("4915", "Germany - Mobile", "0.0300", 30, 6), ("33", "France", "0.0090", 1, 1),
    ("331", "France - Paris", "0.0095", 1, 1), ("91", "India", "0.0071", 1, 1),
    ("234", "Nigeria", "0.1100", 60, 60), ("2348", "Nigeria - Mobile", "0.1200", 60, 60),
    ("882", "International networks", "0.9000", 60, 60),
]
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def _deck(markup):
    lines = ["prefix,name,rate,connect_fee,mcd,pulse,grace,blocked"]
    for prefix, name, rate, mcd, pulse in DEMO_ROWS:
        blocked = "true" if prefix == "882" else "false"
        sell = (Decimal(rate) * markup).quantize(Decimal("0.0001"))
        lines.append(f"{prefix},{name},{sell},0,{mcd},{pulse},{0 if markup == 1 else 3},{blocked}")
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def load_demo_rate_cards(stdout):
    from customers.models import Customer
    from routing.models import IngressRoute

    from .decks import rate_deck_import
    from .models import RateCard

    if RateCard.objects.exists():
        stdout.write("Rate cards: demo cards already present.")
        return
    provider = RateCard.objects.create(name="Wholesale buy (USD)", kind=RateCard.Kind.PROVIDER, currency="USD")
    rate_deck_import(card=provider, stream=_deck(Decimal("1")), live_from=SINCE, source="demo")
    cards = {}
    for currency in Customer.objects.values_list("currency", flat=True).distinct().order_by("currency"):
        card = RateCard.objects.create(name=f"Retail {currency}", currency=currency)
        rate_deck_import(card=card, stream=_deck(Decimal("1.4")), live_from=SINCE, source="demo")
        cards[currency] = card
    routes = [IngressRoute(customer=customer, rate_card=cards[customer.currency])
              for customer in Customer.objects.order_by("pk")]
    IngressRoute.objects.bulk_create(routes)
    stdout.write(f"Rate cards: 1 provider card, {len(cards)} sell cards, {len(routes)} ingress routes.")
