"""Writes of the CDR tab: recalc jobs (preview, confirm, run). The recalc itself is
routing.recalc.cdr_recalc; this module gives it a job with an owner, progress and history."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from routing.recalc import RecalcResult, cdr_recalc
from summaries.services import summary_rollup_pending

from .models import RecalcJob
from .selectors import day_bounds

State = RecalcJob.State


def _prepare(job: RecalcJob):
    if job.mode != RecalcJob.Mode.ADJUST_DURATION:
        job.longer_than = job.new_duration = None
    job.full_clean(exclude=["customer"] if job.customer_id is None else None)


def _run_recalc(job: RecalcJob, *, apply: bool) -> RecalcResult:
    return cdr_recalc(customer_id=job.customer_id, day=job.day, mode=job.mode, longer_than=job.longer_than,
                      new_duration=job.new_duration, apply=apply, source=job if apply else None)


def recalc_preview(*, recalc_job: RecalcJob) -> RecalcResult:
    """What confirming would do: the calls changed (count and the first of them, before and after),
    balance delta, issued invoices touched. Writes nothing."""
    _prepare(recalc_job)
    return _run_recalc(recalc_job, apply=False)


@transaction.atomic
def recalc_job_create(*, recalc_job: RecalcJob, user=None) -> RecalcJob:
    """Record the confirmed recalc with its preview figures and queue its run."""
    from .tasks import recalc_job_run_task

    _prepare(recalc_job)
    preview = _run_recalc(recalc_job, apply=False)
    recalc_job.preview_calls, recalc_job.preview_delta = preview.calls, preview.delta
    recalc_job.invoices = preview.invoices
    recalc_job.requested_by = user if getattr(user, "is_authenticated", False) else None
    recalc_job.state = State.QUEUED
    try:
        with transaction.atomic():
            recalc_job.save()
    except IntegrityError:  # a job of the same day was queued in between
        raise ValidationError("A recalc of this day is already queued or running.")
    transaction.on_commit(lambda: recalc_job_run_task.delay(recalc_job.pk))
    return recalc_job


def recalc_job_run(*, job_id: int):
    """Run a queued job: the recalc in one transaction (CDRs, one ledger entry), then the day's
    summaries re-rolled hour by hour with progress. Running it twice does nothing the second time."""
    claimed = RecalcJob.objects.filter(pk=job_id, state=State.QUEUED).update(state=State.RUNNING)
    if not claimed:
        return
    job = RecalcJob.objects.get(pk=job_id)
    try:
        with transaction.atomic():
            result = _run_recalc(job, apply=True)
            RecalcJob.objects.filter(pk=job_id).update(
                calls=result.calls, delta=result.delta, invoices=result.invoices, ledger_entry=result.entry,
                unpriced=[list(item) for item in result.unpriced],
                state=State.ROLLING if job.rerolls else State.DONE)
        if job.rerolls:
            low, high = day_bounds(job.day)
            summary_rollup_pending(low=low, high=high, on_batch=lambda count: RecalcJob.objects.filter(
                pk=job_id).update(hours_done=F("hours_done") + count))
            RecalcJob.objects.filter(pk=job_id).update(state=State.DONE, hours_done=24)
    except Exception as exc:
        RecalcJob.objects.filter(pk=job_id).exclude(state=State.DONE).update(state=State.FAILED,
                                                                             error=str(exc)[:2000])
        raise
