"""One bad CDR or hour never stops the pipeline: the importer refuses what cannot be summed or
shown, summaries hold any sum of valid CDRs, and the rollup sets a failing hour aside."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import DataError, connection

from summaries import services
from summaries.models import CallDetailRecord, HourlySummary, PendingRollupHour, SetAsideRollupHour
from summaries.services import cdr_import, summary_rollup_pending
from tests.factories import CustomerFactory

from .helpers import T0, cdr_row, csv_stream, summary_differences

pytestmark = pytest.mark.django_db


def at(start, call_id, customer_id, **overrides):
    return cdr_row(customer_id, call_id, start_time=start.isoformat(),
                   answer_time=(start + timedelta(seconds=2)).isoformat(),
                   end_time=(start + timedelta(seconds=62)).isoformat(), **overrides)


@pytest.mark.parametrize("start, end", [
    ("9999-12-31T23:30:00-15:00", "9999-12-31T23:59:00-15:00"),
    ("9999-12-31T23:00:00Z", "9999-12-31T23:01:00Z"),
    ("1999-12-31T23:59:59Z", "2000-01-01T00:01:00Z"),
])
def test_times_outside_the_window_are_rejected_with_the_reason(start, end):
    customer = CustomerFactory()
    rows = [cdr_row(customer.pk, "ok"),
            cdr_row(customer.pk, "far", start_time=start, answer_time="", duration=0, end_time=end)]

    result = cdr_import(stream=csv_stream(rows))

    assert result.inserted == 1
    assert result.rejects == [(3, "far", "start_time outside 2000-01-01 to one day from now")]
    assert list(CallDetailRecord.objects.values_list("call_id", flat=True)) == ["ok"]


def test_a_start_more_than_a_day_ahead_is_rejected_but_an_hour_ahead_is_not():
    customer = CustomerFactory()
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [at(now + timedelta(hours=1), "soon", customer.pk), at(now + timedelta(days=1, hours=1), "later", customer.pk)]

    result = cdr_import(stream=csv_stream(rows))

    assert [reject[1:] for reject in result.rejects] == [
        ("later", "start_time outside 2000-01-01 to one day from now")]


def test_an_end_time_days_after_the_start_is_rejected():
    customer = CustomerFactory()
    result = cdr_import(stream=csv_stream([cdr_row(customer.pk, "long", end_time="2026-11-25T10:00:00Z")]))

    assert result.rejects == [(2, "long", "end_time more than 2 days after start_time")]


def test_charges_summing_past_the_old_column_width_roll_up_exactly():
    customer = CustomerFactory()
    rows = [cdr_row(customer.pk, "a", charge="999999999999.999999", cost="999999999999.999999"),
            cdr_row(customer.pk, "b", charge="0.000001", cost="0.000001")]
    assert cdr_import(stream=csv_stream(rows)).inserted == 2

    assert summary_rollup_pending() == 1

    hourly = HourlySummary.objects.get(customer=customer)
    assert hourly.charge == hourly.cost == Decimal("1000000000000")
    assert summary_differences() == []
    assert not SetAsideRollupHour.objects.exists()


def test_a_charge_of_a_trillion_or_more_is_rejected():
    customer = CustomerFactory()
    result = cdr_import(stream=csv_stream([cdr_row(customer.pk, "big", charge="1000000000000")]))

    assert result.rejects == [(2, "big", "bad charge (decimal, up to 6 places)")]


def test_charges_that_would_overflow_a_balance_refuse_the_file_cleanly():
    customer = CustomerFactory(balance=Decimal("0"))
    rows = [cdr_row(customer.pk, f"c{i}", charge="999999999999") for i in range(101)]

    with pytest.raises(services.CdrImportError, match="balance"):
        cdr_import(stream=csv_stream(rows))

    assert not CallDetailRecord.objects.exists()
    assert not PendingRollupHour.objects.exists()
    customer.refresh_from_db()
    assert customer.balance == 0


@pytest.mark.parametrize("neighbour", [None, {"duration": "abc"}])
def test_exponent_notation_means_the_same_whatever_the_other_rows_hold(neighbour):
    customer = CustomerFactory()
    rows = [cdr_row(customer.pk, "exp", charge="1e3", cost="2.5E-1")]
    if neighbour:
        rows.append(cdr_row(customer.pk, "bad", **neighbour))

    result = cdr_import(stream=csv_stream(rows))

    stored = CallDetailRecord.objects.get(call_id="exp")
    assert (stored.charge, stored.cost) == (Decimal("1000"), Decimal("0.25"))
    assert [reject[1] for reject in result.rejects] == (["bad"] if neighbour else [])


@pytest.mark.parametrize("value, reason", [
    ("+5", None), ("NaN", "bad charge (decimal, up to 6 places)"), ("-1", "negative charge"),
    ("1e12", "bad charge (decimal, up to 6 places)"), ("1e-7", "bad charge (decimal, up to 6 places)"),
])
def test_number_rules_agree_between_clean_and_mixed_files(value, reason):
    customer = CustomerFactory()
    outcomes = []
    for neighbour in (None, {"duration": "x"}):
        CallDetailRecord.objects.all().delete()
        rows = [cdr_row(customer.pk, "n", charge=value)] + ([cdr_row(customer.pk, "bad", **neighbour)] if neighbour else [])
        result = cdr_import(stream=csv_stream(rows))
        outcomes.append({call_id: why for _, call_id, why in result.rejects}.get("n"))
    assert outcomes == [reason, reason]


def _insert_cdr_sql(customer_id, call_id, start):
    """Store a CDR the way an older importer let through, bypassing today's checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT cx_cdr_partition_ensure((%s::timestamptz AT TIME ZONE 'UTC')::date)", [start])
        cursor.execute(
            "INSERT INTO summaries_calldetailrecord (call_id, customer_id, start_time, end_time, duration, "
            "billed_duration, cli, dialed_number, destination, sip_code, pdd_ms, charge, cost, imported_at) "
            "VALUES (%s, %s, %s::timestamptz, %s::timestamptz, 0, 0, '', '441234567', '', 486, 0, 0, 0, now())",
            [call_id, customer_id, start, start])
        cursor.execute("INSERT INTO summaries_pendingrolluphour (hour) "
                       "VALUES (date_trunc('hour', %s::timestamptz, 'UTC')) ON CONFLICT DO NOTHING", [start])


