"""Rating benchmark: rated import beside a pre-priced one, deck upload beside raw COPY, rate lookup.

    python benchmarks/rating.py [--cdrs 1000000] [--prefixes 100000] [--deck-rows 250000] [--lookups 2000]
                                [--parts import,deck,lookup]

Runs in its own database (connex_bench_rating, or $BENCH_DATABASE; created and migrated on first use) and replaces its
CDRs, ledger, cards and routes. Baselines are measured in the same run:
- the same CDR file with its charges already filled, through the same import;
- a raw COPY of the same deck into a table shaped like the rate rows (same indexes, no checks);
- a hand-written longest-prefix query on the same revision (beside the SQL selector and the cached
  lookup of routing.lookup, which answers from process memory).
The last line printed is JSON.
"""

import argparse
import csv
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup  # noqa: E402

django_setup(os.environ.get("BENCH_DATABASE", "connex_bench_rating"))

from django.db import connection  # noqa: E402

from customers.models import Customer  # noqa: E402
from rates.decks import DECK_COLUMNS, rate_deck_import  # noqa: E402
from rates.models import RateCard  # noqa: E402
from rates.selectors import number_prefixes, rate_lookup  # noqa: E402
from routing.cache import routing_cache  # noqa: E402
from routing.lookup import rate_lookup_cached  # noqa: E402
from routing.models import IngressRoute  # noqa: E402
from summaries.services import CDR_COLUMNS, cdr_import  # noqa: E402

COUNTRY_CODES = ["1", "44", "49", "33", "39", "34", "31", "32", "41", "43", "45", "46", "47", "48", "351", "353",
                 "358", "91", "86", "81", "82", "61", "64", "55", "52", "54", "27", "234", "254", "20", "971", "966"]


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def make_prefixes(count, rng):
    """Overlapping prefixes like a real deck: country codes, then longer and longer ranges."""
    prefixes = set(COUNTRY_CODES)
    while len(prefixes) < count:
        base = rng.choice(COUNTRY_CODES)
        prefixes.add(base + str(rng.randint(0, 10 ** rng.randint(1, 6) - 1)).zfill(rng.randint(1, 6)))
    return sorted(prefixes)[:count]


def write_deck(path, prefixes, rng):
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(DECK_COLUMNS)
        for prefix in prefixes:
            writer.writerow([prefix, f"Destination {prefix[:3]}", f"{rng.randint(10, 99999) / 100000:.5f}",
                             rng.choice(["0", "0", "0.01"]), rng.choice([0, 1, 30, 60]), rng.choice([1, 6, 60]),
                             rng.choice([0, 0, 3]), "false"])


def write_cdrs(path, *, rows, customers, prefixes, priced, start, rng):
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CDR_COLUMNS)
        for index in range(rows):
            begin = start + timedelta(seconds=index * 2)
            prefix = prefixes[rng.randrange(len(prefixes))]
            number = prefix + "".join(rng.choices("0123456789", k=max(0, 12 - len(prefix))))
            answered = rng.random() < 0.6
            duration = rng.randint(1, 600) if answered else 0
            stop = begin + timedelta(seconds=duration + 5)
            writer.writerow([f"r{index:09d}", customers[index % len(customers)], begin.isoformat(),
                             (begin + timedelta(seconds=5)).isoformat() if answered else "", stop.isoformat(),
                             duration, duration if priced else "", "442071838750", number, "", 200 if answered else 486,
                             1500, f"{duration * 0.0001:.6f}" if priced else "", "0"])


