from celery import shared_task

from connex.audit import audited_task

from .services import recalc_job_run


@shared_task(bind=True)
@audited_task
def recalc_job_run_task(self, job_id):
    recalc_job_run(job_id=job_id)
