from celery import shared_task

from connex.audit import audited_task

from .partitions import cdr_partitions_create_ahead, cdr_retention_enforce
from .services import summary_rebuild_run, summary_rollup_pending


@shared_task(bind=True)
@audited_task
def summary_rollup_pending_task(self):
    """Periodic: roll up every hour that received CDRs since the last run."""
    return summary_rollup_pending()


@shared_task(bind=True)
@audited_task
def summary_rebuild_run_task(self, rebuild_id):
    summary_rebuild_run(rebuild_id=rebuild_id)


@shared_task(bind=True)
@audited_task
def cdr_partitions_create_ahead_task(self):
    """Periodic (daily): the CDR partitions of today and the week ahead."""
    return [day.isoformat() for day in cdr_partitions_create_ahead()]


@shared_task(bind=True)
@audited_task
def cdr_retention_enforce_task(self):
    """Periodic (daily): drop the CDR partitions past Settings → CDR retention."""
    result = cdr_retention_enforce()
    return {"dropped": [day.isoformat() for day in result.dropped],
            "kept_pending": [day.isoformat() for day in result.kept_pending], "dedupe_rows": result.dedupe_rows}
