import random
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from routing.engine import CallRequest, Refusal, decide
from tests.factories import (
    AllowedWindowFactory,
    ApprovedCLIFactory,
    CliRuleFactory,
    IngressRouteFactory,
    IpAuthEntryFactory,
    RateCardFactory,
    SipUserFactory,
)
from tests.routing.helpers import NOW, customer_with_route, deck, provider

pytestmark = pytest.mark.django_db
UK_MOBILE = "447911123456"


def call(customer, dialed=UK_MOBILE, rng=None, **extra):
    extra.setdefault("cli", "442071234567")
    return decide(CallRequest(dialed=dialed, customer_id=customer.pk, at=NOW, **extra), rng=rng or random.Random(7))


def providers_of(decision):
    return [offer.provider for offer in decision.routes]


@pytest.fixture
def carriers():
    return {"A": provider({"44": "0.0300", "4479": "0.0850"}, name="A"),
            "B": provider({"4479": "0.0600"}, name="B"),
            "C": provider({"4479": "0.1100"}, name="C"),
            "D": provider({"33": "0.0100"}, name="D")}


# Choosing the route


def test_tech_prefix_picks_the_route_and_is_stripped_before_the_rate_lookup(carriers):
    customer, plain = customer_with_route()
    premium = RateCardFactory(currency=customer.currency)
    deck(premium, {"4479": "0.2000"})
    tech = IngressRouteFactory(customer=customer, rate_card=premium, tech_prefix="123")

    with_prefix = call(customer, "123#" + UK_MOBILE)
    without = call(customer)

    assert (with_prefix.route_id, with_prefix.dialed, with_prefix.rate["per_min"]) == (tech.pk, UK_MOBILE,
                                                                                        Decimal("0.2"))
    assert (without.route_id, without.rate["per_min"]) == (plain.pk, Decimal("0.12"))
    assert with_prefix.routes[0].uri.startswith(f"sip:{UK_MOBILE}@")


def test_the_longer_of_two_nested_tech_prefixes_wins_and_only_it_is_stripped(carriers):
    customer, _ = customer_with_route()
    short_card, long_card = RateCardFactory(currency=customer.currency), RateCardFactory(currency=customer.currency)
    deck(short_card, {"3": "0.9000", "4479": "0.3000"})  # "123447…" after "12" would start with 3
    deck(long_card, {"3": "0.8000", "4479": "0.2000"})
    short = IngressRouteFactory(customer=customer, rate_card=short_card, tech_prefix="12")
    long = IngressRouteFactory(customer=customer, rate_card=long_card, tech_prefix="123")

    nested = call(customer, "123" + UK_MOBILE)
    outer = call(customer, "12" + UK_MOBILE)

    assert (nested.route_id, nested.dialed, nested.rate["prefix"], nested.rate["per_min"]) == (
        long.pk, UK_MOBILE, "4479", Decimal("0.2"))
    assert (outer.route_id, outer.dialed, outer.rate["prefix"], outer.rate["per_min"]) == (
        short.pk, UK_MOBILE, "4479", Decimal("0.3"))


def test_a_matching_dial_pattern_wins_over_the_catch_all(carriers):
    customer, catch_all = customer_with_route()
    mobiles = IngressRouteFactory(customer=customer, rate_card=catch_all.rate_card, dial_pattern="^447")

    assert call(customer).route_id == mobiles.pk
    assert call(customer, "442071234567").route_id == catch_all.pk


def test_no_route_for_the_number_is_404():
    customer, _ = customer_with_route(dial_pattern="^33")

    decision = call(customer)

    assert (decision.allowed, decision.sip_code, decision.reasons) == (False, 404, ["no route"])


def test_customer_found_by_source_ip_and_tech_prefix_or_sip_user(carriers):
    first, _ = customer_with_route(tech_prefix="11")
    second, _ = customer_with_route(tech_prefix="22")
    IpAuthEntryFactory(customer=first, address="198.51.100.7", tech_prefix="11")
    IpAuthEntryFactory(customer=second, address="198.51.100.7", tech_prefix="22")
    sip_user = SipUserFactory(customer=second)

    by_ip = decide(CallRequest(dialed="22" + UK_MOBILE, source_ip="198.51.100.7", at=NOW))
    by_user = decide(CallRequest(dialed="22" + UK_MOBILE, sip_user=sip_user.username, at=NOW))
    stranger = decide(CallRequest(dialed=UK_MOBILE, source_ip="192.0.2.1", at=NOW))

    assert (by_ip.customer_id, by_ip.allowed) == (second.pk, True)
    assert by_user.customer_id == second.pk
    assert (stranger.allowed, stranger.sip_code, stranger.reasons) == (False, 403, ["unknown caller"])


# Providers and strategies


def test_lcr_orders_cheapest_first_and_drops_providers_without_the_prefix(carriers):
    customer, _ = customer_with_route()

    decision = call(customer)

    assert decision.allowed and providers_of(decision) == ["B", "A", "C"]
    assert [o.cost_rate for o in decision.routes] == [Decimal("0.06"), Decimal("0.085"), Decimal("0.11")]
    assert any("D (" in s.text and "no prefix" in s.text for s in decision.trace)


