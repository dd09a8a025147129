import io
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry
from rates.decks import rate_deck_import
from rates.rating import billed_seconds, call_charge
from summaries.models import CallDetailRecord
from summaries.services import CDR_COLUMNS, cdr_import, cdr_import_records
from tests.factories import CustomerFactory, DidFactory, IngressRouteFactory, RateCardFactory
from tests.summaries.helpers import T0, cdr_row, csv_stream

pytestmark = pytest.mark.django_db
UNPRICED = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]
DECK = """prefix,name,rate,connect_fee,mcd,pulse,grace,blocked
44,UK,0.0100,0,1,1,0,false
447,UK mobile,0.0500,0,30,6,0,false
4479,UK mobile Vodafone,0.0250,0.0100,30,6,3,false
4478,UK mobile blocked,0.0100,0,1,1,0,true
"""


def deck(card, text=DECK, live_from=datetime(2026, 1, 1, tzinfo=UTC)):
    result = rate_deck_import(card=card, stream=io.BytesIO(text.encode()), live_from=live_from)
    assert result.ok, result.errors
    return result.revision


def call(customer, call_id, number, seconds=37, start=T0, answered=True, **extra):
    return cdr_row(customer.pk, call_id, dialed_number=number, duration=seconds if answered else 0,
                   start_time=start.isoformat(), answer_time=start.isoformat() if answered else "",
                   end_time=(start + timedelta(seconds=seconds)).isoformat(), destination="", **extra)


@pytest.fixture(autouse=True, params=["per_row", "routes_once", "sorted", "columnar"])
def routes_read(request, monkeypatch):
    """Every test prices its few rows four ways: each row reading its customer's routes; all
    customers' routes read once as for a large file; every row's prefix found in one sort as for
    a larger one; and with the file offered to the columnar load first, which prices the calls it
    can (summaries.columnar) and leaves the rest to the staged import."""
    if request.param == "columnar":
        monkeypatch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 0)
    if request.param in ("routes_once", "sorted"):
        monkeypatch.setattr("routing.rating.ROUTES_ONCE_FROM", 1)
    if request.param == "sorted":
        monkeypatch.setattr("routing.rating.SORTED_FROM", 1)
    return request.param


@pytest.fixture
def customer():
    return CustomerFactory(balance=Decimal("0"))


@pytest.fixture
def route(customer):
    route = IngressRouteFactory(customer=customer)
    deck(route.rate_card)
    return route


def _card_prefix_charge_by_call():
    return {c: (card, prefix, charge) for c, card, prefix, charge in
            CallDetailRecord.objects.values_list("call_id", "rate_card_id", "rate_prefix", "charge")}


def test_rows_without_a_charge_column_are_rated_and_record_what_priced_them(customer, route):
    result = cdr_import(stream=csv_stream([call(customer, "a", "447911123456")], columns=UNPRICED))

    assert result.inserted == 1, result.rejects
    cdr = CallDetailRecord.objects.get()
    assert (cdr.billed_duration, cdr.charge, cdr.destination) == (42, Decimal("0.0275"), "UK mobile Vodafone")
    assert (cdr.rate_card_id, cdr.rate_prefix, cdr.rate) == (route.rate_card_id, "4479", Decimal("0.025"))
    assert cdr.rate_revision.card_id == route.rate_card_id
    assert LedgerEntry.objects.get(customer=customer).amount == Decimal("-0.0275")


def test_rows_with_a_charge_keep_it_and_empty_charges_are_rated(customer, route):
    rows = [call(customer, "priced", "447911123456", charge="1.5", billed_duration="60"),
            call(customer, "empty", "447911123456", charge="", billed_duration="")]
    cdr_import(stream=csv_stream(rows))
    charges = dict(CallDetailRecord.objects.values_list("call_id", "charge"))
    assert charges == {"priced": Decimal("1.5"), "empty": Decimal("0.0275")}
    assert CallDetailRecord.objects.get(call_id="priced").rate_card_id is None


def test_unpriceable_rows_are_rejected_with_the_reason_and_the_rest_load(customer, route):
    stranger = CustomerFactory()
    rows = [call(customer, "ok", "441234567"), call(customer, "blocked", "447812345678"),
            call(customer, "nowhere", "33123456789"), call(stranger, "no-route", "441234567"),
            call(customer, "too-early", "441234567", start=datetime(2025, 12, 31, tzinfo=UTC))]
    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))
    assert result.inserted == 1
    assert {call_id: reason for _, call_id, reason in result.rejects} == {
        "blocked": "destination blocked (prefix 4478)",
        "nowhere": "no rate for the dialed number",
        "no-route": "no ingress route matches the dialed number",
        "too-early": f"rate card {route.rate_card_id} has no revision live at start_time",
    }


