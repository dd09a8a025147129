import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse

from connex.registry import registry
from invoicing.services import INVOICE_PERIODS
from summaries.models import CdrImport
from summaries.periods import Period
from summaries.services import cdr_import, summary_resum_days
from tests.factories import (
    CallDetailRecordFactory,
    CdrImportFactory,
    ContactFactory,
    CustomerFactory,
    HourlySummaryFactory,
    StaffFactory,
)

from .helpers import cdr_row, csv_stream

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def clock_inside_the_hour_of_now():
    """The views read the clock: keep it inside NOW's hour however late the suite reaches these tests."""
    with time_machine.travel(NOW + timedelta(minutes=20), tick=True):
        yield


def sum_days(summaries):
    with connection.cursor() as cursor:
        summary_resum_days(customer_ids={summary.customer_id for summary in summaries},
                           hours=[summary.hour for summary in summaries], cursor=cursor)


@pytest.fixture
def customer():
    customer = CustomerFactory(name="Acme")
    sum_days([HourlySummaryFactory(customer=customer, hour=NOW - timedelta(hours=hours_ago), destination=destination)
              for hours_ago, destination in [(1, "UK"), (1, "DE"), (30, "UK")]])
    return customer


def test_main_tab_shows_the_summary_section_with_the_last_hours_and_a_totals_row(staff_client, customer):
    response = staff_client.get(f"/customers/{customer.pk}/")

    html = response.content.decode()
    assert 'id="section-summary"' in html and "UTC" in html
    hour = (NOW - timedelta(hours=1)).strftime("%Y-%m-%d %H:00")
    assert hour in html
    [section] = [s["context"] for s in response.context["main_sections"] if "summary" in s["context"]]
    attempts = [row.attempts for row in section["summary"]["rows"]]
    # The last 24 clock hours: the hour 30 hours ago is outside, the empty hours are zero rows.
    assert len(attempts) == 24 and attempts[1] == 20 and sum(attempts) == 20
    assert 'class="fw-semibold cx-summary-total"' in html


@pytest.mark.parametrize(("period", "label"), [("daily", "Day (UTC)"), ("weekly", "ISO week (UTC)"),
                                               ("monthly", "Month (UTC)")])
def test_period_tabs_group_the_hours_and_offer_row_checkboxes(staff_client, customer, period, label):
    response = staff_client.get(f"/summaries/customers/{customer.pk}/summary/?period={period}")

    html = response.content.decode()
    assert label in html
    rows = response.context["summary"]["rows"]
    assert sum(row.attempts for row in rows) == 30 and response.context["summary"]["total"].attempts == 30
    assert response.context["summary"]["total"].charge == Decimal("3")
    assert '<form id="summary-selection" method="post"' in html
    for row in rows:
        assert f'name="periods" value="{row.key}"' in html
        # Every key the table writes is read back by invoicing as the same period.
        assert Period.from_key(row.key, INVOICE_PERIODS) == row.period


def test_weekly_rows_start_on_monday_and_monthly_on_the_first(staff_client, customer):
    weekly = staff_client.get(f"/summaries/customers/{customer.pk}/summary/?period=weekly").context["summary"]
    monthly = staff_client.get(f"/summaries/customers/{customer.pk}/summary/?period=monthly").context["summary"]

    assert all(row.start.weekday() == 0 and row.key.startswith("weekly:") for row in weekly["rows"])
    assert all(row.start.day == 1 and row.key.startswith("monthly:") for row in monthly["rows"])


