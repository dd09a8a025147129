"""Customers board at 100,000 customers, filtered by status and sorted by balance.

Measures median server time (in-process request handling, no network) and SQL query count for
the board at two page sizes, beside Django admin's changelist for the same filter and order on the
same data. Usage: .venv/bin/python benchmarks/board.py [--customers 100000] [--runs 15]
"""

import argparse
import json
import statistics
import time

from _setup import django_setup

parser = argparse.ArgumentParser()
parser.add_argument("--customers", type=int, default=100_000)
parser.add_argument("--runs", type=int, default=15)
args = parser.parse_args()

django_setup("connex_bench_board")

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from customers.models import Customer  # noqa: E402


def build(count):
    have = Customer.objects.count()
    if have >= count:
        return
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO customers_resellergroup (name, created, updated) "
                       "SELECT 'Bench reseller ' || g, now(), now() FROM generate_series(1, 20) g "
                       "ON CONFLICT DO NOTHING")
        cursor.execute("INSERT INTO customers_tag (name, created, updated) "
                       "SELECT 'bench-tag-' || g, now(), now() FROM generate_series(1, 30) g ON CONFLICT DO NOTHING")
        cursor.execute("""
            INSERT INTO customers_customer (
                name, channels, flow_speed, status, debit_limit, minimum_payment, topup_currencies, tax_percent,
                currency, paypal_email, website, p_asserted_id, portal_access, vars, invoice_schedule,
                create_invoice_on_payment, invoice_due_days, external_accounting_id, rtp_firewall,
                recording_retention_days, domain, stir_shaken_attestation, address_line1, address_line2,
                city, region, postcode, country, approved_clis_only, email_verification_required,
                mobile_verification_required, notes, timezone, balance, channels_in_use, created, updated,
                reseller_id)
            SELECT 'Bench customer ' || lpad(g::text, 7, '0'), (g %% 500), (g %% 50),
                   (ARRAY['active','active','active','inactive','penalty','pending_approval'])[1 + g %% 6],
                   (g %% 10) * 100, 10, '{}', 0, (ARRAY['USD','EUR','GBP','CAD'])[1 + g %% 4], '', '', '',
                   '{balance,cdrs,summaries,invoices,payments,rates}', '', 'none', false, 14, 'ACC-' || g,
                   'locked', 0, '', 'B', '', '', '', '', '', '', false, false, false, '', 'UTC',
                   ((g * 7919) %% 1000000) / 100.0 - 2000, 0, now() - (g || ' minutes')::interval, now(),
                   (SELECT min(id) FROM customers_resellergroup) + g %% 20
            FROM generate_series(%s, %s) g
        """, [have + 1, count])
        cursor.execute("""
            INSERT INTO customers_customer_tags (customer_id, tag_id)
            SELECT c.id, t.id FROM customers_customer c
            JOIN customers_tag t ON t.name = 'bench-tag-' || (1 + c.id % 30)
            ON CONFLICT DO NOTHING
        """)
        cursor.execute("ANALYZE")


def measure(client, url, runs):
    client.get(url)  # warm caches and connections
    timings, queries = [], None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    return statistics.median(timings), queries


build(args.customers)
User = get_user_model()
user, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
user.is_staff = user.is_superuser = True
user.save()
client = Client()
client.force_login(user)

board_50_ms, board_50_q = measure(client, "/customers/?status=active&sort=balance&per_page=50", args.runs)
board_250_ms, board_250_q = measure(client, "/customers/?status=active&sort=balance&per_page=250", args.runs)
# Admin: balance is the 4th list_display column.
admin_ms, admin_q = measure(client, "/admin/customers/customer/?status__exact=active&o=4", args.runs)

figures = {
    "customers": Customer.objects.count(),
    "board_median_ms_50_rows": round(board_50_ms, 1),
    "board_median_ms_250_rows": round(board_250_ms, 1),
    "board_queries_50_rows": board_50_q,
    "board_queries_250_rows": board_250_q,
    "admin_changelist_median_ms_100_rows": round(admin_ms, 1),
    "admin_changelist_queries": admin_q,
    "board_vs_admin_time_ratio": round(board_50_ms / admin_ms, 2),
    "goal_board_ms": 150,
}
print(f"Board, status=active sorted by balance, {figures['customers']} customers:")
print(f"  50 rows : median {board_50_ms:.1f} ms, {board_50_q} queries")
print(f"  250 rows: median {board_250_ms:.1f} ms, {board_250_q} queries")
print(f"Django admin changelist (100 rows): median {admin_ms:.1f} ms, {admin_q} queries")
print(json.dumps(figures))