def reset_calls():
    sql("TRUNCATE summaries_calldetailrecord, summaries_cdrcallid, summaries_hourlysummary, summaries_dailysummary, "
        "summaries_pendingrolluphour, ledger_ledgerentry, ledger_dailyspend CASCADE")
    sql("CHECKPOINT")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--prefixes", type=int, default=100_000)
    parser.add_argument("--deck-rows", type=int, default=250_000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--parts", default="import,deck,lookup",
                        help="comma-separated parts to run (import, deck, lookup); all by default")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    rng = random.Random(13)
    results = {"cdrs": args.cdrs, "prefixes": args.prefixes, "deck_rows": args.deck_rows}
    workdir = Path(tempfile.mkdtemp(prefix="rating-bench-"))

    reset_calls()
    IngressRoute.objects.all().delete()
    sql("UPDATE summaries_calldetailrecord SET rate_card_id = NULL")
    RateCard.objects.all().delete()
    Customer.objects.filter(name__startswith="Bench ").delete()
    card = RateCard.objects.create(name="Bench sell", currency="USD")
    prefixes = make_prefixes(args.prefixes, rng)
    deck_path = workdir / "deck.csv"
    write_deck(deck_path, prefixes, rng)
    with deck_path.open("rb") as stream:
        loaded = rate_deck_import(card=card, stream=stream, live_from=datetime(2026, 1, 1, tzinfo=UTC))
    assert loaded.ok, loaded.errors[:3]
    customers = Customer.objects.bulk_create([Customer(name=f"Bench {i:04d}", currency="USD")
                                              for i in range(args.customers)])
    IngressRoute.objects.bulk_create([IngressRoute(customer=c, rate_card=card) for c in customers])
    ids = [c.pk for c in customers]
    sql("ANALYZE")

    if "import" in parts:
        import_part(args, workdir, ids, prefixes, results)
    if "deck" in parts:
        deck_part(args, workdir, results)
    if "lookup" in parts:
        lookup_part(args, rng, prefixes, card, loaded.revision.pk, results)
    print(json.dumps(results))


def import_part(args, workdir, ids, prefixes, results):
    """1. Rated import beside the same file already priced."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    priced_path, unpriced_path = workdir / "priced.csv", workdir / "unpriced.csv"
    write_cdrs(priced_path, rows=args.cdrs, customers=ids, prefixes=prefixes, priced=True, start=start,
               rng=random.Random(5))
    write_cdrs(unpriced_path, rows=args.cdrs, customers=ids, prefixes=prefixes, priced=False, start=start,
               rng=random.Random(5))
    reset_calls()
    priced_s, priced = timed(lambda: cdr_import(stream=priced_path.open("rb")))
    assert priced.inserted == args.cdrs, priced.as_dict()
    reset_calls()
    rated_s, rated = timed(lambda: cdr_import(stream=unpriced_path.open("rb")))
    assert rated.inserted == args.cdrs, rated.rejects[:3]
    unrated = sql("SELECT count(*) FROM summaries_calldetailrecord WHERE rate_revision_id IS NULL")[0][0]
    assert unrated == 0
    results.update(priced_import_s=round(priced_s, 2), rated_import_s=round(rated_s, 2),
                   rated_rows_per_s=round(args.cdrs / rated_s),
                   rated_vs_priced=round(priced_s / rated_s, 3))
    print(f"import of {args.cdrs:,} CDRs: pre-priced {priced_s:.2f} s; rated against {args.prefixes:,} prefixes "
          f"{rated_s:.2f} s ({args.cdrs / rated_s:,.0f} rows/s); ratio {priced_s / rated_s:.3f} (goal >= 0.5)")


def deck_part(args, workdir, results):
    """2. Deck upload beside a raw COPY of the same file, and Python's peak memory as the deck grows."""
    big = make_prefixes(args.deck_rows, random.Random(7))
    big_path = workdir / "big.csv"
    write_deck(big_path, big, random.Random(7))
    sql("DROP TABLE IF EXISTS bench_raw_rates")
    sql("CREATE TABLE bench_raw_rates (LIKE rates_raterow INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)")
    sql("CHECKPOINT")

    def raw_copy():
        with big_path.open("rb") as stream, connection.cursor() as cursor:
            stream.readline()
            cursor.execute("ALTER TABLE bench_raw_rates ALTER revision_id SET DEFAULT 0")
            with cursor.cursor.copy(f"COPY bench_raw_rates ({', '.join(DECK_COLUMNS)}) FROM STDIN (FORMAT csv)") as copy:
                while chunk := stream.read(1 << 20):
                    copy.write(chunk)

    raw_s, _ = timed(raw_copy)
    sql("DROP TABLE bench_raw_rates")
    sql("CHECKPOINT")
    upload_card = RateCard.objects.create(name="Bench upload", currency="USD")
    peaks = {}
    for size in (args.deck_rows // 10, args.deck_rows):
        path = big_path if size == args.deck_rows else workdir / "small.csv"
        if size != args.deck_rows:
            write_deck(path, big[:size], random.Random(7))
        tracemalloc.start()
        seconds, result = timed(lambda path=path, size=size: rate_deck_import(
            card=upload_card, stream=path.open("rb"), live_from=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=size)))
        peaks[size] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.ok and result.rows == size, result.errors[:3]
        upload_s = seconds
    results.update(raw_deck_copy_s=round(raw_s, 2), deck_upload_s=round(upload_s, 2),
                   deck_vs_raw=round(raw_s / upload_s, 3),
                   deck_peak_python_kb={str(k): round(v / 1024) for k, v in peaks.items()})
    print(f"deck of {args.deck_rows:,} rows: raw COPY {raw_s:.2f} s; checked upload {upload_s:.2f} s; "
          f"ratio {raw_s / upload_s:.3f} (goal >= 0.5); peak Python memory "
          + ", ".join(f"{k:,} rows {v / 1024:.0f} KiB" for k, v in peaks.items()))


