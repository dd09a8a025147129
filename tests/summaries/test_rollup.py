import threading
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summaries import services
from summaries.models import CallDetailRecord, HourlySummary, PendingRollupHour
from summaries.services import cdr_import, summary_rebuild_range, summary_rollup_pending
from tests.factories import CustomerFactory

from .helpers import cdr_row, csv_stream, summary_count, summary_differences

BASE = datetime(2026, 11, 1, tzinfo=UTC)
DESTINATIONS = ["United Kingdom - Mobile", "Germany - Fixed", ""]


def call(customer_id, call_id, start, *, answered=True, destination=DESTINATIONS[0], talk=60, charge="0.010000"):
    end = start + timedelta(seconds=talk + 3)
    return cdr_row(customer_id, call_id, start_time=start.isoformat(),
                   answer_time=(start + timedelta(seconds=3)).isoformat() if answered else "",
                   end_time=end.isoformat(), duration=talk if answered else 0,
                   billed_duration=(-(-talk // 6) * 6) if answered else 0, destination=destination,
                   sip_code=200 if answered else 486, pdd_ms=1500 + talk, charge=charge if answered else "0",
                   cost="0.004000" if answered else "0")


@pytest.mark.django_db
def test_rollup_equals_sums_over_cdrs_after_an_import():
    a, b = CustomerFactory(), CustomerFactory()
    rows = [call(a.pk, f"a{i}", BASE + timedelta(minutes=17 * i), answered=i % 3 != 0,
                 destination=DESTINATIONS[i % 2]) for i in range(12)]
    rows += [call(b.pk, "b1", BASE + timedelta(minutes=5), charge="1.234567")]
    cdr_import(stream=csv_stream(rows))

    hours = summary_rollup_pending()

    assert hours == 4
    assert summary_differences() == []
    assert not PendingRollupHour.objects.exists()
    first = HourlySummary.objects.get(customer=a, hour=BASE, destination=DESTINATIONS[0])
    assert (first.attempts, first.answered) == (2, 1)


@pytest.mark.django_db
def test_late_cdrs_recompute_their_hour_and_leave_others_alone():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, f"c{i}", BASE + timedelta(hours=i)) for i in range(3)]))
    summary_rollup_pending()
    untouched = HourlySummary.objects.get(hour=BASE + timedelta(hours=2))

    cdr_import(stream=csv_stream([call(customer.pk, "late", BASE + timedelta(minutes=59), talk=600),
                                  call(customer.pk, "late-new-dest", BASE + timedelta(minutes=1),
                                       destination="Germany - Fixed")]))
    assert list(PendingRollupHour.objects.values_list("hour", flat=True)) == [BASE]
    summary_rollup_pending()

    assert summary_differences() == []
    assert HourlySummary.objects.get(hour=BASE, destination=DESTINATIONS[0]).attempts == 2
    assert HourlySummary.objects.get(pk=untouched.pk).attempts == untouched.attempts


@pytest.mark.django_db
def test_running_the_rollup_twice_gives_the_same_table():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, f"c{i}", BASE + timedelta(minutes=40 * i)) for i in range(6)]))
    summary_rollup_pending()
    before = list(HourlySummary.objects.order_by("pk").values())

    assert summary_rollup_pending() == 0
    summary_rebuild_range(date_from=BASE.date(), date_to=BASE.date())

    assert list(HourlySummary.objects.order_by("pk").values()) == before
    assert summary_differences() == []


@pytest.mark.django_db
def test_rebuild_removes_summaries_whose_calls_are_gone_and_repairs_tampering():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, "keep", BASE), call(customer.pk, "gone", BASE + timedelta(hours=1),
                                                                       destination="Germany - Fixed")]))
    summary_rollup_pending()
    CallDetailRecord.objects.filter(call_id="gone").delete()
    HourlySummary.objects.filter(hour=BASE).update(attempts=99)

    call_command("rollup_cdrs", "--from", "2026-11-01", "--to", "2026-11-01")

    assert summary_differences() == []
    assert summary_count() == 1