def test_a_rollup_with_a_poisoned_hour_rolls_every_other_hour_and_records_the_poisoned_one():
    a, b = CustomerFactory(), CustomerFactory()
    cdr_import(stream=csv_stream([at(T0 + timedelta(hours=i), f"a{i}", a.pk) for i in range(3)]
                                 + [at(T0, "b0", b.pk)]))
    _insert_cdr_sql(a.pk, "poison", "9999-12-31T23:30:00-15:00")  # the year 10000 in UTC

    rolled = summary_rollup_pending()

    assert rolled == 3
    assert HourlySummary.objects.filter(customer=a).count() == 3
    assert HourlySummary.objects.filter(customer=b).count() == 1
    assert not PendingRollupHour.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT hour::text, error FROM summaries_setasiderolluphour")
        (hour, error), = cursor.fetchall()
    assert hour.startswith("10000-01-01 14:00")
    assert "outside 2000-01-01" in error


def test_the_health_page_and_healthz_show_the_queue_and_the_hour_a_rollup_set_aside(client, staff_client):
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([at(T0 + timedelta(hours=i), f"c{i}", customer.pk) for i in range(2)]))
    _insert_cdr_sql(customer.pk, "poison", "9999-12-31T23:00:00Z")

    checks = client.get("/healthz").json()["checks"]
    assert checks["rollup_queue"]["value"] == 3
    assert checks["rollup_queue"]["status"] == "3 hour(s) queued, oldest 2026-11-20 10:00 UTC"

    assert summary_rollup_pending() == 2

    assert HourlySummary.objects.filter(customer=customer).count() == 2
    checks = client.get("/healthz").json()["checks"]
    assert checks["rollup_queue"] == {"ok": True, "status": "empty", "value": 0}
    assert checks["rollup_set_aside"] == {"ok": False, "status": "1 hour(s) set aside", "value": 1}
    page = staff_client.get("/settings/health/").content.decode()
    assert "9999-12-31 23:00 UTC — Hour outside 2000-01-01 to one day from now" in page


