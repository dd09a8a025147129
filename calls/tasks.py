from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def call_events_drain_task(self):
    from .events import call_events_drain

    return call_events_drain()


@shared_task(bind=True)
@audited_task
def call_attempts_purge_task(self):
    from .services import call_attempts_purge

    return call_attempts_purge()
