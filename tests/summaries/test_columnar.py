"""The columnar load stores exactly what the staged import stores, and steps back for every file it
does not take (tests/summaries/test_import.py runs each import test both ways as well)."""

import io
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from ledger.models import LedgerEntry
from rates.decks import rate_deck_import
from summaries.models import CallDetailRecord, PendingRollupHour
from summaries.services import cdr_import
from tests.factories import CustomerFactory, IngressRouteFactory, RateCardFactory

from .helpers import cdr_row, csv_stream

pytestmark = pytest.mark.django_db

STORED = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration", "billed_duration", "cli",
          "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost", "rate_card_id",
          "rate_revision_id", "rate_prefix", "rate")


@pytest.fixture
def columnar(monkeypatch):
    """Every file is offered to the columnar load; `columnar.staged` counts the files left to the
    staged import."""
    import summaries.services as services

    monkeypatch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 0)
    staged = services._load_staged

    def counting(*args, **kwargs):
        counting.calls += 1
        return staged(*args, **kwargs)

    counting.calls = 0
    monkeypatch.setattr(services, "_load_staged", counting)
    return counting


# Three days back, fixed for the run: two files made a second apart hold the same calls.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def varied_rows(customers, prefix, count=400, seed=3):
    """Calls in the shapes switches write: offsets, Z, a space for T, fractions, blank optional cells,
    charges with 0 to 6 places, non-ASCII destinations."""
    rng = random.Random(seed)
    start = START
    rows = []
    for index in range(count):
        begin = start + timedelta(seconds=index * 97, microseconds=rng.choice([0, 500000, 123456]))
        zone = rng.choice([UTC, UTC, "+02:00", "-05:30"])
        answered = rng.random() < 0.6
        duration = rng.randint(1, 7200) if answered else 0

        def stamp(moment, zone=zone):
            if zone is UTC:
                text = moment.isoformat()
                return text.replace("+00:00", "Z") if rng.random() < 0.5 else text
            sign = 1 if zone[0] == "+" else -1
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])) * sign
            text = (moment + offset).replace(tzinfo=None).isoformat() + zone
            return text.replace("T", " ") if rng.random() < 0.3 else text

        answer = begin + timedelta(seconds=rng.randint(1, 9))
        rows.append(cdr_row(
            customers[index % len(customers)].pk, f"{prefix}-{index}",
            start_time=stamp(begin), answer_time=stamp(answer) if answered else "",
            end_time=stamp((answer if answered else begin) + timedelta(seconds=duration + 1)),
            duration=duration, billed_duration=-(-duration // 6) * 6,
            cli=rng.choice(["+442071838750", "", "Anonymous"]), dialed_number=rng.choice(["+4930123456", "33612345678"]),
            destination=rng.choice(["Germany - Fixed", "", "Côte d'Ivoire – Mobile", "日本"]),
            sip_code=rng.choice([200, 486, 503]) if not answered else 200, pdd_ms=rng.choice(["", "0", "1800"]),
            charge=rng.choice(["0", "0.05", "12.", "3.141592", "999999.000001", "7"]),
            cost=rng.choice(["0", "0.012", "1.5"])))
    return rows


def stored(prefix):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(STORED)} FROM summaries_calldetailrecord WHERE call_id LIKE %s "
                       "ORDER BY start_time, call_id", [prefix + "-%"])
        return [row[1:] for row in cursor.fetchall()]  # all but the call_id, whose prefix differs


def test_a_clean_file_is_loaded_columnar_and_stored_as_the_staged_import_stores_it(columnar, monkeypatch):
    customers = [CustomerFactory(balance=Decimal("100")) for _ in range(3)]
    result = cdr_import(stream=csv_stream(varied_rows(customers, "col")))
    assert columnar.calls == 0
    monkeypatch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 1 << 60)
    again = cdr_import(stream=csv_stream(varied_rows(customers, "stg")))
    assert columnar.calls == 1

    assert result.as_dict() | {"charged": None} == again.as_dict() | {"charged": None}
    assert result.inserted == 400 and result.charged == again.charged
    columnar_rows, staged_rows = stored("col"), stored("stg")
    assert columnar_rows == staged_rows
    assert {row[11] for row in columnar_rows} >= {Decimal("12"), Decimal("3.141592"), Decimal("999999.000001")}
    entries = LedgerEntry.objects.filter(kind="call_charges").order_by("pk")
    first, second = entries[:3], entries[3:]
    assert [(e.customer_id, e.amount, e.calls) for e in first] == [(e.customer_id, e.amount, e.calls) for e in second]
    for customer in customers:
        customer.refresh_from_db()
    assert sum(c.balance for c in customers) == Decimal("300") - 2 * result.charged
    assert PendingRollupHour.objects.count() > 0


