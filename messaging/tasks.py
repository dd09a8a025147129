import pghistory
from celery import shared_task

from .services import backoff_seconds, broadcast_deliver, message_deliver
from .transports import TransportError


@shared_task(bind=True, max_retries=5)
def message_deliver_task(self, message_id):
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        try:
            message_deliver(message_id=message_id)
        except TransportError as exc:
            # Exponential backoff: 2, 4, 8, 16… seconds between attempts on transient errors.
            raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries + 1))


def _schedule_retry(message_id, countdown):
    message_deliver_task.apply_async((message_id,), countdown=countdown)


@shared_task(bind=True)
def broadcast_deliver_task(self, broadcast_id):
    """Send a broadcast in batches; continues in a fresh task so one task never runs for long."""
    with pghistory.context(actor="system", actor_type="system", task_id=self.request.id):
        more = broadcast_deliver(broadcast_id=broadcast_id, schedule_retry=_schedule_retry)
    if more:
        broadcast_deliver_task.delay(broadcast_id)
