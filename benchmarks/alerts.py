"""Alert evaluation for 100,000 customers beside a single SQL pass over the same data.

Every customer has the default low-balance alert; one in four has another alert (daily spend, ASR,
ACD, PDD or channels in use) over daily spend rows, hourly summaries and live channels. Measured,
median of --runs: a quiet evaluation (nothing crosses), one where 1% of customers fall below their
threshold (fire: events, penalties, outbox messages), and the one after where they recover (reset).
The baseline is the plain SELECT of every alert's current value — the least any evaluator reads.
Usage: .venv/bin/python benchmarks/alerts.py [--customers 100000] [--runs 5]
"""

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from _setup import django_setup

parser = argparse.ArgumentParser()
parser.add_argument("--customers", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=5)
args = parser.parse_args()

# The outbox's delivery tasks stay in process memory: no worker, and no shared broker, is fed.
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["CELERY_RESULT_BACKEND"] = "cache+memory://"
django_setup("connex_bench_alerts")

from django.db import connection  # noqa: E402

from alerts import selectors  # noqa: E402
from alerts.models import Alert, AlertEvent, AlertOptions  # noqa: E402
from alerts.services import alerts_evaluate, default_alerts_sync  # noqa: E402
from calls import live  # noqa: E402
from customers.models import Customer  # noqa: E402
from messaging.models import Message  # noqa: E402

NOW = datetime.now(UTC).replace(second=0, microsecond=0)
HOUR = NOW.replace(minute=0)


def build(count):
    have = Customer.objects.count()
    with connection.cursor() as cursor:
        if have < count:
            cursor.execute("""
                INSERT INTO customers_customer (
                    name, channels, flow_speed, status, debit_limit, minimum_payment, topup_currencies, tax_percent,
                    currency, paypal_email, website, p_asserted_id, portal_access, vars, invoice_schedule,
                    create_invoice_on_payment, invoice_due_days, external_accounting_id, rtp_firewall,
                    recording_retention_days, domain, stir_shaken_attestation, address_line1, address_line2,
                    city, region, postcode, country, approved_clis_only, email_verification_required,
                    mobile_verification_required, notes, timezone, balance, channels_in_use, created, updated)
                SELECT 'Bench customer ' || lpad(g::text, 7, '0'), 50, 10, 'active', 100, 0, '{}', 0, 'USD',
                       '', '', '', '{balance}', '', 'none', false, 14, '', 'locked', 0, '', 'B', '', '', '', '', '',
                       '', false, false, false, '', 'UTC', 100 + g %% 1000, 0, now(), now()
                FROM generate_series(%s, %s) g
            """, [have + 1, count])
        cursor.execute("DELETE FROM alerts_alertevent")
        cursor.execute("DELETE FROM messaging_message WHERE kind = 'alert'")
        cursor.execute("UPDATE customers_customer SET status = 'active', balance = 100 + id % 1000")
        cursor.execute("DELETE FROM ledger_dailyspend")
        cursor.execute("INSERT INTO ledger_dailyspend (customer_id, day, amount, calls) "
                       "SELECT id, %s, id %% 300, 10 FROM customers_customer", [NOW.date()])
        cursor.execute("DELETE FROM summaries_hourlysummary")
        cursor.execute("""
            INSERT INTO summaries_hourlysummary (customer_id, hour, destination, attempts, answered, duration,
                                                 billed_duration, pdd_ms_total, charge, cost)
            SELECT c.id, %s - h * interval '1 hour', 'Bench', 100, 40 + c.id %% 30, 4000, 4000, 150000, 1, 0.5
            FROM customers_customer c, generate_series(0, 2) h WHERE c.id %% 4 = 0
        """, [HOUR])
    options = AlertOptions.get()
    options.low_balance_enabled, options.low_balance_threshold = True, Decimal("10")
    options.low_balance_reset = Decimal("20")
    options.save()
    default_alerts_sync()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alerts_alert SET state = 'armed', fired_at = NULL, last_sent_at = NULL, "
                       "penalty_applied = false")
        cursor.execute("""
            INSERT INTO alerts_alert (created, updated, customer_id, title, enabled, recipients, area, operator,
                                      threshold, reset_threshold, sample_hours, min_attempts, repeat_minutes, penalty,
                                      penalty_lift_on_reset, subject, message, source, follows_default, state,
                                      penalty_applied)
            SELECT now(), now(), c.id, 'Bench ' || a.area, true, '{noc@example.com}', a.area, a.op, a.threshold,
                   NULL, 3, 20, 60, false, false, 'Alert', 'Value {{ alert.value }}', 'custom', false, 'armed', false
            FROM customers_customer c
            JOIN (VALUES (0, 'daily_spend', 'gt', 1000), (1, 'asr', 'lt', 10), (2, 'acd', 'lt', 5),
                         (3, 'pdd', 'gt', 10), (4, 'channels', 'gt', 45)) AS a(n, area, op, threshold)
              ON (c.id / 4) % 5 = a.n
            WHERE c.id % 4 = 0
            ON CONFLICT DO NOTHING
        """)
        cursor.execute("UPDATE alerts_alert SET recipients = '{billing@example.com}' WHERE source = 'default'")
        cursor.execute("UPDATE alerts_alert SET penalty = true, penalty_lift_on_reset = true "
                       "WHERE source = 'default' AND customer_id % 2 = 0")
        cursor.execute("ANALYZE")
    channel_customers = selectors.channel_alert_customers()
    pipe = live.live_redis().pipeline(transaction=False)
    for customer_id in channel_customers:  # a few live calls each
        for n in range(customer_id % 5):
            pipe.zadd(f"{live.PREFIX}:ch:customer:{customer_id}", {f"bench-{customer_id}-{n}": NOW.timestamp() + 3600})
    pipe.execute()
    return len(channel_customers)