def test_summary_actions_registered_by_other_apps_render_in_the_toolbar(staff_client, customer, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "x").mkdir(parents=True)
    (template_dir / "x" / "action.html").write_text(
        '<button form="summary-selection" id="extra-action">Generate Invoice</button>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [template_dir, *settings.TEMPLATES[0]["DIRS"]]}]
    registry.summary_actions.append("x/action.html")
    try:
        html = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    finally:
        registry.summary_actions.remove("x/action.html")

    assert 'id="extra-action"' in html


def test_cdr_report_streams_the_periods_calls_as_csv(staff_client, customer):
    day = datetime(2026, 11, 20, tzinfo=UTC)
    inside = [CallDetailRecordFactory(customer=customer, start_time=day + timedelta(hours=h)) for h in (0, 5, 23)]
    CallDetailRecordFactory(customer=customer, start_time=day + timedelta(days=1))  # next day
    CallDetailRecordFactory(start_time=day + timedelta(hours=1))  # another customer

    response = staff_client.get(f"/summaries/customers/{customer.pk}/cdrs.csv?period=daily:2026-11-20")

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == f'attachment; filename="cdrs-{customer.pk}-daily-2026-11-20.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["call_id", "start_time", "answer_time"]
    assert [row[0] for row in rows[1:]] == [cdr.call_id for cdr in inside]


@pytest.mark.parametrize("period", ["weekly:2026-11-18", "monthly:2026-11-02", "yearly:2026-01-01", "daily:nope"])
def test_cdr_report_refuses_periods_that_do_not_start_where_they_should(staff_client, customer, period):
    assert staff_client.get(f"/summaries/customers/{customer.pk}/cdrs.csv?period={period}").status_code == 404


def test_stats_tab_has_hourly_and_daily_series(staff_client, customer):
    response = staff_client.get(f"/customers/{customer.pk}/tab/stats/")

    series = response.context["series"]
    assert len(series["hourly"]["attempts"]) == 24 and len(series["daily"]["attempts"]) == 30
    assert sum(series["hourly"]["attempts"]) == 20  # the two summaries of the last hour's row
    assert series["hourly"]["asr"][-2] == 60.0
    assert b"chart.umd.min.js" in response.content


def test_portal_contact_sees_only_its_own_customers_summaries_and_cdrs(client, portal_login, customer):
    other = CustomerFactory()
    sum_days([HourlySummaryFactory(customer=other, hour=NOW - timedelta(hours=1), attempts=777)])
    CallDetailRecordFactory(customer=other, start_time=NOW - timedelta(hours=1), call_id="not-mine")
    CallDetailRecordFactory(customer=customer, start_time=NOW - timedelta(minutes=30), call_id="mine")
    portal_login(client, ContactFactory(customer=customer))

    summaries = client.get("/portal/summaries/?period=daily")
    cdrs = client.get("/portal/cdrs/")
    report = client.get(f"/portal/cdrs/download.csv?period=monthly:{NOW:%Y-%m}-01")

    assert summaries.status_code == 200 and summaries.context["ctx"]["summary"]["total"].attempts == 30
    assert b"777" not in summaries.content
    assert b"Profit" not in summaries.content and b'data-col="cost"' not in summaries.content  # carrier cost is internal
    assert b"mine" in cdrs.content and b"not-mine" not in cdrs.content
    body = b"".join(report.streaming_content)
    assert b"mine" in body and b"not-mine" not in body
    assert b"cost" not in body.split(b"\n")[0]


def test_portal_sections_hidden_by_portal_access_answer_404(client, portal_login, customer):
    customer.portal_access = ["balance"]
    customer.save()
    portal_login(client, ContactFactory(customer=customer))

    assert client.get("/portal/summaries/").status_code == 404
    assert client.get("/portal/cdrs/").status_code == 404
    assert client.get("/portal/cdrs/download.csv?period=daily:2026-11-20").status_code == 404


def test_portal_pages_require_sign_in(client):
    assert client.get("/portal/summaries/").status_code == 302
    assert client.get("/portal/cdrs/").status_code == 302


def test_staff_pages_require_staff(client, customer):
    assert client.get(f"/summaries/customers/{customer.pk}/summary/").status_code == 302
    assert client.get(f"/summaries/customers/{customer.pk}/cdrs.csv?period=daily:2026-11-20").status_code == 302
    assert client.get("/summaries/rebuild/").status_code == 302


def test_24_hours_view_is_the_last_24_clock_hours_with_empty_hours_as_zero_and_agrees_with_stats(staff_client):
    from summaries.periods import HOURLY
    from summaries.selectors import summary_series, summary_table

    customer = CustomerFactory(name="Clock")
    now = datetime(2026, 11, 30, 9, 40, tzinfo=UTC)
    for hours_ago in (0, 5, 30, 50):  # 30 and 50 hours ago lie outside the window
        HourlySummaryFactory(customer=customer, hour=datetime(2026, 11, 30, 9, tzinfo=UTC) - timedelta(hours=hours_ago))
    table = summary_table(customer_id=customer.pk, kind=HOURLY, now=now)
    hours = [row.start for row in table["rows"]]
    assert len(hours) == 24
    assert hours[0] == datetime(2026, 11, 30, 9, tzinfo=UTC) and hours[-1] == datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert [row.attempts for row in table["rows"]].count(0) == 22
    series = summary_series(customer_id=customer.pk, now=now)["hourly"]
    assert [row.attempts for row in reversed(table["rows"])] == series["attempts"]
    assert table["total"].attempts == sum(series["attempts"])


# CDR imports ------------------------------------------------------------------------------------

def listed_imports(response):
    assert response.status_code == 200, response.content
    return [row.record.pk for row in response.context["table"].page.object_list]


def test_cdr_import_list_shows_every_import_with_its_counts_and_is_on_the_settings_page(staff_client):
    CdrImportFactory(name="switch-a-1120.csv", rows=1200, inserted=1187, charged=Decimal("41.25"))
    CdrImportFactory(origin=CdrImport.Origin.SWITCH, name="")

    html = staff_client.get("/summaries/imports/").content.decode()

    assert 'id="cdr-import-table"' in html
    assert "switch-a-1120.csv" in html and "CDR file" in html and "Switch calls" in html
    assert "1200" in html and "1187" in html and "41.2500" in html
    export = list(csv.reader(io.StringIO(staff_client.get("/summaries/imports/?_export=csv").content
                                         .decode("utf-8-sig"))))
    assert export[0] == ["Imported at", "Origin", "Name", "Rows", "Inserted", "Charged"]
    assert ["CDR file", "switch-a-1120.csv", "1200", "1187", "41.250000"] in [row[1:] for row in export]
    assert 'href="/summaries/imports/"' in staff_client.get("/settings/").content.decode()


def test_cdr_import_list_filters_by_origin_date_range_and_file_name(staff_client):
    day = datetime(2026, 11, 20, 12, tzinfo=UTC)
    file = CdrImportFactory(name="switch-a-1120.csv", imported_at=day)
    switch = CdrImportFactory(origin=CdrImport.Origin.SWITCH, name="", imported_at=day + timedelta(days=1))
    api = CdrImportFactory(origin=CdrImport.Origin.API, name="", imported_at=day + timedelta(days=2))

    assert listed_imports(staff_client.get("/summaries/imports/", {"origin": "switch"})) == [switch.pk]
    assert listed_imports(staff_client.get("/summaries/imports/", {"origin": "api"})) == [api.pk]
    assert listed_imports(staff_client.get("/summaries/imports/", {
        "imported_at_after": "2026-11-21", "imported_at_before": "2026-11-22"})) == [api.pk, switch.pk]
    assert listed_imports(staff_client.get("/summaries/imports/", {"q": "1120"})) == [file.pk]
    assert listed_imports(staff_client.get("/summaries/imports/", {"origin": "mail"})) == []


def test_cdr_import_detail_shows_the_record_and_the_ledger_entries_it_posted(staff_client):
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    cdr_import(stream=csv_stream([cdr_row(acme.pk, "other")]), name="earlier.csv")
    result = cdr_import(stream=csv_stream([cdr_row(acme.pk, "a1"), cdr_row(acme.pk, "a2"),
                                           cdr_row(globex.pk, "g1", charge="0.5")]), name="switch-a-1120.csv")
    record = result.import_record

    response = staff_client.get(f"/summaries/imports/{record.pk}/")

    html = response.content.decode()
    assert response.status_code == 200 and "switch-a-1120.csv" in html and "CDR file" in html
    rows = [(entry.customer.name, entry.amount, entry.calls) for entry in
            (row.record for row in response.context["entries"].page.object_list)]
    assert rows == [("Acme", Decimal("-0.062"), 2), ("Globex", Decimal("-0.5"), 1)]
    assert "-0.0620" in html and "-0.5000" in html
    assert f'href="/customers/{acme.pk}/tab/payments/"' in html


def test_cdr_import_detail_lists_only_entries_of_customers_the_staff_member_may_see(client):
    manager = StaffFactory(groups=["Account manager"])
    mine, theirs = CustomerFactory(name="Mine", account_manager=manager), CustomerFactory(name="Theirs")
    record = cdr_import(stream=csv_stream([cdr_row(mine.pk, "m1"), cdr_row(theirs.pk, "t1")])).import_record
    client.force_login(manager)

    response = client.get(f"/summaries/imports/{record.pk}/")

    assert [row.record.customer for row in response.context["entries"].page.object_list] == [mine]
    assert "Theirs" not in response.content.decode()


def test_cdr_import_detail_leaves_out_ledger_entries_for_staff_who_may_not_read_the_ledger(client):
    customer = CustomerFactory(name="Acme")
    record = cdr_import(stream=csv_stream([cdr_row(customer.pk, "a1")])).import_record
    client.force_login(StaffFactory(perms=["summaries.view_cdrimport", "customers.view_all_customers"]))

    response = client.get(f"/summaries/imports/{record.pk}/")

    assert response.status_code == 200 and "entries" not in response.context
    assert 'id="cdr-import-entries"' not in response.content.decode()


def test_cdr_import_pages_are_refused_without_the_view_permission(client):
    record = CdrImportFactory()
    client.force_login(StaffFactory(perms=["ledger.view_ledgerentry", "customers.view_all_customers"]))

    assert client.get("/summaries/imports/").status_code == 403
    assert client.get(f"/summaries/imports/{record.pk}/").status_code == 403


def test_cdr_import_pages_cannot_change_or_delete_an_import(staff_client):
    record = CdrImportFactory(name="kept.csv", rows=5)

    assert staff_client.post("/summaries/imports/", {"name": "changed"}).status_code == 405
    assert staff_client.post(f"/summaries/imports/{record.pk}/", {"name": "changed"}).status_code == 405
    assert staff_client.delete(f"/summaries/imports/{record.pk}/").status_code == 405
    record.refresh_from_db()
    assert (record.name, record.rows) == ("kept.csv", 5)
