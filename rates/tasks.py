from celery import shared_task

from connex.audit import audited_task

from .services import rate_deck_upload_apply, rate_deck_upload_check


@shared_task(bind=True)
@audited_task
def rate_deck_upload_check_task(self, upload_id):
    rate_deck_upload_check(upload_id=upload_id)


@shared_task(bind=True)
@audited_task
def rate_deck_upload_apply_task(self, upload_id):
    rate_deck_upload_apply(upload_id=upload_id)