def test_unanswered_and_grace_calls_cost_nothing_and_mcd_applies(customer, route):
    rows = [call(customer, "unanswered", "447911123456", seconds=20, answered=False),
            call(customer, "grace", "447911123456", seconds=3), call(customer, "short", "447911123456", seconds=4),
            call(customer, "exact", "441234", seconds=61)]
    cdr_import(stream=csv_stream(rows, columns=UNPRICED))
    got = {c: (b, ch) for c, b, ch in CallDetailRecord.objects.values_list("call_id", "billed_duration", "charge")}
    assert got == {"unanswered": (0, Decimal("0")), "grace": (0, Decimal("0")),
                   "short": (30, Decimal("0.0225")), "exact": (61, Decimal("0.0102"))}


def test_the_revision_live_at_each_calls_start_prices_it(customer, route):
    deck(route.rate_card, "prefix,rate\n44,0.6\n", live_from=datetime(2026, 11, 21, tzinfo=UTC))
    before = datetime(2026, 11, 20, 23, 59, 50, tzinfo=UTC)
    after = datetime(2026, 11, 21, 0, 0, 10, tzinfo=UTC)
    cdr_import(stream=csv_stream([call(customer, "old", "441234", seconds=60, start=before),
                                  call(customer, "new", "441234", seconds=60, start=after)], columns=UNPRICED))
    assert dict(CallDetailRecord.objects.values_list("call_id", "charge")) == {"old": Decimal("0.01"),
                                                                             "new": Decimal("0.6")}


def test_route_by_longest_tech_prefix_then_dial_pattern_and_the_prefix_is_stripped(customer, route):
    premium = RateCardFactory(currency=customer.currency)
    deck(premium, "prefix,rate\n44,1\n")
    IngressRouteFactory(customer=customer, rate_card=premium, tech_prefix="123")
    patterned = RateCardFactory(currency=customer.currency)
    deck(patterned, "prefix,rate\n44,2\n")
    IngressRouteFactory(customer=customer, rate_card=patterned, dial_pattern="^4420")
    cdr_import(stream=csv_stream([call(customer, "tech", "123441234", seconds=60),
                                  call(customer, "pattern", "442071234567", seconds=60),
                                  call(customer, "plain", "441234", seconds=60)], columns=UNPRICED))
    got = _card_prefix_charge_by_call()
    assert got == {"tech": (premium.pk, "44", Decimal("1")), "pattern": (patterned.pk, "44", Decimal("2")),
                   "plain": (route.rate_card_id, "44", Decimal("0.01"))}


def test_the_longer_of_two_nested_tech_prefixes_takes_the_call_and_only_it_is_stripped(customer, route):
    short_card, long_card = RateCardFactory(currency=customer.currency), RateCardFactory(currency=customer.currency)
    deck(short_card, "prefix,rate\n3,9\n555,3\n")  # "1235551234" after "12" would start with 3
    deck(long_card, "prefix,rate\n3,8\n555,1\n")
    IngressRouteFactory(customer=customer, rate_card=short_card, tech_prefix="12")
    IngressRouteFactory(customer=customer, rate_card=long_card, tech_prefix="123")
    result = cdr_import(stream=csv_stream([call(customer, "nested", "1235551234", seconds=60),
                                           call(customer, "outer", "125551234", seconds=60)], columns=UNPRICED))
    assert result.inserted == 2, result.rejects
    assert _card_prefix_charge_by_call() == {"nested": (long_card.pk, "555", Decimal("1")),
                                             "outer": (short_card.pk, "555", Decimal("3"))}


def test_a_call_to_the_customers_own_did_is_priced_on_its_card_before_any_route(customer, route):
    did_card = RateCardFactory(currency=customer.currency)
    deck(did_card, "prefix,rate\n44,0.9\n")
    DidFactory(number="442071234567", customer=customer, customer_card=did_card)
    teched = RateCardFactory(currency=customer.currency)
    deck(teched, "prefix,rate\n7,2\n")
    IngressRouteFactory(customer=customer, rate_card=teched, tech_prefix="4420")
    stranger = CustomerFactory(currency=customer.currency)
    IngressRouteFactory(customer=stranger, rate_card=route.rate_card)
    cdr_import(stream=csv_stream([call(customer, "did", "+442071234567", seconds=60),
                                  call(customer, "tech", "442071234568", seconds=60),
                                  call(stranger, "stranger", "442071234567", seconds=60)], columns=UNPRICED))
    got = _card_prefix_charge_by_call()
    assert got == {"did": (did_card.pk, "44", Decimal("0.9")), "tech": (teched.pk, "7", Decimal("2")),
                   "stranger": (route.rate_card_id, "44", Decimal("0.01"))}


