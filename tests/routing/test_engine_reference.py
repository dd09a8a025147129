"""The engine (cached snapshot, in-memory prefix maps) equals a plain reference that asks the
database directly for every route, revision and longest prefix (rates.selectors.rate_lookup)."""

import random
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.models import ProviderRateCard
from rates.selectors import rate_lookup
from routing.cache import routing_cache
from routing.engine import CallRequest, decide
from routing.models import IngressRoute
from tests.routing.helpers import NOW, customer_with_route, deck, provider

pytestmark = pytest.mark.django_db

PREFIXES = ["1", "33", "4", "44", "447", "4479", "44791"]
NUMBERS = ["447911123456", "447700900123", "442071234567", "33612345678", "15551234567", "4912345"]
rates = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.2"), places=3)
decks = st.dictionaries(st.sampled_from(PREFIXES), st.tuples(rates, st.booleans()), max_size=5)


def as_rows(generated):
    return {prefix: {"rate": rate, "blocked": blocked and prefix != "4"} for prefix, (rate, blocked)
            in generated.items()}


def reference(customer, number):
    """(allowed, route id, (prefix, rate), [(provider id, gateway id, cost)]) by direct queries."""
    routes = sorted(IngressRoute.objects.filter(customer=customer),
                    key=lambda r: (-len(r.tech_prefix), r.dial_pattern == "", r.priority, r.pk))
    route = next((r for r in routes if number.startswith(r.tech_prefix)
                  and (not r.dial_pattern or re.search(r.dial_pattern, number[len(r.tech_prefix):]))), None)
    if route is None:
        return (False, None, None, [])
    number = number[len(route.tech_prefix):]
    sell = rate_lookup(card_id=route.rate_card_id, number=number, at=NOW)
    if not sell.found or sell.blocked:
        return (False, route.pk, sell.found and (sell.prefix, sell.rate), [])
    locks, excludes = set(route.lock_cards.values_list("pk", flat=True)), set(route.exclude_cards.values_list(
        "pk", flat=True))
    offers = []
    for link in ProviderRateCard.objects.select_related("provider"):
        if (locks and link.card_id not in locks) or link.card_id in excludes:
            continue
        buy = rate_lookup(card_id=link.card_id, number=number, at=NOW)
        if not buy.found or buy.blocked:
            continue
        if route.provider_capped_rate is not None and buy.rate > route.provider_capped_rate:
            continue
        if route.profit_assurance and buy.rate > sell.rate:
            continue
        offers.append((buy.rate, buy.connect_fee, link.provider.tier, link.provider_id,
                       [g.pk for g in link.provider.gateways.order_by("-weight", "pk")]))
    offers.sort(key=lambda o: o[:4])
    ordered = [(o[3], gateway, o[0]) for o in offers for gateway in o[4]][:route.max_providers]
    return (bool(ordered), route.pk, (sell.prefix, sell.rate), ordered)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sell=decks, buys=st.lists(decks, min_size=1, max_size=4), number=st.sampled_from(NUMBERS),
       profit=st.booleans(), cap=st.none() | rates, lock=st.sets(st.integers(0, 3)), exclude=st.sets(st.integers(0, 3)),
       pattern=st.sampled_from(["", "^44", "^3"]), max_providers=st.integers(1, 5),
       superseded=st.booleans())
def test_engine_equals_the_reference(sell, buys, number, profit, cap, lock, exclude, pattern, max_providers,
                                     superseded):
    with transaction.atomic():
        routing_cache.clear()
        customer, route = customer_with_route(rows=as_rows(sell) or {"9": "0.01"}, balance="100",
                                              profit_assurance=profit, provider_capped_rate=cap,
                                              dial_pattern=pattern, max_providers=max_providers)
        links = [provider(as_rows(rows) or {"9": "0.01"}, gateways=1 + i % 2) for i, rows in enumerate(buys)]
        if superseded:  # an older revision must not leak into the answer
            deck(links[0].card, {"44": "0.0001"}, live_from=NOW - timedelta(days=90))
        route.lock_cards.set([links[i].card for i in lock if i < len(links)])
        route.exclude_cards.set([links[i].card for i in exclude if i < len(links)])

        decision = decide(CallRequest(dialed=number, customer_id=customer.pk, at=NOW), rng=random.Random(0))
        expected = reference(customer, number)

        got_rate = decision.rate and (decision.rate["prefix"], decision.rate["per_min"])
        assert (decision.allowed, decision.route_id) == expected[:2], decision.trace
        if expected[2]:
            assert got_rate == expected[2]
        assert [(o.provider_id, o.gateway_id, o.cost_rate) for o in decision.routes] == expected[3]
        transaction.set_rollback(True)