def test_imported_ids_are_the_tables_own_and_later_cdrs_follow_them(columnar):
    customer = CustomerFactory()
    cdr_import(stream=csv_stream(varied_rows([customer], "ids", count=50)))
    ids = list(CallDetailRecord.objects.values_list("id", flat=True))
    assert columnar.calls == 0 and len(set(ids)) == 50
    later = cdr_import(stream=csv_stream([cdr_row(customer.pk, "later", pdd_ms="x", start_time=datetime.now(UTC)
                                                   .replace(microsecond=0).isoformat(),
                                                   answer_time="", end_time=datetime.now(UTC).isoformat(),
                                                   duration=0, billed_duration=0)]))
    assert columnar.calls == 1 and later.rejected == 1  # a bad row: staged, and refused with its reason
    CallDetailRecord.objects.create(
        call_id="orm", customer=customer, start_time=datetime.now(UTC), end_time=datetime.now(UTC), duration=0,
        billed_duration=0, dialed_number="4930", sip_code=486, pdd_ms=0, charge=0, cost=0,
        imported_at=datetime.now(UTC))
    assert CallDetailRecord.objects.get(call_id="orm").pk > max(ids)


def test_a_call_id_seen_before_deep_in_the_file_rolls_the_load_back_for_the_staged_import(columnar, monkeypatch):
    monkeypatch.setattr("summaries.columnar.BATCH_BYTES", 4096)  # many batches: the repeat is far from the start
    customer = CustomerFactory()
    rows = varied_rows([customer], "deep", count=300)
    cdr_import(stream=csv_stream(rows[250:251]))
    assert columnar.calls == 0
    result = cdr_import(stream=csv_stream(rows))
    assert columnar.calls == 1
    assert (result.inserted, result.duplicates) == (299, 1)
    assert CallDetailRecord.objects.count() == 300
    assert CallDetailRecord.objects.values("call_id").distinct().count() == 300


@pytest.mark.parametrize("change", [
    {"cli": " +442071838750"},  # padded: the staged import trims it
    {"charge": ""},  # to be priced by the panel
    {"charge": "1e2"},  # a number PostgreSQL reads, in a shape the columnar load does not take
    {"start_time": "2026-11-20T10:05:00+0100"},
    {"destination": "two\nlines"},
])
def test_a_row_the_columnar_load_does_not_take_sends_the_whole_file_to_the_staged_import(columnar, change):
    customer = CustomerFactory()
    rows = varied_rows([customer], "odd", count=20)
    rows[7] = rows[7] | change
    result = cdr_import(stream=csv_stream(rows))
    assert columnar.calls == 1
    assert result.rows == 20
    assert CallDetailRecord.objects.count() == result.inserted  # nothing from the columnar attempt is left


def test_a_day_without_its_partition_gets_one(columnar):
    customer = CustomerFactory()
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=40)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"summaries_calldetailrecord_{day:%Y%m%d}"])
        assert cursor.fetchone()[0] is None
    result = cdr_import(stream=csv_stream([cdr_row(customer.pk, "old", start_time=day.isoformat(),
                                                   answer_time=(day + timedelta(seconds=2)).isoformat(),
                                                   end_time=(day + timedelta(seconds=62)).isoformat())]))
    assert columnar.calls == 0 and result.inserted == 1


DECK = """prefix,name,rate,connect_fee,mcd,pulse,grace,blocked
49,Germany,0.0123,0,1,1,0,false
4930,Germany Berlin,0.0077,0.0150,30,6,3,false
4915,Germany mobile,0.1377,0,60,60,0,false
336,France mobile,0.0999,0.0001,0,1,5,false
33,France,0.0410,0,6,6,0,false
"""


def priced_deck(card, live_from, scale=1):
    lines = DECK.splitlines()
    body = [line if index == 0 else line.replace("0.0", f"0.{scale}", 1) for index, line in enumerate(lines)]
    result = rate_deck_import(card=card, stream=io.BytesIO("\n".join(body).encode()), live_from=live_from)
    assert result.ok, result.errors


