from celery import shared_task

from connex.audit import audited_task


@shared_task(bind=True)
@audited_task
def alerts_evaluate_task(self):
    """Every minute: evaluate every customer's alerts (safe to run twice at once)."""
    from .services import alerts_evaluate

    result = alerts_evaluate()
    return {"skipped": result.skipped, **result.counts, "messages": result.messages}


@shared_task(bind=True)
@audited_task
def default_alerts_sync_task(self):
    """After Settings → Alerts changes: give every customer the default low-balance alert."""
    from .services import default_alerts_sync

    return default_alerts_sync()
