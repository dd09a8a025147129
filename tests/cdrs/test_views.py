import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cdrs.models import RecalcJob
from cdrs.selectors import cdr_day_page
from ledger.services import ledger_differences
from summaries.models import CallDetailRecord
from tests.factories import CallDetailRecordFactory, CustomerFactory, StaffFactory
from tests.summaries.helpers import T0

from .conftest import DAY, deck

pytestmark = pytest.mark.django_db


def tab_url(customer, **query):
    from urllib.parse import urlencode

    return reverse("customers:customer_tab", args=[customer.pk, "cdrs"]) + ("?" + urlencode(query) if query else "")


def list_url(customer, **query):
    from urllib.parse import urlencode

    return reverse("cdrs:cdr_list", args=[customer.pk]) + ("?" + urlencode(query) if query else "")


def test_the_tab_lists_only_that_customers_calls_of_the_chosen_utc_day(staff_client, priced_day):
    customer, _ = priced_day
    other = CustomerFactory()
    CallDetailRecordFactory(customer=other, call_id="someone-else", start_time=T0)
    CallDetailRecordFactory(customer=customer, call_id="day-before", start_time=datetime(2026, 11, 19, 23, 59, 59,
                                                                                          tzinfo=UTC))
    CallDetailRecordFactory(customer=customer, call_id="day-after", start_time=datetime(2026, 11, 21, tzinfo=UTC))
    page = staff_client.get(tab_url(customer, day=DAY.isoformat())).content.decode()
    assert "c0" in page and "c2" in page and "3 calls, 3 answered" in page
    assert "someone-else" not in page and "day-before" not in page and "day-after" not in page
    assert "day-before" in staff_client.get(list_url(customer, day="2026-11-19")).content.decode()


def test_filters_number_cli_sip_code_and_answered(staff_client, priced_day):
    customer, _ = priced_day
    CallDetailRecordFactory(customer=customer, call_id="busy", start_time=T0 + timedelta(hours=1), answer_time=None,
                            duration=0, sip_code=486, dialed_number="+33155550000", cli="+15550001")
    day = DAY.isoformat()

    def shown(**filters):
        body = staff_client.get(list_url(customer, day=day, **filters)).content.decode()
        return sorted(call for call in ("c0", "c1", "c2", "busy") if f">{call}<" in body)

    assert shown() == ["busy", "c0", "c1", "c2"]
    assert shown(number="3315") == ["busy"]
    assert shown(cli="5550001") == ["busy"]
    assert shown(sip_code="486") == ["busy"]
    assert shown(answered="false") == ["busy"]
    assert shown(answered="true") == ["c0", "c1", "c2"]


def test_keyset_pages_cover_the_day_once_in_start_order_without_offset(priced_day):
    customer, _ = priced_day
    for n in range(7):  # calls sharing one start time: the id breaks the tie
        CallDetailRecordFactory(customer=customer, call_id=f"same-{n}", start_time=T0 + timedelta(hours=2))
    seen, after, pages = [], "", 0
    with CaptureQueriesContext(connection) as queries:
        while True:
            page = cdr_day_page(customer_id=customer.pk, day=DAY, after=after, size=3)
            seen += [row.call_id for row in page.rows]
            pages += 1
            if not page.next_cursor:
                break
            after = page.next_cursor
    expected = list(CallDetailRecord.objects.filter(customer=customer).order_by("start_time", "pk")
                    .values_list("call_id", flat=True))
    assert seen == expected and pages == 4
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "OFFSET" not in sql.upper()
    assert '"start_time" >= ' in sql and '"start_time" < ' in sql  # the day's range, prunable by partition
    back = cdr_day_page(customer_id=customer.pk, day=DAY, before=after, size=3)
    assert [row.call_id for row in back.rows] == expected[5:8]


def test_pages_through_the_panel(staff_client, priced_day):
    customer, _ = priced_day
    for n in range(60):
        CallDetailRecordFactory(customer=customer, call_id=f"p{n:02d}", start_time=T0 + timedelta(hours=1, seconds=n))
    first = staff_client.get(list_url(customer, day=DAY.isoformat())).content.decode()
    assert "p46<" in first and "p47<" not in first and 'id="cdr-next"' in first
    cursor = first.split("after=")[1].split('"')[0]
    second = staff_client.get(list_url(customer, day=DAY.isoformat()) + "&after=" + cursor).content.decode()
    assert "p47<" in second and "p59<" in second and "p46<" not in second and 'id="cdr-previous"' in second
    assert "not-a-cursor" and staff_client.get(list_url(customer, day=DAY.isoformat(), after="x_y")).status_code == 200