@pytest.mark.parametrize("rounding", ["half_up", "half_down", "up", "down"])
def test_calls_to_price_are_priced_columnar_as_the_staged_import_prices_them(columnar, monkeypatch, rounding):
    card = RateCardFactory(precision=3, rounding=rounding)
    customers = [CustomerFactory(balance=Decimal("100")) for _ in range(2)]
    for customer in customers:
        IngressRouteFactory(customer=customer, rate_card=card)
    rows = varied_rows(customers, "x", count=300)
    switch = datetime.fromisoformat(rows[150]["start_time"].replace(" ", "T").replace("Z", "+00:00"))
    priced_deck(card, datetime(2026, 1, 1, tzinfo=UTC))
    priced_deck(card, switch, scale=2)  # the calls from the 151st on are priced on a second revision
    rng = random.Random(5)
    for row in rows:
        row["dialed_number"] = rng.choice(["+4930", "4915", "+336", "33"]) + str(rng.randint(10 ** 5, 10 ** 9))
        row["charge"] = row["billed_duration"] = ""
    result = cdr_import(stream=csv_stream([row | {"call_id": "col-" + row["call_id"]} for row in rows]))
    assert columnar.calls == 0 and result.inserted == 300
    monkeypatch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 1 << 60)
    again = cdr_import(stream=csv_stream([row | {"call_id": "stg-" + row["call_id"]} for row in rows]))
    assert columnar.calls == 1
    assert result.charged == again.charged > 0
    columnar_rows, staged_rows = stored("col"), stored("stg")
    assert columnar_rows == staged_rows
    assert len({row[-3] for row in columnar_rows}) == 2  # both revisions priced calls
    assert {row[8] for row in columnar_rows} >= {"Germany Berlin", "France mobile"}  # the rate row names the destination


def test_the_longest_prefix_of_a_densely_nested_deck_prices_each_call(columnar):
    rng = random.Random(11)
    prefixes = set()
    while len(prefixes) < 300:
        prefixes.add(rng.choice("4567") + "".join(rng.choices("0159", k=rng.randint(0, 6))))
    customer = CustomerFactory()
    card = RateCardFactory()
    IngressRouteFactory(customer=customer, rate_card=card)
    deck = "prefix,rate\n" + "".join(f"{p},0.01\n" for p in sorted(prefixes))
    assert rate_deck_import(card=card, stream=io.BytesIO(deck.encode()), live_from=datetime(2026, 1, 1, tzinfo=UTC)).ok
    numbers = [p + "".join(rng.choices("0159", k=rng.randint(max(0, 3 - len(p)), 8)))
               for p in rng.choices(sorted(prefixes), k=400)]
    rows = varied_rows([customer], "n", count=len(numbers))
    for row, number in zip(rows, numbers, strict=True):
        row.update(dialed_number=number, charge="", billed_duration="")
    cdr_import(stream=csv_stream(rows))
    assert columnar.calls == 0

    def longest(number):
        return max((p for p in prefixes if number.startswith(p)), key=len)

    got = dict(CallDetailRecord.objects.values_list("dialed_number", "rate_prefix"))
    assert got == {number: longest(number) for number in numbers}


@pytest.mark.parametrize("problem", ["blocked", "tech prefix", "no rate"])
def test_calls_the_columnar_load_cannot_price_go_to_the_staged_import(columnar, problem):
    customer = CustomerFactory()
    route = IngressRouteFactory(customer=customer, tech_prefix="77" if problem == "tech prefix" else "")
    priced_deck(route.rate_card, datetime(2026, 1, 1, tzinfo=UTC))
    rows = varied_rows([customer], "p", count=10)
    for row in rows:
        row.update(dialed_number="+4930123456", charge="", billed_duration="")
    rows[4]["dialed_number"] = {"blocked": "4915999", "tech prefix": "77493012", "no rate": "1212555"}[problem]
    if problem == "blocked":
        rate_deck_import(card=route.rate_card, stream=io.BytesIO(b"prefix,rate,blocked\n4915999,0.1,true\n49,0.1,false\n"),
                         live_from=datetime(2026, 2, 1, tzinfo=UTC))
    result = cdr_import(stream=csv_stream(rows))
    assert columnar.calls == 1
    assert result.rows == 10 and result.inserted + result.rejected == 10


def test_when_its_ids_cannot_be_reserved_the_file_goes_to_the_staged_import(columnar):
    # This transaction took a CDR id first: the sequence cannot step for the columnar load's block
    # until it commits, so the load gives up after its lock timeout rather than wait.
    customer = CustomerFactory()
    CallDetailRecord.objects.create(
        call_id="first", customer=customer, start_time=datetime.now(UTC), end_time=datetime.now(UTC), duration=0,
        billed_duration=0, dialed_number="4930", sip_code=486, pdd_ms=0, charge=0, cost=0,
        imported_at=datetime.now(UTC))
    result = cdr_import(stream=csv_stream(varied_rows([customer], "held", count=30)))
    assert columnar.calls == 1 and result.inserted == 30
