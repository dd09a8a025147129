from celery import shared_task

from .services import message_deliver
from .transports import TransportError


@shared_task(bind=True, max_retries=5)
def message_deliver_task(self, message_id):
    try:
        message_deliver(message_id=message_id)
    except TransportError as exc:
        # Exponential backoff: 2, 4, 8, 16… seconds between attempts on transient errors.
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1))
