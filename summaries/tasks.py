import pghistory
from celery import shared_task

from .services import summary_rebuild_run, summary_rollup_pending


@shared_task(bind=True)
def summary_rollup_pending_task(self):
    """Periodic: roll up every hour that received CDRs since the last run."""
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        return summary_rollup_pending()


@shared_task(bind=True)
def summary_rebuild_run_task(self, rebuild_id):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        summary_rebuild_run(rebuild_id=rebuild_id)
