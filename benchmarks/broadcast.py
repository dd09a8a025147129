"""Email broadcast throughput: 10,000 recipients through the outbox and a real Celery worker.

A local aiosmtpd server receives the mail. Baseline, measured in the same run: a plain loop of
Django `send_mail` calls to the same server (one SMTP session per mail, no outbox).

    .venv/bin/python benchmarks/broadcast.py [--recipients 10000] [--baseline 2000] [--concurrency 2]

Uses its own database (connex_bench8, recreated) and Redis db 8 unless BENCH_DATABASE_URL /
BENCH_BROKER_URL say otherwise. Last line of output is a JSON object.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connex_bench8")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
os.environ.update(DATABASE_URL=DATABASE_URL, CELERY_BROKER_URL=BROKER_URL, CELERY_RESULT_BACKEND=BROKER_URL,
                  DJANGO_SETTINGS_MODULE="connex.settings", CELERY_TASK_ALWAYS_EAGER="false",
                  LOG_LEVEL="WARNING")


class CountingHandler:
    def __init__(self):
        self.count = 0
        self.recipients = set()

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def recreate_database():
    from urllib.parse import urlsplit

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    base = ["-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    subprocess.run(["dropdb", "--if-exists", *base, name], check=True)
    subprocess.run(["createdb", *base, name], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_worker(concurrency):
    celery = str(Path(sys.executable).with_name("celery"))
    subprocess.run([celery, "-A", "connex", "purge", "-f"], cwd=ROOT, check=True, capture_output=True)
    worker = subprocess.Popen([celery, "-A", "connex", "worker", "--loglevel", "WARNING", "--concurrency",
                               str(concurrency), "--without-gossip", "--without-mingle", "-n", "bench8@%h"],
                              cwd=ROOT, start_new_session=True)
    from connex.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1, destination=["bench8@" + os.uname().nodename]):
            return worker
    worker.kill()
    raise SystemExit("Celery worker did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=2_000, help="send_mail calls in the baseline loop")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    recreate_database()
    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.mail import get_connection, send_mail
    from django.db import connection
    from django.db.models import Count

    from contacts.models import Contact
    from customers.models import Customer
    from messaging.models import Message, MessagingOptions
    from messaging.services import broadcast_create

    handler = CountingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    options = MessagingOptions.get()
    options.smtp_host, options.smtp_port, options.smtp_use_tls = "127.0.0.1", port, False
    options.email_from = "Connex <noreply@bench.test>"
    options.save()

    per_customer = 4
    customers = Customer.objects.bulk_create(
        Customer(name=f"Bench customer {i:05d}", currency="USD") for i in range(args.recipients // per_customer))
    Contact.objects.bulk_create(
        Contact(customer=customer, name=f"Contact {n} of {customer.name}", email=f"c{customer.pk}-{n}@bench.test")
        for customer in customers for n in range(per_customer))
    print(f"{len(customers)} customers, {Contact.objects.count()} contacts with an email")

    # Baseline: the simplest thing, a send_mail loop (one SMTP session per message, no outbox).
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port,
                          use_tls=False)
    started = time.perf_counter()
    for n in range(args.baseline):
        send_mail("Baseline", f"Message {n}", "noreply@bench.test", [f"baseline{n}@bench.test"],
                  connection=smtp)
    baseline_seconds = time.perf_counter() - started
    baseline_rate = args.baseline / baseline_seconds
    print(f"baseline send_mail loop: {args.baseline} mails in {baseline_seconds:.2f} s = {baseline_rate:.0f} msg/s")
    received_before = handler.count

    worker = start_worker(args.concurrency)
    try:
        started = time.perf_counter()
        broadcast = broadcast_create(channel="email", subject="Your balance, {{ customer.name }}",
                                     body="Dear {{ contact.name }},\n\nYour balance is {{ customer.balance }} "
                                          "{{ customer.currency }}.\n", customers=Customer.objects.all())
        queued_seconds = time.perf_counter() - started
        print(f"queued {broadcast.recipient_count} messages in {queued_seconds:.2f} s")
        pending = (Message.State.QUEUED, Message.State.SENDING)
        deadline = time.monotonic() + 900
        while Message.objects.filter(broadcast=broadcast, state__in=pending).exists():
            if time.monotonic() > deadline:
                raise SystemExit("broadcast did not finish in 15 minutes")
            time.sleep(0.2)
        total_seconds = time.perf_counter() - started
        connection.close()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        controller.stop()

    states = dict(Message.objects.filter(broadcast=broadcast).order_by().values_list("state")
                  .annotate(n=Count("pk")))
    delivered = handler.count - received_before
    rate = broadcast.recipient_count / total_seconds
    print(f"broadcast: {broadcast.recipient_count} recipients, {delivered} mails received by the SMTP server, "
          f"states {states}")
    print(f"broadcast end to end (queue + deliver, worker concurrency {args.concurrency}): "
          f"{total_seconds:.2f} s = {rate:.0f} msg/s ({rate / baseline_rate:.2f}x the send_mail loop)")
    deliver_rate = broadcast.recipient_count / (total_seconds - queued_seconds)
    print(f"delivery alone (after queueing): {total_seconds - queued_seconds:.2f} s = {deliver_rate:.0f} msg/s")
    print(json.dumps({
        "benchmark": "broadcast", "recipients": broadcast.recipient_count, "delivered": delivered,
        "sent": states.get("sent", 0), "worker_concurrency": args.concurrency,
        "queue_seconds": round(queued_seconds, 3), "total_seconds": round(total_seconds, 3),
        "messages_per_second": round(rate, 1), "delivery_messages_per_second": round(deliver_rate, 1), "baseline_send_mail_per_second": round(baseline_rate, 1),
        "ratio_vs_baseline": round(rate / baseline_rate, 2),
    }))
    if delivered != broadcast.recipient_count:
        sys.exit(1)


if __name__ == "__main__":
    main()
