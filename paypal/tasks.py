from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def ipn_process_task(self, ipn_id):
    from .services import ipn_process

    ipn_process(ipn_id=ipn_id)


@shared_task(bind=True)
@audited_task
def ipn_retry_unverified_task(self):
    from .services import ipn_retry_unverified

    return ipn_retry_unverified()
