from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cdrs.models import RecalcJob
from cdrs.services import recalc_job_create, recalc_job_run, recalc_preview
from ledger.models import LedgerEntry
from ledger.services import ledger_differences
from summaries.models import CallDetailRecord, HourlySummary, PendingRollupHour
from tests.summaries.helpers import summary_differences

from .conftest import DAY, deck

pytestmark = pytest.mark.django_db


def job(customer, mode, **extra):
    return RecalcJob(customer=customer, day=DAY, mode=mode, **extra)


@pytest.mark.parametrize(("mode", "extra"), [("rerate", {}), ("adjust_duration", {"longer_than": 3600,
                                                                                    "new_duration": 60}),
                                             ("refresh_credit", {}), ("refresh_summaries_and_credit", {})])
def test_preview_delta_equals_the_applied_delta_and_the_ledger_equals_the_cache(priced_day, mode, extra,
                                                                               django_capture_on_commit_callbacks):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    if mode.startswith("refresh"):
        CallDetailRecord.objects.filter(call_id="c0").update(charge=Decimal("1"))
    before = customer.__class__.objects.get(pk=customer.pk).balance
    preview = recalc_preview(recalc_job=job(customer, mode, **extra))
    with django_capture_on_commit_callbacks(execute=True):  # the eager task runs it
        created = recalc_job_create(recalc_job=job(customer, mode, **extra))
    created.refresh_from_db()
    assert created.state == "done"
    assert (created.preview_calls, created.preview_delta) == (preview.calls, preview.delta)
    assert (created.calls, created.delta) == (preview.calls, preview.delta) and preview.delta != 0
    customer.refresh_from_db()
    assert customer.balance == before + preview.delta and ledger_differences() == []
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert entry == created.ledger_entry and entry.source == created and entry.amount == preview.delta
    if mode == "refresh_credit":
        assert created.hours_done == 0 and not PendingRollupHour.objects.exists()  # summaries left alone
    else:
        assert created.hours_done == 24 and not PendingRollupHour.objects.exists()
        assert HourlySummary.objects.filter(customer=customer).exists() and summary_differences() == []


def test_running_a_job_twice_posts_once(priced_day, django_capture_on_commit_callbacks):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        created = recalc_job_create(recalc_job=job(customer, "rerate"))
    recalc_job_run(job_id=created.pk)
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1 and ledger_differences() == []


def test_issued_invoices_are_listed_and_never_changed(priced_day, django_capture_on_commit_callbacks):
    from invoicing.services import invoice_create, invoice_issue

    customer, route = priced_day
    low = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC)
    invoice = invoice_issue(invoice=invoice_create(customer=customer, start=low, end=low + timedelta(days=1)),
                            render=False)
    total = invoice.total
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    with django_capture_on_commit_callbacks(execute=True):
        created = recalc_job_create(recalc_job=job(customer, "rerate"))
    created.refresh_from_db()
    invoice.refresh_from_db()
    assert created.invoices == [invoice.number] and invoice.total == total and created.state == "done"


@pytest.fixture
def queued_only():
    """Jobs stay queued: the task is not sent (a test runs it by hand)."""
    from unittest import mock

    with mock.patch("cdrs.tasks.recalc_job_run_task.delay") as delay:
        yield delay


def test_one_open_job_per_customer_day(priced_day, queued_only):
    customer, _ = priced_day
    recalc_job_create(recalc_job=job(customer, "refresh_credit"))
    with pytest.raises(ValidationError, match="already queued or running"):
        recalc_job_create(recalc_job=job(customer, "rerate"))
    assert RecalcJob.objects.count() == 1


def test_a_failing_run_is_marked_failed_and_posts_nothing(priced_day, queued_only, monkeypatch):
    import cdrs.services

    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    created = recalc_job_create(recalc_job=job(customer, "rerate"))

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(cdrs.services, "cdr_recalc", broken)
    with pytest.raises(RuntimeError):
        recalc_job_run(job_id=created.pk)
    created.refresh_from_db()
    assert created.state == "failed" and "went away" in created.error
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()
    assert CallDetailRecord.objects.filter(charge=Decimal("0.06")).exists()


def test_jobs_are_audited_with_their_state_changes(priced_day, django_capture_on_commit_callbacks):
    from cdrs.models import RecalcJobEvent

    customer, _ = priced_day
    with django_capture_on_commit_callbacks(execute=True):
        created = recalc_job_create(recalc_job=job(customer, "refresh_credit"))
    labels = list(RecalcJobEvent.objects.filter(pgh_obj_id=created.pk).order_by("pgh_id")
                  .values_list("pgh_label", "state"))
    assert labels[0] == ("recalc_job.created", "queued") and labels[-1] == ("recalc_job.updated", "done")
