from celery import shared_task


@shared_task
def worker_heartbeat_task():
    """Periodic: proves a worker takes tasks off the queue (System health reads it)."""
    from connex.health import worker_heartbeat_write

    worker_heartbeat_write()
