from celery import shared_task

from connex.audit import audited_task

from .services import backoff_seconds, broadcast_deliver, message_deliver, message_fail_stale
from .transports import TransportError


def message_retry_schedule(message_id, attempts):
    """Try again after an exponential backoff (2, 4, 8, 16… s). The attempt count lives on the row,
    so a retry is an ordinary, idempotent delivery task."""
    message_deliver_task.apply_async((message_id,), countdown=backoff_seconds(attempts))


@shared_task(bind=True)
@audited_task
def message_deliver_task(self, message_id):
    try:
        message_deliver(message_id=message_id)
    except TransportError as exc:
        message_retry_schedule(message_id, exc.attempts)


@shared_task(bind=True)
@audited_task
def broadcast_deliver_task(self, broadcast_id):
    """Send a broadcast in batches; continues in a fresh task so one task never runs for long."""
    countdown = broadcast_deliver(broadcast_id=broadcast_id, schedule_retry=message_retry_schedule)
    if countdown is not None:
        broadcast_deliver_task.apply_async((broadcast_id,), countdown=countdown)


@shared_task(bind=True)
@audited_task
def message_fail_stale_task(self):
    return message_fail_stale()