def timed(function):
    started = time.perf_counter()
    result = function()
    return (time.perf_counter() - started) * 1000, result


def baseline():
    channels = selectors.channels_in_use(selectors.channel_alert_customers())
    sql, params = selectors.values_query(now=NOW, channels=channels)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, value FROM ({sql}) v", params)
        return len(cursor.fetchall())


def set_balances(ids, amount):
    Customer.objects.filter(pk__in=ids).update(balance=Decimal(amount))


channel_customers = build(args.customers)
alert_count = Alert.objects.filter(enabled=True).count()
moving = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[::100])  # 1 %
baseline()
alerts_evaluate(now=NOW)  # warm up

quiet, firing, resetting, single = [], [], [], []
fired = reset = 0
for run in range(args.runs):
    at = NOW + timedelta(minutes=run * 3 + 1)
    ms, _ = timed(baseline)
    single.append(ms)
    ms, result = timed(lambda at=at: alerts_evaluate(now=at))
    assert sum(result.counts.values()) == 0, result
    quiet.append(ms)
    set_balances(moving, "5")
    ms, result = timed(lambda at=at: alerts_evaluate(now=at + timedelta(minutes=1)))
    firing.append(ms)
    fired = result.counts["fired"]
    set_balances(moving, "500")
    ms, result = timed(lambda at=at: alerts_evaluate(now=at + timedelta(minutes=2)))
    resetting.append(ms)
    reset = result.counts["reset"]

assert fired == len(moving) and reset == len(moving), (fired, reset)
figures = {
    "customers": Customer.objects.count(), "alerts": alert_count, "channel_alerts": channel_customers,
    "moving_customers": len(moving),
    "single_pass_ms": round(statistics.median(single), 1),
    "evaluate_quiet_ms": round(statistics.median(quiet), 1),
    "evaluate_fire_ms": round(statistics.median(firing), 1),
    "evaluate_reset_ms": round(statistics.median(resetting), 1),
    "events": AlertEvent.objects.count(), "messages": Message.objects.filter(kind="alert").count(),
}
for key in ("quiet", "fire", "reset"):
    figures[f"{key}_vs_single_pass"] = round(figures[f"evaluate_{key}_ms"] / figures["single_pass_ms"], 2)
print(f"{figures['customers']:,} customers, {alert_count:,} enabled alerts ({channel_customers:,} on live channels)")
print(f"single SQL pass (every alert's value): {figures['single_pass_ms']} ms")
print(f"evaluation, nothing crossing:          {figures['evaluate_quiet_ms']} ms "
      f"(x{figures['quiet_vs_single_pass']})")
print(f"evaluation, {len(moving):,} customers fire:       {figures['evaluate_fire_ms']} ms "
      f"(x{figures['fire_vs_single_pass']})")
print(f"evaluation, {len(moving):,} customers reset:      {figures['evaluate_reset_ms']} ms "
      f"(x{figures['reset_vs_single_pass']})")
print(json.dumps(figures))