@pytest.mark.django_db
def test_an_interrupted_run_changes_nothing_and_the_next_run_completes():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, f"c{i}", BASE + timedelta(hours=i)) for i in range(5)]))
    real = services.summary_rollup_hours
    batches = []

    def dying(*, hours, cursor=None):
        real(hours=hours, cursor=cursor)  # the upsert ran…
        batches.append(hours)
        if len(batches) == 2:
            raise KeyboardInterrupt("worker killed")  # …and the process dies before committing

    with mock.patch.object(services, "summary_rollup_hours", dying), pytest.raises(KeyboardInterrupt):
        summary_rollup_pending(batch_hours=2)

    assert PendingRollupHour.objects.count() == 3  # the first batch committed, the rest stays queued
    assert summary_count() == 2
    summary_rollup_pending(batch_hours=2)
    assert summary_differences() == []
    assert not PendingRollupHour.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_share_the_hours_and_agree_with_the_cdrs():
    customers = [CustomerFactory() for _ in range(3)]
    rows = [call(c.pk, f"{c.pk}-{i}", BASE + timedelta(minutes=23 * i), destination=DESTINATIONS[i % 3])
            for c in customers for i in range(60)]
    cdr_import(stream=csv_stream(rows))
    queued = PendingRollupHour.objects.count()
    done, errors = [], []
    barrier = threading.Barrier(3)

    def run():
        try:
            barrier.wait()
            done.append(summary_rollup_pending(batch_hours=2))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(done) == queued  # every hour rolled up exactly once
    assert summary_differences() == []


@pytest.mark.django_db(transaction=True)
def test_an_import_during_a_rollup_of_its_hour_is_not_lost():
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, "first", BASE)]))
    started, release = threading.Event(), threading.Event()
    real = services.summary_rollup_hours

    def slow(*, hours, cursor=None):
        real(hours=hours, cursor=cursor)
        started.set()
        release.wait(10)  # the import below commits while this rollup still holds the hour

    def rollup():
        try:
            with mock.patch.object(services, "summary_rollup_hours", slow):
                summary_rollup_pending()
        finally:
            connections.close_all()

    thread = threading.Thread(target=rollup)
    thread.start()
    assert started.wait(10)
    importer = threading.Thread(target=lambda: (cdr_import(stream=csv_stream([call(customer.pk, "second",
                                                                              BASE + timedelta(minutes=9))])),
                                                connections.close_all()))
    importer.start()
    importer.join(1)  # it waits for the rollup's claim on the hour
    release.set()
    thread.join()
    importer.join()

    summary_rollup_pending()
    assert summary_differences() == []
    assert HourlySummary.objects.get().attempts == 2


cdr_sets = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 6 * 60 - 1), st.booleans(), st.sampled_from(DESTINATIONS),
              st.integers(1, 900), st.decimals("0", "5", places=6), st.integers(0, 3)),
    min_size=1, max_size=40)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=cdr_sets, late_share=st.integers(0, 3))
def test_summaries_always_equal_the_cdrs_whatever_the_import_and_rollup_order(calls, late_share):
    """Calls arrive in up to four batches (some late, some repeated); rollups run between them."""
    with transaction.atomic():  # each example starts from empty tables
        customers = [CustomerFactory(), CustomerFactory()]
        batches = [[] for _ in range(4)]
        for index, (who, minute, answered, destination, talk, charge, batch) in enumerate(calls):
            row = call(customers[who].pk, f"h{index}", BASE + timedelta(minutes=minute), answered=answered,
                       destination=destination, talk=talk, charge=str(charge))
            batches[batch].append(row)
            if index % 4 == late_share:
                batches[3].append(row)  # the same call delivered again later
        for number, batch in enumerate(batches):
            if batch:
                cdr_import(stream=csv_stream(batch))
            if number % 2 == late_share % 2:
                summary_rollup_pending(batch_hours=1 + late_share)
        summary_rollup_pending()

        assert summary_differences() == []
        assert CallDetailRecord.objects.count() == len(calls)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_rebuild_request_runs_as_a_task_and_reports_progress(staff_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    cdr_import(stream=csv_stream([call(customer.pk, "c", BASE)]))
    HourlySummary.objects.all().delete()
    PendingRollupHour.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/summaries/rebuild/", {"date_from": "2026-11-01", "date_to": "2026-11-02"})

    assert response.status_code == 302
    from summaries.models import SummaryRebuild

    rebuild = SummaryRebuild.objects.get()
    assert (rebuild.state, rebuild.hours_done, rebuild.hours_total) == ("done", 48, 48)
    assert summary_differences() == []
    progress = staff_client.get(f"/summaries/rebuild/{rebuild.pk}/progress/")
    assert b"Done" in progress.content and b"48/48" in progress.content and b"hx-trigger" not in progress.content


@pytest.mark.django_db
def test_rebuild_form_refuses_a_reversed_range(staff_client):
    response = staff_client.post("/summaries/rebuild/", {"date_from": "2026-11-02", "date_to": "2026-11-01"})

    assert response.status_code == 422
    assert b"The end is before the start." in response.content


def test_rollup_is_a_periodic_task(settings):
    assert any(spec["task"] == "summaries.tasks.summary_rollup_pending_task"
               for spec in settings.PERIODIC_TASKS.values())


def test_rebuild_range_covers_whole_days():
    assert services._day_start(date(2026, 11, 1)) == BASE