def test_json_records_without_charges_are_rated(customer, route):
    record = call(customer, "json", "447911123456")
    del record["charge"], record["billed_duration"]
    result = cdr_import_records(records=[record])
    assert result.inserted == 1 and result.charged == Decimal("0.0275")


@pytest.mark.parametrize("rounding", ["half_up", "half_down", "up", "down"])
def test_sql_rating_equals_the_python_rule(customer, rounding):
    rng = random.Random(rounding)
    card = RateCardFactory(currency=customer.currency, rounding=rounding, precision=rng.choice([2, 4, 6]))
    IngressRouteFactory(customer=customer, rate_card=card)
    lines, rows_by_prefix = ["prefix,rate,connect_fee,mcd,pulse,grace"], {}
    for n in range(40):
        row = (f"9{n:02d}", Decimal(rng.randint(1, 99999)) / 10**rng.choice([4, 5, 6]),
               Decimal(rng.choice([0, 0, 1, 25, 100])) / 10000, rng.choice([0, 1, 30, 60]),
               rng.choice([1, 6, 60]), rng.choice([0, 0, 3]))
        rows_by_prefix[row[0]] = row
        lines.append(",".join(str(v) for v in row))
    deck(card, "\n".join(lines) + "\n")
    calls, expected = [], {}
    for n in range(200):
        prefix = rng.choice(list(rows_by_prefix))
        _, rate, connect, mcd, pulse, grace = rows_by_prefix[prefix]
        seconds, answered = rng.randint(0, 400), rng.random() > 0.1
        calls.append(call(customer, f"r{n}", f"{prefix}555{n:04d}", seconds=seconds, answered=answered))
        billed = billed_seconds(duration=seconds if answered else 0, answered=answered, mcd=mcd, pulse=pulse,
                                grace=grace)
        expected[f"r{n}"] = (billed, call_charge(billed=billed, rate=rate, connect_fee=connect,
                                                 precision=card.precision, rounding=rounding))
    result = cdr_import(stream=csv_stream(calls, columns=UNPRICED))
    assert result.inserted == 200, result.rejects[:3]
    got = {c: (b, ch) for c, b, ch in CallDetailRecord.objects.values_list("call_id", "billed_duration", "charge")}
    assert got == expected


def test_each_call_is_priced_by_its_longest_prefix_however_the_deck_nests(customer):
    # A dense deck over few digits: a number's neighbours in sort order are often not its prefixes.
    rng = random.Random(7)
    prefixes = set()
    while len(prefixes) < 300:
        prefixes.add(rng.choice("4567") + "".join(rng.choices("0159", k=rng.randint(0, 6))))
    card = RateCardFactory(currency=customer.currency)
    deck(card, "prefix,rate\n" + "".join(f"{p},0.01\n" for p in sorted(prefixes)))
    IngressRouteFactory(customer=customer, rate_card=card)
    teched = CustomerFactory(currency=customer.currency)
    IngressRouteFactory(customer=teched, rate_card=card, tech_prefix="99")
    numbers = [p + "".join(rng.choices("0159", k=rng.randint(max(0, 3 - len(p)), 8)))
               for p in rng.choices(sorted(prefixes), k=300)]
    numbers += ["".join(rng.choices("345670159", k=rng.randint(3, 20))) for _ in range(200)]
    # The data holds numbers whose greatest prefix below is not a prefix of them, and numbers with none.
    below = [max((p for p in prefixes if p <= n), default=None) for n in numbers]
    assert sum(b is not None and not n.startswith(b) for n, b in zip(numbers, below, strict=True)) > 50
    rows = [call(customer, f"n{i}", number) for i, number in enumerate(numbers)]
    rows += [call(teched, f"t{i}", "99" + number) for i, number in enumerate(numbers) if len(number) <= 18]
    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))

    def longest(number):
        return max((p for p in prefixes if number.startswith(p)), key=len, default=None)

    expected = {f"n{i}": longest(n) for i, n in enumerate(numbers)}
    expected |= {f"t{i}": longest(n) for i, n in enumerate(numbers) if len(n) <= 18}
    assert None in expected.values()
    got = dict(CallDetailRecord.objects.values_list("call_id", "rate_prefix"))
    assert got == {call_id: prefix for call_id, prefix in expected.items() if prefix}
    assert {call_id: reason for _, call_id, reason in result.rejects} == {
        call_id: "no rate for the dialed number" for call_id, prefix in expected.items() if not prefix}