def test_reverse_lcr_orders_dearest_first(carriers):
    customer, _ = customer_with_route(strategy="reverse")

    assert providers_of(call(customer)) == ["C", "A", "B"]


def test_round_robin_rotates_the_cheapest_first_order(carriers):
    customer, _ = customer_with_route(strategy="round_robin")

    orders = [providers_of(decide(CallRequest(dialed=UK_MOBILE, customer_id=customer.pk, at=NOW), rotation=n))
              for n in range(4)]

    assert orders == [["B", "A", "C"], ["A", "C", "B"], ["C", "B", "A"], ["B", "A", "C"]]


def test_random_order_follows_the_seed(carriers):
    customer, _ = customer_with_route(strategy="random")

    orders = {tuple(providers_of(call(customer, rng=random.Random(seed)))) for seed in range(30)}

    assert tuple(providers_of(call(customer, rng=random.Random(3)))) == tuple(
        providers_of(call(customer, rng=random.Random(3))))
    assert len(orders) > 3 and all(sorted(order) == ["A", "B", "C"] for order in orders)


def test_weighted_tiers_try_the_lower_tier_first_and_share_by_weight():
    provider({"44": "0.09"}, name="heavy", tier=1, weight=70)
    provider({"44": "0.01"}, name="light", tier=1, weight=30)
    provider({"44": "0.001"}, name="backup", tier=2)
    customer, _ = customer_with_route(strategy="weighted")

    orders = [providers_of(call(customer, rng=random.Random(seed))) for seed in range(400)]

    assert all(order[2] == "backup" for order in orders)
    heavy_first = sum(order[0] == "heavy" for order in orders) / len(orders)
    assert 0.6 < heavy_first < 0.8


def test_drop_strategy_refuses_with_403(carriers):
    customer, _ = customer_with_route(strategy="drop")

    decision = call(customer)

    assert (decision.allowed, decision.sip_code, decision.reasons) == (False, 403, ["route drops calls"])


def test_lock_list_keeps_only_those_cards_and_exclude_list_removes(carriers):
    customer, route = customer_with_route()
    route.lock_cards.set([carriers["A"].card, carriers["C"].card])
    assert providers_of(call(customer)) == ["A", "C"]

    route.lock_cards.clear()
    route.exclude_cards.set([carriers["B"].card])
    decision = call(customer)
    assert providers_of(decision) == ["A", "C"]
    assert any("B (" in s.text and "excluded" in s.text for s in decision.trace)


def test_provider_capped_rate_drops_dearer_providers(carriers):
    customer, _ = customer_with_route(provider_capped_rate=Decimal("0.09"))

    assert providers_of(call(customer)) == ["B", "A"]


def test_profit_assurance_drops_a_provider_dearer_than_the_customer_rate(carriers):
    customer, _ = customer_with_route(profit_assurance=True)  # customer pays 0.12; C costs 0.11

    assert providers_of(call(customer)) == ["B", "A", "C"]
    customer, _ = customer_with_route(profit_assurance=True, rows={"4479": "0.0800"})
    decision = call(customer)
    assert providers_of(decision) == ["B"]
    assert any("profit assurance" in s.text and s.text.startswith("A (") for s in decision.trace)


def test_every_gateway_of_a_provider_is_offered_up_to_max_providers():
    provider({"44": "0.01"}, name="two", gateways=2)
    provider({"44": "0.02"}, name="one")
    customer, _ = customer_with_route(max_providers=2)

    decision = call(customer)

    assert providers_of(decision) == ["two", "two"]
    assert len({o.gateway_id for o in decision.routes}) == 2


def test_no_provider_is_480():
    customer, _ = customer_with_route()

    decision = call(customer)

    assert (decision.allowed, decision.sip_code, decision.reasons) == (False, 480, ["no provider"])


# Rate, credit, admission


def test_max_duration_is_what_the_credit_covers_on_the_pulse_grid(carriers):
    customer, _ = customer_with_route(balance="0.80")  # 4479 at 0.12/min, connect 0.01, 30/6

    decision = call(customer)

    assert decision.allowed and decision.max_duration == 390
    assert decision.rate["prefix"] == "4479"


