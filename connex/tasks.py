from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def worker_heartbeat_task(self):
    """Periodic: proves a worker takes tasks off the queue (System health reads it)."""
    from connex.health import worker_heartbeat_write

    worker_heartbeat_write()
