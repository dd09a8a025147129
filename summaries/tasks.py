from celery import shared_task

from connex.audit import audited_task

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