@pytest.mark.parametrize(("setup", "reason", "code"), [
    (lambda c, r: Customer.objects.filter(pk=c.pk).update(status="inactive"), "status not active (Inactive)", 403),
    (lambda c, r: Customer.objects.filter(pk=c.pk).update(balance=Decimal("-1")), "balance below debit limit",
     402),
    (lambda c, r: Customer.objects.filter(pk=c.pk).update(balance=Decimal("0.005")), "insufficient credit", 402),
    (lambda c, r: AllowedWindowFactory(customer=c, start=time(1), end=time(2)), "outside allowed time", 403),
    (lambda c, r: Customer.objects.filter(pk=c.pk).update(email_verification_required=True),
     "verification pending (email)", 403),
    (lambda c, r: Customer.objects.filter(pk=c.pk).update(approved_clis_only=True), "CLI not approved", 403),
    (lambda c, r: CliRuleFactory(customer=c, cli_pattern="^1"), "CLI restriction", 403),
    (lambda c, r: deck(r.rate_card, {"33": "0.01"}, live_from=NOW - timedelta(hours=1)), "no rate", 404),
    (lambda c, r: deck(r.rate_card, {"4479": {"rate": "0.1", "blocked": True}}, live_from=NOW - timedelta(hours=1)),
     "destination blocked", 403),
    (lambda c, r: type(r).objects.filter(pk=r.pk).update(capped_rate=Decimal("0.1")), "destination blocked", 403),
    (lambda c, r: type(r).objects.filter(pk=r.pk).update(block_connect_cost=True), "destination blocked", 403),
])
def test_each_refusal_reason_has_its_sip_code(carriers, setup, reason, code):
    customer, route = customer_with_route()
    setup(customer, route)
    from routing.cache import routing_cache

    routing_cache.clear()  # updates through .update() send no signal

    decision = call(customer)

    assert (decision.allowed, decision.sip_code, decision.reasons) == (False, code, [reason])
    assert decision.routes == [] and decision.max_duration == 0
    assert any(step.ok is False for step in decision.trace)


def test_every_reason_is_listed_and_the_first_step_sets_the_code(carriers):
    customer, _ = customer_with_route(balance="-5")
    Customer.objects.filter(pk=customer.pk).update(status="inactive")
    CliRuleFactory(customer=customer, cli_pattern="^1")

    decision = call(customer)

    assert decision.reasons == ["status not active (Inactive)", "balance below debit limit", "CLI restriction"]
    assert decision.sip_code == 403


def test_refusal_codes_are_documented_in_one_table():
    documented = Refusal.__doc__
    for reason, code in (value for name, value in vars(Refusal).items() if name.isupper()):
        assert f"| {reason:<25} | {code} |" in documented


# CLI rules


def test_first_matching_cli_rule_rewrites_the_cli(carriers):
    customer, _ = customer_with_route()
    CliRuleFactory(customer=customer, position=1, dialed_pattern="^33", cli_pattern=".*", rewrite_cli="999")
    CliRuleFactory(customer=customer, position=2, dialed_pattern="^44", cli_pattern=r"^0(\d{10})$",
                   rewrite_cli=r"44\1")

    decision = call(customer, cli="02071234567")

    assert decision.allowed and decision.cli == "442071234567"
    assert any("rule 2" in s.text and "02071234567 → 442071234567" in s.text for s in decision.trace)


def test_forced_rule_sets_cli_and_pai_whatever_came_in(carriers):
    customer, _ = customer_with_route()
    CliRuleFactory(customer=customer, forced=True, rewrite_cli="441234000000", rewrite_pai="441234000001")

    decision = call(customer, cli="+15551234567", pai="")

    assert (decision.cli, decision.pai) == ("441234000000", "441234000001")


def test_approved_cli_gate_checks_the_rewritten_cli(carriers):
    customer, _ = customer_with_route()
    Customer.objects.filter(pk=customer.pk).update(approved_clis_only=True)
    ApprovedCLIFactory(customer=customer, number="+442071234567")
    CliRuleFactory(customer=customer, cli_pattern=r"^0(\d{10})$", rewrite_cli=r"44\1")

    assert call(customer, cli="02071234567").allowed
    assert call(customer, cli="02079999999").reasons == ["CLI not approved"]


# The cache


def test_a_deck_going_live_later_changes_the_rate_when_its_time_comes(carriers):
    customer, route = customer_with_route()
    deck(route.rate_card, {"4479": "0.0900"}, live_from=NOW + timedelta(hours=1))

    before = decide(CallRequest(dialed=UK_MOBILE, customer_id=customer.pk, at=NOW))
    after = decide(CallRequest(dialed=UK_MOBILE, customer_id=customer.pk, at=NOW + timedelta(hours=2)))

    assert (before.rate["per_min"], after.rate["per_min"]) == (Decimal("0.12"), Decimal("0.09"))


def test_a_new_deck_or_a_route_change_is_seen_by_the_next_decision(carriers):
    customer, route = customer_with_route()
    assert call(customer).rate["per_min"] == Decimal("0.12")

    deck(route.rate_card, {"4479": "0.0700"}, live_from=NOW - timedelta(minutes=1))
    assert call(customer).rate["per_min"] == Decimal("0.07")

    route.strategy = "reverse"
    route.save()
    assert providers_of(call(customer)) == ["C", "A", "B"]

    carriers["C"].provider.status = "disabled"
    carriers["C"].provider.save()
    assert providers_of(call(customer)) == ["A", "B"]


def test_a_decision_on_a_warm_cache_takes_at_most_two_queries(own_versions, carriers):
    customer, _ = customer_with_route()
    call(customer)

    with CaptureQueriesContext(connection) as queries:
        decision = call(customer)

    assert decision.allowed and len(queries) <= 2
