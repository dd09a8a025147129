"""Block assignment under contention: 200 assignments from 20 concurrent workers against PostgreSQL.

Each worker is a thread with its own database connection and commits every assignment in its own
transaction, like 20 staff members or API clients pressing "+" at once. Reports assignments/s,
retries forced by the exclusion constraint, and overlapping blocks (must be 0). The baseline is
the same 200 rows inserted by the same 20 workers with precomputed, non-conflicting ranges.

Runs in a throw-away test database created from DATABASE_URL.
    python benchmarks/block_assign.py [--assignments 200] [--workers 20]
"""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connex.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402

from customers.models import Customer  # noqa: E402
from numberblocks import services  # noqa: E402
from numberblocks.models import NumberBlock, NumberRangeOptions  # noqa: E402

OVERLAPS_SQL = """SELECT count(*) FROM numberblocks_numberblock a JOIN numberblocks_numberblock b
    ON a.id < b.id AND int4range(a.start, a."end", '[]') && int4range(b.start, b."end", '[]')"""


def run_workers(workers, per_worker, job):
    barrier = threading.Barrier(workers + 1)
    errors = []

    def work(index):
        try:
            connection.ensure_connection()
            barrier.wait()
            for n in range(per_worker):
                job(index, n)
        except Exception as exc:  # reported after the run
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--block-size", type=int, default=100)
    args = parser.parse_args()
    per_worker = args.assignments // args.workers
    total = per_worker * args.workers

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": 1000,
                                                               "block_size": args.block_size})
        customers = [Customer.objects.create(name=f"Bench {i}", currency="USD") for i in range(args.workers)]

        # Baseline: plain single-row inserts of ranges nobody else wants.
        def insert(index, n):
            start = 10_000_000 + (index * per_worker + n) * args.block_size
            with transaction.atomic():
                NumberBlock.objects.create(customer=customers[index], start=start, end=start + args.block_size - 1)

        baseline_seconds, baseline_errors = run_workers(args.workers, per_worker, insert)
        NumberBlock.objects.all().delete()

        attempts = 0
        lock = threading.Lock()
        original = services.first_free_block

        def counting(*a, **kw):
            nonlocal attempts
            with lock:
                attempts += 1
            return original(*a, **kw)

        services.first_free_block = counting

        def assign(index, n):
            services.block_assign_next(customer=customers[index])

        seconds, errors = run_workers(args.workers, per_worker, assign)
        services.first_free_block = original

        with connection.cursor() as cursor:
            cursor.execute(OVERLAPS_SQL)
            overlaps = cursor.fetchone()[0]
        assigned = NumberBlock.objects.count()
        starts = sorted(NumberBlock.objects.values_list("start", flat=True))
        contiguous = starts == [1000 + i * args.block_size for i in range(assigned)]
    finally:
        connections.close_all()
        creation.destroy_test_db(old_name, verbosity=0)

    rate = total / seconds
    baseline_rate = total / baseline_seconds
    print(f"workers: {args.workers}, assignments requested: {total}, assigned: {assigned}")
    print(f"block_assign_next: {seconds:.3f} s, {rate:.1f} assignments/s, "
          f"retries on conflict: {attempts - total}, errors: {len(errors)}")
    print(f"baseline plain inserts: {baseline_seconds:.3f} s, {baseline_rate:.1f} inserts/s "
          f"(errors: {len(baseline_errors)})")
    print(f"overlapping block pairs: {overlaps}; blocks contiguous from range start: {contiguous}")
    for error in (errors + baseline_errors)[:5]:
        print("error:", error)
    print(json.dumps({"benchmark": "block_assign", "workers": args.workers, "assignments": total,
                      "assigned": assigned, "seconds": round(seconds, 4),
                      "assignments_per_second": round(rate, 1), "retries": attempts - total,
                      "overlaps": overlaps, "contiguous": contiguous, "errors": len(errors),
                      "baseline_inserts_per_second": round(baseline_rate, 1),
                      "ratio_vs_plain_insert": round(rate / baseline_rate, 3)}))
    return 0 if overlaps == 0 and not errors and assigned == total else 1


if __name__ == "__main__":
    sys.exit(main())
