"""CDR pipeline benchmark: import, rollup, late re-roll, Monthly view, CDR report download.

    createdb -h 127.0.0.1 -U postgres connex_bench6
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/connex_bench6 python benchmarks/cdr_pipeline.py [--rows N]

Destroys the CDRs and summaries of the database it runs against. Baselines are measured in the same
run: a raw COPY into a table with the CDR table's indexes and no checks, and one hand-written
INSERT … SELECT … GROUP BY date_trunc('hour', start_time). The last line printed is JSON.
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
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from customers.models import Customer  # noqa: E402
from summaries.demo import DESTINATIONS  # noqa: E402
from summaries.partitions import cdr_partitions_ensure  # noqa: E402
from summaries.services import (  # noqa: E402
    CDR_COLUMNS,
    cdr_import,
    summary_resum_days,
    summary_rollup_pending,
)

HOUR = timedelta(hours=1)


def sql(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def generate_file(path, *, rows, customers, days, end):
    """CDRs in time order (as a switch writes them) spread over `days` days and the customers."""
    rng = random.Random(1)
    start = end - timedelta(days=days)
    span = days * 86400
    step = span / rows
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CDR_COLUMNS)
        for index in range(rows):
            begin = start + timedelta(seconds=index * step)
            name, prefix, rate, cost, asr, talk = DESTINATIONS[rng.randrange(len(DESTINATIONS))]
            pdd = rng.randint(800, 4000)
            if rng.random() < asr:
                duration = rng.randint(1, 600)
                billed = -(-duration // 6) * 6
                answer = begin + timedelta(milliseconds=pdd)
                stop = answer + timedelta(seconds=duration)
                code = 200
            else:
                duration = billed = 0
                answer = None
                stop = begin + timedelta(milliseconds=pdd + 5000)
                code = 486
            minutes = Decimal(billed) / 60
            writer.writerow([f"b{index:09d}", customers[rng.randrange(len(customers))], begin.isoformat(),
                             answer.isoformat() if answer else "", stop.isoformat(), duration, billed,
                             "+442071838750", f"+{prefix}{rng.randint(1000, 9999)}", name, code, pdd,
                             f"{minutes * Decimal(rate):.6f}", f"{minutes * Decimal(cost):.6f}"])


def raw_copy(path):
    """A raw COPY of the file into the CDR table itself (partitioned, its indexes, its partitions
    already there), emptied again afterwards: the baseline the import is measured against."""
    sql("TRUNCATE summaries_calldetailrecord, summaries_cdrcallid")
    sql("ALTER TABLE summaries_calldetailrecord ALTER imported_at SET DEFAULT now()")
    sql("CHECKPOINT")

    def run():
        with path.open("rb") as stream, connection.cursor() as cursor:
            stream.readline()
            with cursor.cursor.copy(f"COPY summaries_calldetailrecord ({', '.join(CDR_COLUMNS)}) FROM STDIN "
                                    "(FORMAT csv)") as copy:
                while chunk := stream.read(1 << 20):
                    copy.write(chunk)

    seconds, _ = timed(run)
    # For scale: moving the same rows again with one INSERT … SELECT (no validation, no dedupe, no
    # balances), from an already typed table.
    sql("CREATE TEMP TABLE bench_typed AS SELECT * FROM summaries_calldetailrecord")
    sql("TRUNCATE summaries_calldetailrecord")
    sql("CHECKPOINT")
    insert_seconds, _ = timed(lambda: sql(
        f"INSERT INTO summaries_calldetailrecord ({', '.join(CDR_COLUMNS)}, imported_at) "
        f"SELECT {', '.join(CDR_COLUMNS)}, now() FROM bench_typed"))
    sql("DROP TABLE bench_typed")
    sql("TRUNCATE summaries_calldetailrecord")
    sql("ALTER TABLE summaries_calldetailrecord ALTER imported_at DROP DEFAULT")
    return seconds, insert_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    results = {"rows": args.rows, "customers": args.customers, "days": args.days}

    call_command("migrate", verbosity=0)
    sql("TRUNCATE summaries_calldetailrecord, summaries_cdrcallid, summaries_hourlysummary, "
        "summaries_dailysummary, summaries_pendingrolluphour")
    # Customers with CDRs (or ledger entries) cannot be deleted: a second run reuses the first one's.
    ids = list(Customer.objects.filter(name__startswith="Bench 0").order_by("pk").values_list("pk", flat=True))
    ids += [c.pk for c in Customer.objects.bulk_create(
        [Customer(name=f"Bench {i:04d}", currency="USD") for i in range(len(ids), args.customers)])]
    ids = ids[:args.customers]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)

    workdir = Path(tempfile.mkdtemp(prefix="cdr-bench-"))
    path = workdir / "cdrs.csv"
    seconds, _ = timed(lambda: generate_file(path, rows=args.rows, customers=ids, days=args.days, end=end))
    print(f"generated {args.rows} CDRs ({path.stat().st_size / 1e6:.0f} MB) in {seconds:.1f} s")

    # 1. Import beside a raw COPY. The days' partitions exist for both (the daily task makes them).
    cdr_partitions_ensure(days=[end - timedelta(days=n) for n in range(args.days + 2)])
    results["load_before_import"] = [round(value, 2) for value in os.getloadavg()]
    raw_seconds, insert_select_seconds = raw_copy(path)
    sql("CHECKPOINT")
    import_seconds, result = timed(lambda: cdr_import(stream=path.open("rb")))
    results["load_after_import"] = [round(value, 2) for value in os.getloadavg()]
    assert result.inserted == args.rows, result.as_dict()
    results.update(raw_copy_s=round(raw_seconds, 2), import_s=round(import_seconds, 2),
                   bare_insert_select_s=round(insert_select_seconds, 2),
                   import_rows_per_s=round(args.rows / import_seconds),
                   import_vs_raw=round(raw_seconds / import_seconds, 3))
    print(f"raw COPY {raw_seconds:.2f} s; import_cdrs {import_seconds:.2f} s "
          f"({args.rows / import_seconds:,.0f} rows/s); ratio {raw_seconds / import_seconds:.3f} (goal >= 0.7); "
          f"a bare INSERT … SELECT … ON CONFLICT of the typed rows alone: {insert_select_seconds:.2f} s; "
          f"load average {results['load_before_import'][0]} before, {results['load_after_import'][0]} after")
    reimport_seconds, again = timed(lambda: cdr_import(stream=path.open("rb")))
    assert again.inserted == 0 and again.duplicates == args.rows
    results["reimport_same_file_s"] = round(reimport_seconds, 2)
    print(f"re-import of the same file (all duplicates) {reimport_seconds:.2f} s")
    sql("VACUUM ANALYZE summaries_calldetailrecord")

    # 2. Full rollup beside one hand-written GROUP BY.
    sql("DROP TABLE IF EXISTS bench_raw_summary")
    sql("CREATE TABLE bench_raw_summary (LIKE summaries_hourlysummary INCLUDING DEFAULTS INCLUDING IDENTITY "
        "INCLUDING INDEXES)")
    sql("CHECKPOINT")
    raw_rollup, _ = timed(lambda: sql(
        "INSERT INTO bench_raw_summary (customer_id, hour, destination, attempts, answered, duration, "
        "billed_duration, pdd_ms_total, charge, cost) "
        "SELECT customer_id, date_trunc('hour', start_time), destination, count(*), count(answer_time), "
        "sum(duration), sum(billed_duration), sum(pdd_ms), sum(charge), sum(cost) "
        "FROM summaries_calldetailrecord GROUP BY 1, 2, 3"))
    sql("CHECKPOINT")
    rollup_seconds, hours = timed(summary_rollup_pending)
    mismatches = sql("""
        SELECT count(*) FROM (SELECT customer_id, hour, destination, attempts, answered, duration, billed_duration,
                                     pdd_ms_total, charge, cost FROM summaries_hourlysummary
                              EXCEPT SELECT customer_id, hour, destination, attempts, answered, duration,
                                     billed_duration, pdd_ms_total, charge, cost FROM bench_raw_summary) d""")[0][0]
    summary_rows = sql("SELECT count(*) FROM summaries_hourlysummary")[0][0]
    sql("DROP TABLE bench_raw_summary")
    results.update(raw_rollup_s=round(raw_rollup, 2), rollup_s=round(rollup_seconds, 2), rollup_hours=hours,
                   summary_rows=summary_rows, rollup_vs_raw=round(raw_rollup / rollup_seconds, 3),
                   rollup_mismatches=mismatches)
    print(f"hand-written GROUP BY {raw_rollup:.2f} s; rollup of {hours} hours {rollup_seconds:.2f} s; "
          f"ratio {raw_rollup / rollup_seconds:.3f} (goal >= 0.8); {summary_rows} summary rows, "
          f"{mismatches} differ from the baseline")

    # 3. One late hour re-rolled (a CDR arriving ten days late), five times.
    sql("VACUUM ANALYZE summaries_hourlysummary")
    late = []
    for attempt in range(5):
        begin = end - timedelta(days=10, hours=attempt * 7) + timedelta(minutes=13)
        late_file = workdir / f"late{attempt}.csv"
        with late_file.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(CDR_COLUMNS)
            writer.writerow([f"late-{attempt}", ids[0], begin.isoformat(), "", (begin + timedelta(seconds=9)).isoformat(),
                             0, 0, "", "+4477009001234", "United Kingdom - Mobile", 486, 1000, "0", "0"])
        cdr_import(stream=late_file.open("rb"))
        seconds, done = timed(summary_rollup_pending)
        assert done == 1
        late.append(seconds * 1000)
    per_hour = args.rows / (args.days * 24)
    results.update(late_hour_ms=round(statistics.median(late), 1), late_hour_ms_max=round(max(late), 1),
                   cdrs_per_hour=round(per_hour))
    print(f"late hour re-roll (~{per_hour:.0f} CDRs in the hour): median {statistics.median(late):.1f} ms, "
          f"max {max(late):.1f} ms (goal <= 50 ms)")

    # 4. Monthly view of one customer over a year of summaries.
    heavy, _ = Customer.objects.get_or_create(name="Bench heavy", defaults={"currency": "USD"})
    sql("""
        INSERT INTO summaries_hourlysummary (customer_id, hour, destination, attempts, answered, duration,
                                             billed_duration, pdd_ms_total, charge, cost)
        SELECT %s, h, d.name, 40, 20, 2400, 2460, 80000, 1.234567, 0.765432
        FROM generate_series(%s::timestamptz, %s::timestamptz, interval '1 hour') h,
             unnest(%s::text[]) AS d(name)""",
        [heavy.pk, end - timedelta(days=365), end, [d[0] for d in DESTINATIONS]])
    with connection.cursor() as cursor:
        summary_resum_days(customer_ids=[heavy.pk], hours=[end - timedelta(days=day) for day in range(367)],
                           cursor=cursor)
    sql("ANALYZE summaries_hourlysummary")
    sql("ANALYZE summaries_dailysummary")
    year_rows = sql("SELECT count(*) FROM summaries_hourlysummary WHERE customer_id = %s", [heavy.pk])[0][0]
    user, _ = get_user_model().objects.get_or_create(username="bench-staff",
                                                     defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    url = f"/summaries/customers/{heavy.pk}/summary/?period=monthly"
    assert client.get(url).status_code == 200
    monthly = []
    for _ in range(7):
        seconds, response = timed(lambda: client.get(url))
        assert response.status_code == 200 and b"Total" in response.content
        monthly.append(seconds * 1000)
    results.update(monthly_view_ms=round(statistics.median(monthly), 1), monthly_view_summary_rows=year_rows)
    print(f"Monthly view over a year ({year_rows} hourly summary rows): median {statistics.median(monthly):.1f} ms "
          f"server time (goal <= 100 ms)")

    # 5. CDR report download of a month, at two sizes, to show memory stays flat.
    month_start = (end - timedelta(days=40)).replace(day=1, hour=0)
    download = {}
    for label, count in (("small", 50_000), ("large", 250_000)):
        customer, _ = Customer.objects.get_or_create(name=f"Bench report {label}", defaults={"currency": "USD"})
        cdr_partitions_ensure(days=[month_start + timedelta(days=n) for n in range(32)])
        sql(f"""
            INSERT INTO summaries_calldetailrecord (call_id, customer_id, start_time, answer_time, end_time, duration,
                billed_duration, cli, dialed_number, destination, sip_code, pdd_ms, charge, cost, imported_at)
            SELECT 'r{label}-' || i, %s, t, t + interval '2 second', t + interval '62 second', 60, 60,
                   '+442071838750', '+14155550123', 'United States - Fixed', 200, 1500, 0.008, 0.0045, now()
            FROM (SELECT i, %s::timestamptz + (i * interval '1 second') * (2419200.0 / {count}) AS t
                  FROM generate_series(1, {count}) i) s""", [customer.pk, month_start])
        report = f"/summaries/customers/{customer.pk}/cdrs.csv?period=monthly:{month_start:%Y-%m-%d}"

        def stream_all(report=report):
            lines = 0
            for chunk in client.get(report).streaming_content:
                lines += chunk.count(b"\n")
            return lines - 1

        seconds, rows = timed(stream_all)
        assert rows == count, (rows, count)
        tracemalloc.start()
        stream_all()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        download[label] = {"rows": rows, "rows_per_s": round(rows / seconds), "peak_mb": round(peak / 1e6, 2)}
        print(f"CDR report of a month, {rows} rows: {rows / seconds:,.0f} rows/s, "
              f"peak Python memory {peak / 1e6:.2f} MB")
    results["report_download"] = download
    results.update(goals={"import_vs_raw": ">= 0.7", "rollup_vs_raw": ">= 0.8", "late_hour_ms": "<= 50",
                          "monthly_view_ms": "<= 100"})
    path.unlink()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
