"""Volume simulation: sustained end-of-call writes with bursts, the rollup, and panel pages under load.

    .venv/bin/python benchmarks/volume.py [--rate 1200] [--burst-rate 5000] [--seconds 300]

This branch has no switch authorize/end API, so the load drives the end-of-call write path it has:
every second the CDRs of the calls that ended in that second go through the CDR import (one batch,
COPY + one INSERT … SELECT, as a stream drainer would), with a 10-second burst at --burst-rate every
minute. A batch that takes longer than a second delays the next, and its calls wait: the lag from a
call's end to its stored CDR shows where the machine saturates. Meanwhile a browser-like client loads
the customers board and one customer's card every second (in-process, no network), compared with the
same pages measured idle first; a second thread runs the rollup every 5 seconds. Disk per million
CDRs is measured on the partitions and the dedupe table, and projected to 100 million a day kept
180 days. Uses its own database (connex_bench_volume). Bounded: stops after --seconds. Last line JSON.
"""

import argparse
import csv
import io
import json
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# benchmarks/ holds scripts named like apps (invoicing.py, routing.py): the project comes first.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._setup import django_setup  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--rate", type=int, default=1200, help="CDRs per second, sustained")
parser.add_argument("--burst-rate", type=int, default=5000, help="CDRs per second during a burst")
parser.add_argument("--burst-seconds", type=int, default=10)
parser.add_argument("--burst-every", type=int, default=60)
parser.add_argument("--seconds", type=int, default=300)
parser.add_argument("--customers", type=int, default=500)
args = parser.parse_args()

