from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

import pytest

from cdrs.models import RecalcJob
from cdrs.services import recalc_job_create
from cdrs.tasks import recalc_job_run_task
from ledger.models import LedgerEntry
from ledger.services import ledger_differences
from summaries.models import CallDetailRecord, PendingRollupHour
from tests.celery_worker import celery_worker
from tests.summaries.helpers import summary_differences

from .conftest import DAY, deck


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_recalc_job_runs_on_a_real_worker_with_one_ledger_entry_and_rerolled_summaries(priced_day):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    with mock.patch("cdrs.tasks.recalc_job_run_task.delay"):  # sent by hand below, to the worker's queue
        job = recalc_job_create(recalc_job=RecalcJob(customer=customer, day=DAY, mode="rerate"))
    with celery_worker("recalc") as queue:
        recalc_job_run_task.apply_async(args=[job.pk], queue=queue).get(timeout=90)
    job.refresh_from_db()
    assert (job.state, job.calls, job.delta, job.preview_delta) == ("done", 3, Decimal("-3.69"), Decimal("-3.69"))
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 1 and ledger_differences() == []
    assert sorted(CallDetailRecord.objects.values_list("charge", flat=True)) == [
        Decimal("0.09"), Decimal("0.18"), Decimal("10.8")]
    assert not PendingRollupHour.objects.exists() and summary_differences() == []