def test_csv_export_is_the_filtered_day_and_safe_for_spreadsheets(staff_client, priced_day):
    customer, _ = priced_day
    CallDetailRecordFactory(customer=customer, call_id="evil", start_time=T0, cli="=HYPERLINK(1)", sip_code=486)
    response = staff_client.get(list_url(customer, day=DAY.isoformat(), _export="csv"))
    assert response["Content-Disposition"] == f'attachment; filename="cdrs-{customer.pk}-2026-11-20.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["call_id"] for row in rows] == ["evil", "c0", "c1", "c2"] or len(rows) == 4
    assert next(row for row in rows if row["call_id"] == "evil")["cli"] == "'=HYPERLINK(1)"
    assert next(row for row in rows if row["call_id"] == "c1")["charge"] == "0.120000"
    filtered = staff_client.get(list_url(customer, day=DAY.isoformat(), sip_code="486", _export="csv"))
    assert [row["call_id"] for row in csv.DictReader(io.StringIO(
        b"".join(filtered.streaming_content).decode()))] == ["evil"]


def test_tab_needs_the_cdr_permission_and_the_recalc_form_its_own(client, priced_day):
    customer, _ = priced_day
    reader = StaffFactory(username="reader", groups=["Read-only"])
    client.force_login(reader)
    page = client.get(tab_url(customer)).content.decode()
    assert 'id="cdr-list"' in page and 'id="recalc-form"' not in page
    assert client.post(reverse("cdrs:recalc", args=[customer.pk]), {"day": DAY, "mode": "rerate"}).status_code == 403
    finance = StaffFactory(username="finance", groups=["Finance"])
    client.force_login(finance)
    assert 'id="recalc-form"' in client.get(tab_url(customer)).content.decode()


def test_preview_shows_calls_and_delta_then_confirm_runs_the_job(staff_client, priced_day,
                                                                 django_capture_on_commit_callbacks):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    url = reverse("cdrs:recalc", args=[customer.pk])
    preview = staff_client.post(url, {"day": DAY, "mode": "rerate"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "3 calls" in body and "-3.6900" in body and 'id="recalc-confirm"' in body
    assert not RecalcJob.objects.exists() and CallDetailRecord.objects.filter(charge=Decimal("0.06")).exists()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = staff_client.post(url, {"day": DAY, "mode": "rerate", "confirm": "1"})
    assert "queued" in confirmed.content.decode()
    job = RecalcJob.objects.get()  # the eager task has run it
    assert (job.state, job.preview_calls, job.preview_delta, job.calls, job.delta) == (
        "done", 3, Decimal("-3.69"), 3, Decimal("-3.69"))
    assert job.requested_by.username == "alice" and job.ledger_entry.amount == Decimal("-3.69")
    assert ledger_differences() == []
    detail = staff_client.get(job.get_absolute_url()).content.decode()
    assert "Re-rate with the live cards of 2026-11-20" in detail and "-3.6900" in detail


def test_preview_lists_the_calls_it_changes_with_old_and_new_charge(staff_client, priced_day):
    customer, route = priced_day
    url = reverse("cdrs:recalc", args=[customer.pk])
    body = staff_client.post(url, {"day": DAY, "mode": "adjust_duration", "longer_than": 3600,
                                   "new_duration": 60}).content.decode()
    changes = body.split('id="recalc-changes"')[1].split("</table>")[0]
    assert ">c2<" in changes and "7200 → 60 s" in changes and "7.200000 → 0.060000" in changes
    assert ">c0<" not in changes and ">c1<" not in changes and "more." not in body

    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    body = staff_client.post(url, {"day": DAY, "mode": "rerate"}).content.decode()
    changes = body.split('id="recalc-changes"')[1].split("</table>")[0]
    assert "0.060000 → 0.090000" in changes and "10:05:00" in changes and " s<" not in changes
    assert changes.index(">c0<") < changes.index(">c1<") < changes.index(">c2<")


def test_bad_recalc_input_is_shown_beside_the_field_and_nothing_is_queued(staff_client, priced_day):
    customer, _ = priced_day
    url = reverse("cdrs:recalc", args=[customer.pk])
    response = staff_client.post(url, {"day": DAY, "mode": "adjust_duration", "longer_than": "60",
                                       "confirm": "1"})
    assert response.status_code == 422 and "Say the duration those calls get" in response.content.decode()
    response = staff_client.post(url, {"day": DAY, "mode": "adjust_duration", "longer_than": "60",
                                       "new_duration": "600"})
    assert "cannot be longer than the calls it replaces" in response.content.decode()
    response = staff_client.post(url, {"day": "2999-01-01", "mode": "rerate", "confirm": "1"})
    assert response.status_code == 422 and "has not started yet" in response.content.decode()
    response = staff_client.post(url, {"day": "not a day", "mode": "nonsense"})
    assert response.status_code == 422
    assert not RecalcJob.objects.exists()


def test_an_account_manager_cannot_reach_another_managers_customer(client, priced_day):
    customer, _ = priced_day
    manager = StaffFactory(username="am", groups=["Account manager"])
    client.force_login(manager)
    assert client.get(list_url(customer)).status_code == 404
    job = RecalcJob.objects.create(customer=customer, day=DAY, mode="refresh_credit", state="done")
    assert client.get(job.get_absolute_url()).status_code == 404