def test_an_hour_failing_on_its_data_is_set_aside_with_its_error_and_the_rest_roll():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([at(T0 + timedelta(hours=i), f"c{i}", customer.pk) for i in range(4)]))
    bad_hour = (T0 + timedelta(hours=2)).replace(minute=0)
    real = services.summary_rollup_hours

    def failing(*, hours, cursor):
        if bad_hour in hours:
            raise DataError("numeric field overflow")
        return real(hours=hours, cursor=cursor)

    with mock.patch.object(services, "summary_rollup_hours", failing):
        assert summary_rollup_pending() == 3

    assert sorted(HourlySummary.objects.values_list("hour", flat=True)) == [
        (T0 + timedelta(hours=i)).replace(minute=0) for i in (0, 1, 3)]
    set_aside = SetAsideRollupHour.objects.get()
    assert (set_aside.hour, set_aside.error) == (bad_hour, "DataError: numeric field overflow")
    assert not PendingRollupHour.objects.exists()

    # New CDRs queue the hour again; once it rolls, it is no longer set aside.
    cdr_import(stream=csv_stream([at(bad_hour + timedelta(minutes=30), "late", customer.pk)]))
    assert summary_rollup_pending() == 1
    assert not SetAsideRollupHour.objects.exists()
    assert summary_differences() == []


def _encodings(customer_id):
    text = csv_stream([cdr_row(customer_id, "u1"), cdr_row(customer_id, "u2", cli="Zoë")]).getvalue().decode()
    return {
        "utf-16 with BOM": text.encode("utf-16"),
        "utf-16-le without BOM": text.encode("utf-16-le"),
        "utf-16-be without BOM": text.encode("utf-16-be"),
        "CR line endings": text.replace("\r\n", "\r").encode(),
        "LF line endings": text.replace("\r\n", "\n").encode(),
    }


@pytest.mark.parametrize("kind", ["utf-16 with BOM", "utf-16-le without BOM", "utf-16-be without BOM",
                                  "CR line endings", "LF line endings"])
def test_api_imports_utf16_and_cr_only_files(api_client, kind):
    customer = CustomerFactory()
    client = api_client("summaries.add_calldetailrecord", "customers.view_all_customers", scopes=["switch"])
    response = client.post("/api/v1/cdrs", data=_encodings(customer.pk)[kind], content_type="text/csv")

    assert response.status_code == 200, response.content
    assert response.json()["inserted"] == 2
    assert CallDetailRecord.objects.get(call_id="u2").cli == "Zoë"


@pytest.mark.parametrize("kind", ["utf-16 with BOM", "CR line endings"])
def test_import_command_reads_utf16_and_cr_only_files(tmp_path, kind):
    from django.core.management import call_command

    customer = CustomerFactory()
    path = tmp_path / "cdrs.csv"
    path.write_bytes(_encodings(customer.pk)[kind])

    call_command("import_cdrs", str(path), "--no-progress")

    assert CallDetailRecord.objects.count() == 2


def test_a_bare_cr_inside_an_unquoted_cell_is_a_clear_error_not_a_crash(api_client):
    customer = CustomerFactory()
    body = csv_stream([cdr_row(customer.pk, "a"), cdr_row(customer.pk, "b")]).getvalue().replace(b"+4477", b"+44\r77", 1)
    client = api_client("summaries.add_calldetailrecord", "customers.view_all_customers", scopes=["switch"])
    response = client.post("/api/v1/cdrs", data=body, content_type="text/csv")

    assert response.status_code == 400
    assert "Row 2" in response.json()["detail"]
    assert not CallDetailRecord.objects.exists()
