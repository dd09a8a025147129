"""Bulk upload of customers: a 10,000-row CSV parsed, validated and imported end to end.

Runs against the database in DATABASE_URL inside a transaction that is rolled back, so it
leaves no data behind. Baseline, measured in the same run: the same rows saved one by one
through the single-edit path (`customer_save`, full_clean + save), on a 500-row sample.

    DATABASE_URL=... .venv/bin/python benchmarks/bulk_upload.py [rows]

Last line: JSON with rows/s of the bulk path, of the baseline, and their ratio.
"""

import csv
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")

import django  # noqa: E402
import pghistory  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from customers import imports, services  # noqa: E402
from customers.models import Customer, ResellerGroup  # noqa: E402

GOAL = 2000


class Rollback(Exception):
    pass


def make_csv(rows, prefix):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "currency", "channels", "flow_speed", "status", "debit_limit", "minimum_payment",
                     "tax_percent", "reseller", "tags", "portal_access", "country", "timezone", "website",
                     "approved_clis_only"])
    for i in range(rows):
        writer.writerow([f"{prefix} {i:06d}", "USD", "30", "10", "active", "100.00", "5.00", "20",
                         "Bench Reseller", "wholesale, bench", "balance, cdrs", "GB", "Europe/London",
                         f"https://c{i}.example.com", "no"])
    return out.getvalue().encode()


def bulk(content):
    start = time.perf_counter()
    parsed = imports.parse_file(content=content, filename="bench.csv")
    validation = imports.validate_rows(parsed, update_existing=False)
    assert validation.is_valid, validation.results[0].errors
    t_valid = time.perf_counter()
    imports.rows_save(validation)
    with connection.cursor() as cursor:  # run the deferred FK checks a commit would run
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    end = time.perf_counter()
    return end - start, t_valid - start, end - t_valid


def one_by_one(rows):
    reseller = ResellerGroup.objects.get(name="Bench Reseller")
    tags = services.tag_get_or_create(names=["wholesale", "bench"])
    start = time.perf_counter()
    for i in range(rows):
        customer = Customer(name=f"Single {i:06d}", currency="USD", channels=30, flow_speed=10, debit_limit="100.00",
                            minimum_payment="5.00", tax_percent="20", reseller=reseller, portal_access=["balance", "cdrs"],
                            country="GB", timezone="Europe/London", website=f"https://s{i}.example.com")
        services.customer_save(customer=customer, tags=tags)
    return time.perf_counter() - start


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    baseline_rows = 500
    content = make_csv(rows, "Bench customer")
    result = {}
    try:
        with transaction.atomic():
            ResellerGroup.objects.get_or_create(name="Bench Reseller")
            cpu_start = time.process_time()
            # As in a request: the audit context is set, so every row's event carries the actor.
            with pghistory.context(actor="benchmark", actor_type="staff"):
                total, validate_s, save_s = bulk(content)
            cpu = time.process_time() - cpu_start
            assert Customer.objects.filter(name__startswith="Bench customer").count() == rows
            base = one_by_one(baseline_rows)
            result = {
                "rows": rows,
                "seconds": round(total, 3),
                "validate_seconds": round(validate_s, 3),
                "save_seconds": round(save_s, 3),
                "rows_per_second": round(rows / total),
                "baseline_rows_per_second": round(baseline_rows / base),
                "speedup_vs_single_saves": round((rows / total) / (baseline_rows / base), 1),
                "goal_rows_per_second": GOAL,
                "meets_goal": rows / total >= GOAL,
                # Context for the wall-clock figures: this process's CPU time (the rest is the
                # database and waiting), and the machine's load while it ran.
                "python_cpu_seconds": round(cpu, 3),
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
            raise Rollback
    except Rollback:
        pass
    print(f"{rows} rows in {result['seconds']} s (validate {result['validate_seconds']} s, "
          f"save {result['save_seconds']} s): {result['rows_per_second']} rows/s")
    print(f"single-edit path: {result['baseline_rows_per_second']} rows/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
