from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Message
from .transports import NotConfigured, TransportError, transport_for

MAX_ATTEMPTS = 5


@transaction.atomic
def message_queue(*, channel, to, subject="", body="", kind="general", customer=None, contact=None,
                  attachment=None) -> Message:
    """Record one outbound message and hand it to the worker once the transaction commits."""
    from .tasks import message_deliver_task

    message = Message.objects.create(channel=channel, to=to, subject=subject, body=body, kind=kind,
                                     customer=customer, contact=contact)
    if attachment is not None:
        name, content = attachment
        message.attachment.save(name, content, save=True)
    transaction.on_commit(lambda: message_deliver_task.delay(message.pk))
    return message


def message_deliver(*, message_id) -> Message:
    """Send one queued message. Claiming the row first means two workers never send it twice."""
    claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
        state=Message.State.SENDING, attempts=F("attempts") + 1
    )
    message = Message.objects.get(pk=message_id)
    if not claimed:
        return message
    try:
        provider_id = transport_for(message.channel).send(message)
    except NotConfigured as exc:
        message.state, message.error = Message.State.NOT_SENT, str(exc)
    except TransportError as exc:
        message.error = str(exc)
        retry = exc.transient and message.attempts < MAX_ATTEMPTS
        message.state = Message.State.QUEUED if retry else Message.State.FAILED
        message.save(update_fields=["state", "error", "updated"])
        if retry:
            raise
        return message
    else:
        message.state, message.error = Message.State.SENT, ""
        message.provider_message_id = provider_id or ""
        message.sent_at = timezone.now()
    message.save(update_fields=["state", "error", "provider_message_id", "sent_at", "updated"])
    return message