def lookup_part(args, rng, prefixes, card, revision_id, results):
    """3. One lookup: the selector (live revision + longest prefix) beside hand-written SQL on the same rows."""
    numbers = [rng.choice(prefixes) + "".join(rng.choices("0123456789", k=6)) for _ in range(args.lookups)]
    hand, ours = [], []
    with connection.cursor() as cursor:
        for number in numbers:
            started = time.perf_counter()
            cursor.execute("SELECT * FROM rates_raterow WHERE revision_id = %s AND prefix = ANY(%s) "
                           "ORDER BY length(prefix) DESC LIMIT 1", [revision_id, number_prefixes(number)])
            cursor.fetchone()
            hand.append(time.perf_counter() - started)
    for number in numbers:
        started = time.perf_counter()
        match = rate_lookup(card_id=card.pk, number=number)
        ours.append(time.perf_counter() - started)
        assert match.found
    cached = []
    routing_cache.clear()
    rate_lookup_cached(card_id=card.pk, number=numbers[0])  # loads the snapshot and the live revision once
    for number in numbers:
        started = time.perf_counter()
        match = rate_lookup_cached(card_id=card.pk, number=number)
        cached.append(time.perf_counter() - started)
        assert match.found
    ms = 1000
    results.update(cached_p50_ms=round(statistics.median(cached) * ms, 4),
                   cached_p99_ms=round(percentile(cached, 0.99) * ms, 4),
                   cached_vs_hand_p50=round(statistics.median(hand) / statistics.median(cached), 1))
    results.update(lookup_p50_ms=round(statistics.median(ours) * ms, 3), lookup_p99_ms=round(percentile(ours, 0.99) * ms, 3),
                   hand_sql_p50_ms=round(statistics.median(hand) * ms, 3),
                   hand_sql_p99_ms=round(percentile(hand, 0.99) * ms, 3),
                   lookup_vs_hand_p50=round(statistics.median(hand) / statistics.median(ours), 3))
    print(f"rate lookup over {args.lookups} numbers: p50 {results['lookup_p50_ms']} ms, p99 {results['lookup_p99_ms']} ms; "
          f"hand-written SQL p50 {results['hand_sql_p50_ms']} ms, p99 {results['hand_sql_p99_ms']} ms; "
          f"cached p50 {results['cached_p50_ms']} ms, p99 {results['cached_p99_ms']} ms "
          f"({results['cached_vs_hand_p50']}x the hand-written SQL)")


if __name__ == "__main__":
    main()
