import pghistory
from celery import shared_task

from .services import backoff_seconds, broadcast_deliver, message_deliver, message_fail_stale
from .transports import TransportError


def message_retry_schedule(message_id, attempts):
    """Try again after an exponential backoff (2, 4, 8, 16… s). The attempt count lives on the row,
    so a retry is an ordinary, idempotent delivery task."""
    message_deliver_task.apply_async((message_id,), countdown=backoff_seconds(attempts))


@shared_task(bind=True)
def message_deliver_task(self, message_id):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        try:
            message_deliver(message_id=message_id)
        except TransportError as exc:
            message_retry_schedule(message_id, exc.attempts)


@shared_task(bind=True)
def broadcast_deliver_task(self, broadcast_id):
    """Send a broadcast in batches; continues in a fresh task so one task never runs for long."""
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        countdown = broadcast_deliver(broadcast_id=broadcast_id, schedule_retry=message_retry_schedule)
    if countdown is not None:
        broadcast_deliver_task.apply_async((broadcast_id,), countdown=countdown)


@shared_task(bind=True)
def message_fail_stale_task(self):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        return message_fail_stale()
