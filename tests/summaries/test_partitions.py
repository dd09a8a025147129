"""Daily CDR partitions: creation ahead and on demand, dedupe across days, retention, pruning."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from customers.models import Customer
from invoicing.services import invoice_create, invoice_issue
from ledger.models import DailySpend
from routing.recalc import RERATE, cdr_recalc
from summaries.models import (
    CallDetailRecord,
    CdrCallId,
    CdrRetentionOptions,
    DailySummary,
    HourlySummary,
)
from summaries.partitions import CdrDaysGone, cdr_partition_days, cdr_retention_enforce
from summaries.selectors import cdr_list
from summaries.services import cdr_import, summary_queue_range, summary_rollup_pending
from summaries.tasks import cdr_partitions_create_ahead_task
from tests.factories import CustomerFactory, StaffFactory

from .helpers import cdr_row, csv_stream

pytestmark = pytest.mark.django_db

def today():
    # Read per test: a module constant goes stale when the suite runs across midnight UTC.
    return datetime.now(UTC).date()


def at(start, call_id, customer_id, charge="0.500000"):
    return cdr_row(customer_id, call_id, start_time=start.isoformat(),
                   answer_time=(start + timedelta(seconds=1)).isoformat(),
                   end_time=(start + timedelta(seconds=61)).isoformat(), charge=charge)


def midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_the_daily_task_creates_today_and_the_week_ahead():
    cdr_partitions_create_ahead_task.delay()
    assert {today() + timedelta(days=n) for n in range(8)} <= set(cdr_partition_days())


def test_an_import_reaching_a_day_without_a_partition_creates_it():
    customer = CustomerFactory()
    old_day = today() - timedelta(days=40)
    assert old_day not in cdr_partition_days()
    result = cdr_import(stream=csv_stream([at(midnight(old_day) + timedelta(hours=3), "old", customer.pk),
                                           at(midnight(today()), "new", customer.pk)]))
    assert (result.inserted, result.rejected) == (2, 0)
    assert old_day in cdr_partition_days()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM summaries_calldetailrecord WHERE call_id = 'old'")
        assert cursor.fetchone()[0] == f"summaries_calldetailrecord_p{old_day:%Y%m%d}"


def test_a_duplicate_call_id_is_skipped_across_a_day_boundary():
    customer = CustomerFactory()
    last_second = midnight(today()) - timedelta(seconds=1)
    first = cdr_import(stream=csv_stream([at(last_second, "across", customer.pk)]))
    again = cdr_import(stream=csv_stream([at(last_second + timedelta(seconds=2), "across", customer.pk, "9.000000")]))
    same_file = cdr_import(stream=csv_stream([at(last_second, "twice", customer.pk),
                                              at(last_second + timedelta(seconds=2), "twice", customer.pk)]))
    assert (first.inserted, again.inserted, again.duplicates, again.charged) == (1, 0, 1, Decimal("0"))
    assert (same_file.inserted, same_file.duplicates) == (1, 1)
    stored = CallDetailRecord.objects.get(call_id="across")
    assert stored.start_time == last_second and stored.charge == Decimal("0.5")
    assert CallDetailRecord.objects.get(call_id="twice").start_time == last_second
    assert CdrCallId.objects.get(call_id="across").cdr_id == stored.pk


def test_the_orm_path_keeps_the_dedupe_too():
    customer = CustomerFactory()
    CallDetailRecord.objects.create(call_id="orm", customer=customer, start_time=midnight(today()), duration=0,
                                    end_time=midnight(today()), billed_duration=0, dialed_number="441", sip_code=486)
    with pytest.raises(IntegrityError):
        CallDetailRecord.objects.create(call_id="orm", customer=customer, start_time=midnight(today()) + timedelta(
            days=1), end_time=midnight(today()) + timedelta(days=1), duration=0, billed_duration=0,
            dialed_number="441", sip_code=486)


def test_a_customer_with_cdrs_cannot_be_deleted_in_the_database():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([at(midnight(today()), "kept", customer.pk)]))
    with pytest.raises(IntegrityError, match="has call records"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_customer WHERE id = %s", [customer.pk])


def _money_state(customer):
    customer.refresh_from_db()
    return (customer.balance,
            sorted(HourlySummary.objects.filter(customer=customer).values_list("hour", "attempts", "charge")),
            sorted(DailySummary.objects.filter(customer=customer).values_list("day", "attempts", "charge")),
            sorted(DailySpend.objects.filter(customer=customer).values_list("day", "amount")))


def test_retention_drops_whole_days_and_keeps_summaries_balances_and_invoices(client):
    customer = CustomerFactory()
    old_day, recent_day = today() - timedelta(days=200), today() - timedelta(days=3)
    cdr_import(stream=csv_stream([at(midnight(old_day) + timedelta(hours=h), f"old{h}", customer.pk) for h in (1, 9)]
                                 + [at(midnight(recent_day) + timedelta(hours=2), "recent", customer.pk)]))
    summary_rollup_pending()
    month = midnight(old_day.replace(day=1))
    invoice = invoice_issue(invoice=invoice_create(customer=customer, start=month,
                                                   end=midnight((old_day.replace(day=28) + timedelta(days=4))
                                                                .replace(day=1))))
    before, invoice_total = _money_state(customer), invoice.total

    result = cdr_retention_enforce()

    assert old_day in result.dropped and old_day not in cdr_partition_days()
    assert set(CallDetailRecord.objects.values_list("call_id", flat=True)) == {"recent"}
    assert set(CdrCallId.objects.values_list("call_id", flat=True)) == {"recent"}
    assert CdrRetentionOptions.get().dropped_before == today() - timedelta(days=180)
    assert _money_state(customer) == before
    invoice.refresh_from_db()
    assert invoice.total == invoice_total

    # A rebuild or late re-roll of a removed hour leaves its summaries alone.
    summary_queue_range(date_from=old_day, date_to=old_day)
    summary_rollup_pending()
    assert _money_state(customer) == before
    # Late CDRs of a removed day are refused, so no partition of it comes back.
    late = cdr_import(stream=csv_stream([at(midnight(old_day) + timedelta(hours=5), "late", customer.pk)]))
    assert late.inserted == 0 and "removed (retention)" in late.rejects[0][2]
    assert old_day not in cdr_partition_days()
    # Recalc and reports refuse the removed day with the reason.
    with pytest.raises(CdrDaysGone, match="removed by the retention setting"):
        cdr_recalc(customer_id=customer.pk, day=old_day, mode=RERATE)
    client.force_login(StaffFactory(is_superuser=True))
    response = client.get(f"/summaries/customers/{customer.pk}/cdrs.csv", {"period": f"daily:{old_day}"})
    assert response.status_code == 410 and b"removed by the retention setting" in response.content
    assert client.get(f"/summaries/customers/{customer.pk}/cdrs.csv",
                      {"period": f"daily:{recent_day}"}).status_code == 200


def test_retention_keeps_a_day_whose_hours_wait_for_the_rollup():
    customer = CustomerFactory()
    old_day = today() - timedelta(days=200)
    cdr_import(stream=csv_stream([at(midnight(old_day) + timedelta(hours=1), "waiting", customer.pk)]))
    result = cdr_retention_enforce()
    assert result.kept_pending == [old_day] and old_day in cdr_partition_days()
    assert CdrRetentionOptions.get().dropped_before == old_day
    summary_rollup_pending()
    assert old_day in cdr_retention_enforce().dropped


def test_retention_setting_page_saves_days(client):
    client.force_login(StaffFactory(is_superuser=True))
    assert client.post("/settings/cdr-retention/", {"raw_cdr_days": "1"}).status_code == 422
    assert client.post("/settings/cdr-retention/", {"raw_cdr_days": "90"}).status_code == 302
    assert CdrRetentionOptions.get().raw_cdr_days == 90


def _partitions_read(plan):
    return set(re.findall(r" on (summaries_calldetailrecord_p\d{8})", plan))


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_one_day_cdr_query_reads_only_that_days_partition():
    customer = CustomerFactory()
    day = today() - timedelta(days=1)
    cdr_import(stream=csv_stream([at(midnight(day) + timedelta(hours=h), f"d{h}", customer.pk) for h in (0, 23)]
                                 + [at(midnight(today()), "next", customer.pk)]))
    plan = _plan(cdr_list(customer_id=customer.pk, start=midnight(day), end=midnight(day) + timedelta(days=1)))
    assert _partitions_read(plan) == {f"summaries_calldetailrecord_p{day:%Y%m%d}"}, plan
    # The card's CDR tab predicate: start >= day AND start < day + 1, as SQL.
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT * FROM summaries_calldetailrecord WHERE customer_id = %s "
                       "AND start_time >= %s AND start_time < %s::timestamptz + interval '1 day' "
                       "ORDER BY start_time DESC LIMIT 50", [customer.pk, midnight(day), midnight(day)])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert _partitions_read(plan) == {f"summaries_calldetailrecord_p{day:%Y%m%d}"}, plan


def test_the_api_finds_a_call_id_through_its_partition(api_client):
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([at(midnight(today()) - timedelta(days=2), "needle", customer.pk)]))
    api = api_client("summaries.view_calldetailrecord", "customers.view_all_customers", scopes=["read"])
    assert [r["call_id"] for r in api.get("/api/v1/cdrs", {"call_id": "needle"}).json()["results"]] == ["needle"]
    assert api.get("/api/v1/cdrs", {"call_id": "nothing"}).json()["results"] == []


def test_customers_survive_in_the_panel_after_retention():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([at(midnight(today() - timedelta(days=300)), "ancient", customer.pk)]))
    summary_rollup_pending()
    cdr_retention_enforce(today=today())
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not CallDetailRecord.objects.filter(customer=customer).exists()
    assert date(2000, 1, 1) < CdrRetentionOptions.get().dropped_before