django_setup("connex_bench_volume")

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from customers.models import Customer  # noqa: E402
from summaries.demo import DESTINATIONS  # noqa: E402
from summaries.partitions import cdr_partitions_create_ahead  # noqa: E402
from summaries.services import CDR_COLUMNS, cdr_import, summary_rollup_pending  # noqa: E402


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def pct(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def setup():
    sql("TRUNCATE summaries_calldetailrecord, summaries_cdrcallid, summaries_hourlysummary, "
        "summaries_dailysummary, summaries_pendingrolluphour")
    have = list(Customer.objects.filter(name__startswith="Volume ").values_list("pk", flat=True))
    if len(have) < args.customers:
        have += [c.pk for c in Customer.objects.bulk_create(
            [Customer(name=f"Volume {i:05d}", currency="USD") for i in range(len(have), args.customers)])]
    cdr_partitions_create_ahead()
    user, _ = get_user_model().objects.get_or_create(username="volume-staff",
                                                     defaults={"is_staff": True, "is_superuser": True})
    return have[:args.customers], user


def batch_csv(ended, customers, rng, serial):
    """The CDRs of calls that ended at `ended` (one per call), as the drainer would hand them over."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CDR_COLUMNS)
    for count in range(serial[1]):
        name, prefix, rate, cost, asr, talk = DESTINATIONS[rng.randrange(len(DESTINATIONS))]
        answered = rng.random() < asr
        duration = rng.randint(1, 300) if answered else 0
        start = ended - timedelta(seconds=duration + 2)
        billed = -(-duration // 6) * 6
        writer.writerow([f"v{serial[0]}-{count}", customers[rng.randrange(len(customers))], start.isoformat(),
                         (start + timedelta(seconds=2)).isoformat() if answered else "", ended.isoformat(),
                         duration, billed, "+442071838750", f"+{prefix}{rng.randint(1000, 9999)}", name,
                         200 if answered else 486, 1500, f"{billed / 60 * float(rate):.6f}",
                         f"{billed / 60 * float(cost):.6f}"])
    return buffer.getvalue().encode()


class Pages:
    """A browser-like client: the board and one card, once a second."""

    def __init__(self, user, customer_id):
        self.client = Client()
        self.client.force_login(user)
        self.urls = {"board": "/customers/", "card": f"/customers/{customer_id}/"}

    def load(self, timings):
        for name, url in self.urls.items():
            started = time.perf_counter()
            response = self.client.get(url)
            timings[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)


def main():
    customers, user = setup()
    pages = Pages(user, customers[0])
    idle = {"board": [], "card": []}
    pages.load(idle)  # warm up
    idle = {"board": [], "card": []}
    for _ in range(10):
        pages.load(idle)
        time.sleep(0.2)

    stop = threading.Event()
    loaded = {"board": [], "card": []}
    rollup = {"runs": 0, "lag_ms": []}
    stored_at = []  # (monotonic time stored, rows)

    def reader():
        while not stop.is_set():
            tick = time.monotonic()
            pages.load(loaded)
            stop.wait(max(0.0, 1 - (time.monotonic() - tick)))
        connection.close()

    def roller():
        while not stop.wait(5):
            began = time.monotonic()
            pending = [t for t, _ in stored_at if t <= began]
            summary_rollup_pending()
            rollup["runs"] += 1
            if pending:
                rollup["lag_ms"].append((time.monotonic() - min(pending)) * 1000)
                stored_at[:] = [(t, n) for t, n in stored_at if t > began]
        connection.close()

    threads = [threading.Thread(target=reader), threading.Thread(target=roller)]
    for thread in threads:
        thread.start()

    rng = random.Random(7)
    accepted = stored = 0
    lags, batch_seconds, backlog = [], [], []  # backlog: [(ended monotonic, rows)]
    began = time.monotonic()
    next_tick, serial = began, 0
    busy = 0.0
    try:
        while True:
            now = time.monotonic()
            elapsed = now - began
            if elapsed >= args.seconds:
                break
            # The calls that ended since the last tick join the backlog (the stream).
            while next_tick <= now:
                second = int(next_tick - began)
                burst = second % args.burst_every < args.burst_seconds and second >= args.burst_every // 2
                count = args.burst_rate if burst else args.rate
                backlog.append((next_tick, count))
                accepted += count
                next_tick += 1
            pending, backlog = backlog, []
            rows = sum(n for _, n in pending)
            serial += 1
            body = batch_csv(datetime.now(UTC), customers, rng, (serial, rows))
            started = time.monotonic()
            result = cdr_import(stream=io.BytesIO(body))
            done = time.monotonic()
            busy += done - started
            batch_seconds.append(done - started)
            stored += result.inserted
            stored_at.append((done, result.inserted))
            assert result.inserted == rows, result.as_dict()
            for ended, count in pending:
                lags.extend([(done - ended) * 1000] * max(1, count // 100))
            time.sleep(max(0.0, next_tick - time.monotonic()))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    wall = time.monotonic() - began
    summary_rollup_pending()

    count = sql("SELECT count(*) FROM summaries_calldetailrecord")[0][0]
    size = sql("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
               "WHERE i.inhparent = 'summaries_calldetailrecord'::regclass")[0][0]
    dedupe = sql("SELECT pg_total_relation_size('summaries_cdrcallid')")[0][0]
    per_million = (int(size) + int(dedupe)) / count * 1e6 if count else 0
    capacity = stored / busy if busy else 0
    daily, days = 100_000_000, 180
    results = {
        "seconds": round(wall, 1), "rate": args.rate, "burst_rate": args.burst_rate,
        "ends_accepted": accepted, "cdrs_stored": stored, "cdrs_in_table": count, "equal": accepted == stored == count,
        "lag_ms_p50": pct(lags, 0.5), "lag_ms_p99": pct(lags, 0.99),
        "batch_s_p50": pct(batch_seconds, 0.5), "batch_s_max": round(max(batch_seconds), 2),
        "write_capacity_per_s": round(capacity), "capacity_vs_rate": round(capacity / args.rate, 2),
        "capacity_vs_peak_10k": round(capacity / 10_000, 2),
        "rollup_runs": rollup["runs"], "rollup_lag_ms_p50": pct(rollup["lag_ms"], 0.5),
        "rollup_lag_ms_max": pct(rollup["lag_ms"], 1.0),
        "board_p95_idle_ms": pct(idle["board"], 0.95), "board_p95_load_ms": pct(loaded["board"], 0.95),
        "card_p95_idle_ms": pct(idle["card"], 0.95), "card_p95_load_ms": pct(loaded["card"], 0.95),
        "board_load_vs_idle": round(pct(loaded["board"], 0.95) / pct(idle["board"], 0.95), 2) if loaded["board"] else None,
        "card_load_vs_idle": round(pct(loaded["card"], 0.95) / pct(idle["card"], 0.95), 2) if loaded["card"] else None,
        "disk_bytes_per_million_cdrs": round(per_million),
        "projection_100m_day_180d_tb": round(per_million * daily / 1e6 * days / 1e12, 1),
        "projection_per_day_gb": round(per_million * daily / 1e6 / 1e9, 1),
    }
    print(f"{accepted} ends accepted, {stored} CDRs stored ({count} in the table) in {wall:.0f} s; "
          f"lag end → stored p50 {results['lag_ms_p50']} ms, p99 {results['lag_ms_p99']} ms; "
          f"batch p50 {results['batch_s_p50']} s, max {results['batch_s_max']} s")
    print(f"write capacity {capacity:,.0f} CDRs/s = {results['capacity_vs_rate']} × the {args.rate}/s load, "
          f"{results['capacity_vs_peak_10k']} × a 10,000/s peak")
    print(f"rollup: {rollup['runs']} runs, lag stored → summarised p50 {results['rollup_lag_ms_p50']} ms")
    print(f"board p95 {results['board_p95_load_ms']} ms under load vs {results['board_p95_idle_ms']} ms idle "
          f"({results['board_load_vs_idle']}×); card p95 {results['card_p95_load_ms']} ms vs "
          f"{results['card_p95_idle_ms']} ms ({results['card_load_vs_idle']}×)")
    print(f"disk {per_million / 1e6:.0f} MB per million CDRs (partitions with indexes + dedupe rows); "
          f"100 M/day: {results['projection_per_day_gb']} GB a day, "
          f"{results['projection_100m_day_180d_tb']} TB for 180 days")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