def test_a_file_mixing_customers_with_and_without_routes_and_two_revisions(customer, route):
    teched = CustomerFactory(currency=customer.currency)
    IngressRouteFactory(customer=teched, rate_card=route.rate_card, tech_prefix="77")
    stranger = CustomerFactory(currency=customer.currency)
    deck(route.rate_card, "prefix,rate\n44,0.6\n4479,0.9\n", live_from=datetime(2026, 11, 21, tzinfo=UTC))
    before = datetime(2026, 11, 20, 23, 59, 50, tzinfo=UTC)
    after = datetime(2026, 11, 21, 0, 0, 10, tzinfo=UTC)
    rows = [call(who, call_id, number, seconds=60, start=start, charge="", billed_duration="")
            for who, call_id, number, start in [
                (customer, "old", "447911123456", before), (customer, "new", "447911123456", after),
                (customer, "new-44", "447811123456", after), (customer, "old-blocked", "447811123456", before),
                (teched, "teched-old", "77447911123456", before), (teched, "teched-new", "77441234", after),
                (teched, "teched-bare", "447911123456", after), (stranger, "stranger", "447911123456", after)]]
    rows.append(call(customer, "priced", "447911123456", seconds=60, start=after, charge="2", billed_duration="60"))
    result = cdr_import(stream=csv_stream(rows))
    got = {c: (prefix, charge, revision.live_from.day) for c, prefix, charge, revision in
           ((cdr.call_id, cdr.rate_prefix, cdr.charge, cdr.rate_revision) for cdr in
            CallDetailRecord.objects.select_related("rate_revision").exclude(call_id="priced"))}
    assert got == {"old": ("4479", Decimal("0.0350"), 1), "new": ("4479", Decimal("0.9"), 21),
                   "new-44": ("44", Decimal("0.6"), 21), "teched-old": ("4479", Decimal("0.0350"), 1),
                   "teched-new": ("44", Decimal("0.6"), 21)}
    assert CallDetailRecord.objects.get(call_id="priced").charge == Decimal("2")
    assert {call_id: reason for _, call_id, reason in result.rejects} == {
        "old-blocked": "destination blocked (prefix 4478)",
        "teched-bare": "no ingress route matches the dialed number",
        "stranger": "no ingress route matches the dialed number",
    }


def test_overlapping_prefixes_and_neighbours_that_are_not_prefixes(customer):
    card = RateCardFactory(currency=customer.currency)
    deck(card, "prefix,rate\n4,1\n44,2\n4420,3\n44201,4\n442019,5\n4421,6\n45,7\n")
    IngressRouteFactory(customer=customer, rate_card=card)
    numbers = {"a": ("44201999", "442019"), "b": ("44202", "4420"), "c": ("4420", "4420"), "d": ("442", "44"),
               "e": ("4429", "44"), "f": ("400", "4"), "g": ("449", "44"), "h": ("3999", None), "i": ("4500", "45"),
               "j": ("460", "4"), "k": ("442018", "44201"), "l": ("44210", "4421"), "m": ("5000", None)}
    result = cdr_import(stream=csv_stream([call(customer, k, n) for k, (n, _) in numbers.items()], columns=UNPRICED))
    got = dict(CallDetailRecord.objects.values_list("call_id", "rate_prefix"))
    assert got == {k: p for k, (_, p) in numbers.items() if p}
    assert {call_id: reason for _, call_id, reason in result.rejects} == {
        k: "no rate for the dialed number" for k, (_, p) in numbers.items() if not p}


def test_a_real_looking_but_impossible_time_and_a_text_cell_leave_the_other_rows_priced(customer, route):
    rows = [call(customer, "ok", "447911123456"), call(customer, "feb30", "447911123456"),
            call(customer, "text", "447911123456")]
    rows[1]["start_time"] = "2026-02-30T10:00:00Z"
    rows[2]["duration"] = "abc"
    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))
    assert result.inserted == 1
    assert CallDetailRecord.objects.get().charge == Decimal("0.0275")
    reasons = {call_id: reason for _, call_id, reason in result.rejects}
    assert reasons.keys() == {"feb30", "text"}
    assert reasons["feb30"].startswith("bad start_time") and "no revision" not in reasons["feb30"]
    assert reasons["text"].startswith("bad duration")
