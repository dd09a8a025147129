import pghistory
from celery import shared_task

from .services import rate_deck_upload_apply, rate_deck_upload_check


@shared_task(bind=True)
def rate_deck_upload_check_task(self, upload_id):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        rate_deck_upload_check(upload_id=upload_id)


@shared_task(bind=True)
def rate_deck_upload_apply_task(self, upload_id):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        rate_deck_upload_apply(upload_id=upload_id)
