"""Invoicing speed: PDF render time of a 30-line invoice, and a monthly auto-generation run
for 1,000 customers through 2 Celery worker processes (two overlapping runs, 0 duplicates expected).

Runs against a throwaway database `<DATABASE_URL name>_bench` and the broker in CELERY_BROKER_URL.
Usage: DATABASE_URL=... CELERY_BROKER_URL=... .venv/bin/python benchmarks/invoicing.py [--customers 1000]
The last line is a JSON object with the figures.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_env():
    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connex"))
    name = url.path.lstrip("/") + "_bench"
    env = {**os.environ, "DATABASE_URL": urlunparse(url._replace(path="/" + name)),
           "MEDIA_ROOT": tempfile.mkdtemp(prefix="invoicing-bench-"), "DJANGO_SETTINGS_MODULE": "connex.settings",
           "CELERY_TASK_ALWAYS_EAGER": "False", "LOG_LEVEL": "WARNING"}
    return url, name, env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--pdf-only", action="store_true", help="Skip the monthly run through Celery workers.")
    args = parser.parse_args()

    url, name, env = bench_env()
    pg = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    subprocess.run(["dropdb", "--if-exists", *pg, name], check=True)
    subprocess.run(["createdb", *pg, name], check=True)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        pdf = bench_pdf(args.renders)
        run = {} if args.pdf_only else bench_monthly_run(args.customers, env)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["dropdb", "--if-exists", *pg, name], check=False)
    print(json.dumps({**pdf, **run}))


def _invoice_with_lines(count, day):
    from customers.models import Customer
    from invoicing import services
    from invoicing.models import InvoiceLine
    from summaries.periods import Period

    customer = Customer.objects.create(name=f"PDF bench {count} lines", currency="USD", tax_percent=Decimal("20"),
                                       address_line1="1 Bench Street", city="London")
    period = Period.from_key(f"monthly:{day}")
    lines = [InvoiceLine(position=i, description=f"Destination {i:02d} - Mobile", quantity=Decimal("1234.50"),
                         amount=Decimal("98.76")) for i in range(1, count + 1)]
    invoice = services.invoice_create(customer=customer, start=period.start, end=period.end, lines=lines)
    return services.invoice_issue(invoice=invoice, render=False)


def bench_pdf(renders):
    from invoicing import services

    def median_seconds(invoice):
        services.invoice_pdf_bytes(invoice=invoice)  # warm-up: fonts and caches
        wall, cpu = [], []
        for _ in range(renders):
            started, started_cpu = time.perf_counter(), time.process_time()
            services.invoice_pdf_bytes(invoice=invoice)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        return statistics.median(wall), statistics.median(cpu)

    load = os.getloadavg()[0]
    thirty, thirty_cpu = median_seconds(_invoice_with_lines(30, "2026-09-01"))
    one, one_cpu = median_seconds(_invoice_with_lines(1, "2026-08-01"))
    print(f"Load average at start: {load:.2f} on {os.cpu_count()} CPUs (wall time includes waiting for a CPU)")
    print(f"PDF render, 30-line invoice: median {thirty:.3f} s wall, {thirty_cpu:.3f} s CPU over {renders} "
          "renders (goal <= 0.5 s)")
    print(f"PDF render, 1-line invoice (baseline): median {one:.3f} s wall, {one_cpu:.3f} s CPU; "
          f"ratio 30/1 = {thirty / one:.2f}")
    return {"load_average": round(load, 2), "pdf_30_lines_median_s": round(thirty, 4),
            "pdf_30_lines_median_cpu_s": round(thirty_cpu, 4), "pdf_1_line_median_s": round(one, 4),
            "pdf_30_vs_1_ratio": round(thirty / one, 2), "pdf_goal_met": thirty <= 0.5}


def _seed_customers(count):
    from customers.models import Customer
    from summaries.models import HourlySummary

    customers = Customer.objects.bulk_create([
        Customer(name=f"Monthly bench {i:05d}", currency="USD", invoice_schedule="monthly",
                 tax_percent=Decimal("10")) for i in range(count)])
    rows = []
    today = datetime.now(UTC)
    month = (today.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)).replace(day=1)
    for customer in customers:
        for day in (2, 9, 16, 23):
            for destination in ("Germany - Fixed", "United Kingdom - Mobile", "United States - Fixed"):
                rows.append(HourlySummary(customer=customer, hour=month + timedelta(days=day, hours=10),
                                          destination=destination, attempts=20, answered=12, duration=720,
                                          billed_duration=780, charge=Decimal("1.234567"), cost=Decimal("0.8")))
    HourlySummary.objects.bulk_create(rows, batch_size=5000)
    return [c.pk for c in customers]


def bench_monthly_run(count, env):
    from django.db.models import Count

    from invoicing import services
    from invoicing.models import Invoice

    ids = _seed_customers(count)
    now = datetime.now(UTC)

    # Baseline: the same service in this one process, for a sample of customers.
    sample = ids[:50]
    started = time.perf_counter()
    services.invoice_auto_generate(customer_ids=sample, now=now)
    single_rate = len(sample) / (time.perf_counter() - started)
    print(f"Baseline, one process in-line: {single_rate:.1f} invoices/s ({len(sample)} customers)")

    log = tempfile.NamedTemporaryFile(prefix="invoicing-bench-worker-", suffix=".log", delete=False)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "connex", "worker", "--concurrency=2", "--pool=prefork",
         "--loglevel=WARNING", "-n", f"invoicing-bench-{os.getpid()}@%h", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        from connex.celery import app
        from invoicing.tasks import invoice_auto_generate_task

        app.control.purge()
        expected = count
        time.sleep(3)  # let the worker connect
        started = time.perf_counter()
        # Two overlapping runs, as when a manual run meets the scheduled one.
        invoice_auto_generate_task.delay()
        invoice_auto_generate_task.delay()
        deadline = started + 1800
        while time.perf_counter() < deadline:
            done = Invoice.objects.exclude(pdf="").count()
            if done >= expected:
                break
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        time.sleep(2)  # late duplicates, if any, would show up now
    finally:
        worker.terminate()
        worker.wait(30)
    invoices = Invoice.objects.filter(kind="usage")
    duplicates = invoices.values("customer_id", "period_start").annotate(n=Count("pk")).filter(n__gt=1).count()
    numbers = sorted(int(n.removeprefix("INV-")) for n in invoices.values_list("number", flat=True))
    gapless = numbers == list(range(1, len(numbers) + 1))
    rate = (expected - len(sample)) / elapsed
    print(f"Monthly run, {count} customers, 2 worker processes, 2 overlapping runs: {expected - len(sample)} "
          f"invoices with PDFs in {elapsed:.1f} s = {rate:.1f} invoices/s; duplicates {duplicates}; "
          f"numbers gapless {gapless}; invoices total {invoices.count()}")
    return {"customers": count, "workers": 2, "invoices_per_s": round(rate, 2),
            "baseline_single_process_invoices_per_s": round(single_rate, 2),
            "ratio_vs_single_process": round(rate / single_rate, 2), "duplicates": duplicates,
            "numbers_gapless": gapless, "invoices": invoices.count()}


if __name__ == "__main__":
    main()
