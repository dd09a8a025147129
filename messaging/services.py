import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Count, F
from django.template import Context
from django.utils import timezone

from connex.models import AccountOptions
from connex.phone import phone_e164

from . import merge
from .models import Broadcast, Message, MessagingOptions
from .transports import NotConfigured, TransportError, transport_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
EMAIL_BATCH_SIZE = 100
# Email broadcasts are spread over this many concurrent worker tasks; SMS uses one, so the
# configured rate per second holds across the whole broadcast.
EMAIL_PARALLEL_TASKS = 2


def backoff_seconds(attempts):
    """Delay before the next try after `attempts` failed ones: 2, 4, 8, 16… seconds."""
    return 2 ** max(attempts, 1)


def address_check(*, channel, to, region=None) -> str:
    """The address a message can be sent to, normalised; ValidationError if there is none."""
    if channel == Message.Channel.SMS:
        return phone_e164(to, region)
    to = (to or "").strip()
    try:
        validate_email(parseaddr(to)[1])  # "Name <address>" is fine too
    except ValidationError:
        raise ValidationError(f"Invalid email address {to!r}.")
    return to


@transaction.atomic
def message_queue(*, channel, to, subject="", body="", kind="general", customer=None, contact=None,
                  attachment=None, broadcast=None) -> Message:
    """Record one outbound message and hand it to the worker once the transaction commits.

    An address that cannot be sent to is recorded as failed with the reason, not dropped.
    """
    from .tasks import message_deliver_task

    state, error = Message.State.QUEUED, ""
    try:
        to = address_check(channel=channel, to=to, region=getattr(customer, "country", None))
    except ValidationError as exc:
        state, error = Message.State.FAILED, exc.messages[0]
    message = Message.objects.create(channel=channel, to=to, subject=subject, body=body, kind=kind,
                                     customer=customer, contact=contact, broadcast=broadcast,
                                     state=state, error=error)
    if attachment is not None:
        name, content = attachment
        message.attachment.save(name, content, save=True)
    if state == Message.State.QUEUED:
        transaction.on_commit(lambda: message_deliver_task.delay(message.pk))
    return message


@transaction.atomic
def message_queue_many(*, messages: list[Message]) -> list[Message]:
    """Record many unsaved outbound messages with one INSERT; the worker gets each on commit.

    Addresses are checked as by `message_queue`: one that cannot be sent to is recorded as failed.
    """
    from .tasks import message_deliver_task

    for message in messages:
        try:
            message.to = address_check(channel=message.channel, to=message.to,
                                       region=getattr(message.customer, "country", None))
        except ValidationError as exc:
            message.state, message.error = Message.State.FAILED, exc.messages[0]
    created = Message.objects.bulk_create(messages, batch_size=1000)
    queued = [message.pk for message in created if message.state == Message.State.QUEUED]
    if queued:
        transaction.on_commit(lambda: [message_deliver_task.delay(pk) for pk in queued])
    return created


@transaction.atomic
def message_resend(*, message) -> Message:
    """Queue a failed or unsent message again, as a new attempt of the same outbox row."""
    from .tasks import message_deliver_task

    if message.body_redacted:
        raise ValidationError("This message carried a password or sign-in link and was removed from the "
                              "outbox; issue a new one instead.")
    if not message.can_resend:
        raise ValidationError(f"Only failed or unsent messages can be resent; this one is {message.get_state_display().lower()}.")
    try:
        to = address_check(channel=message.channel, to=message.to,
                           region=getattr(message.customer, "country", None))
    except ValidationError as exc:
        raise ValidationError(f"Cannot resend: {exc.messages[0]}")
    updated = Message.objects.filter(pk=message.pk, state=message.state).update(
        state=Message.State.QUEUED, to=to, error="", updated=timezone.now())
    if not updated:
        raise ValidationError("The message changed meanwhile; reload and try again.")
    transaction.on_commit(lambda: message_deliver_task.delay(message.pk))
    message.refresh_from_db()
    return message


def _record_result(message, *, provider_id=None, exc=None):
    """Apply a send's outcome to `message` (not saved). Returns True when a retry is due."""
    message.updated = timezone.now()
    if exc is None:
        message.state, message.error = Message.State.SENT, ""
        message.provider_message_id = provider_id or ""
        message.sent_at = timezone.now()
        return False
    if isinstance(exc, NotConfigured):
        message.state, message.error = Message.State.NOT_SENT, str(exc)
        return False
    message.error = str(exc)
    retry = exc.transient and message.attempts < MAX_ATTEMPTS
    message.state = Message.State.QUEUED if retry else Message.State.FAILED
    return retry


def _unexpected(message, exc):
    """A send that failed in a way no transport anticipated: a permanent failure of this one
    message, recorded with the error, so it never stalls the queue or the broadcast around it."""
    logger.exception("Message %s could not be sent", message.pk)
    return TransportError(f"Unexpected error: {exc.__class__.__name__}: {exc}", transient=False)


def _redact_if_final(message):
    if message.holds_secret and message.state != Message.State.QUEUED:
        message.body = Message.REDACTED_BODY


RESULT_FIELDS = ["state", "error", "provider_message_id", "sent_at", "updated", "body"]


def message_deliver(*, message_id) -> Message:
    """Send one queued message. Claiming the row first means two workers never send it twice.

    Raises TransportError (with `attempts` set) after recording a transient failure, so the
    caller schedules the next try with backoff.
    """
    claimed = Message.objects.filter(pk=message_id, state=Message.State.QUEUED).update(
        state=Message.State.SENDING, attempts=F("attempts") + 1
    )
    message = Message.objects.select_related("customer").get(pk=message_id)
    if not claimed:
        return message
    try:
        with transport_for(message.channel) as transport:
            provider_id = transport.send(message)
    except Exception as exc:
        if not isinstance(exc, NotConfigured | TransportError):
            exc = _unexpected(message, exc)
        retry = _record_result(message, exc=exc)
        _redact_if_final(message)
        message.save(update_fields=RESULT_FIELDS)
        if retry:
            exc.attempts = message.attempts
            raise exc
        return message
    _record_result(message, provider_id=provider_id)
    _redact_if_final(message)
    message.save(update_fields=RESULT_FIELDS)
    return message


STALE_SENDING_MINUTES = 15


def message_fail_stale(*, older_than_minutes=STALE_SENDING_MINUTES) -> int:
    """Mark messages stuck in "sending" (their worker died mid-send) as failed, visibly.

    They are not retried automatically: the provider may have accepted them before the worker
    stopped, and a duplicate is worse than a failure someone can resend.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return Message.objects.filter(state=Message.State.SENDING, updated__lt=cutoff).update(
        state=Message.State.FAILED, updated=timezone.now(),
        error="Delivery was interrupted (the worker stopped while sending); it may or may not have "
              "arrived. Resend if needed.")


# Broadcasts ---------------------------------------------------------------------------------

@dataclass
class Recipient:
    customer: object
    contact: object
    to: str
    error: str = ""


def broadcast_recipients(*, channel, customers) -> list[Recipient]:
    """One recipient per unique address among the contacts of `customers`, in a stable order.

    Email goes to every contact email, SMS to every contact mobile; an address shared by two
    contacts is sent once. Mobiles that cannot be normalised are kept, with the reason.
    """
    from contacts.models import Contact

    contacts = (Contact.objects.filter(customer__in=customers).select_related("customer")
                .only("name", "email", "mobile", "customer__name", "customer__balance", "customer__debit_limit",
                      "customer__currency", "customer__status", "customer__country")
                .order_by("customer__name", "name", "pk"))
    if channel == Message.Channel.SMS:
        contacts = contacts.exclude(mobile="")
    else:
        contacts = contacts.exclude(email="")
    recipients, seen = [], set()
    for contact in contacts:
        raw = contact.mobile if channel == Message.Channel.SMS else contact.email
        try:
            to, error = address_check(channel=channel, to=raw, region=contact.customer.country), ""
        except ValidationError as exc:
            to, error = raw.strip(), exc.messages[0]
        key = to.lower()
        if key in seen:
            continue
        seen.add(key)
        recipients.append(Recipient(contact.customer, contact, to, error))
    return recipients


def broadcast_render(*, subject, body, recipient, options=None, compiled=None):
    """(subject, body) as `recipient` will receive them. `compiled`: templates compiled once."""
    options = options or AccountOptions.get()
    subject_template, body_template = compiled or broadcast_compile(subject=subject, body=body)
    context = Context(merge.merge_context(customer=recipient.customer, contact=recipient.contact,
                                          options=options))
    return (subject_template.render(context).strip() if subject_template else "",
            body_template.render(context))


def broadcast_compile(*, subject, body):
    return (merge.compile_template(subject, field="subject") if subject else None,
            merge.compile_template(body, field="body"))


def broadcast_validate(*, channel, subject, body):
    errors = {}
    for field, source in (("subject", subject), ("body", body)):
        try:
            merge.check(source, field=field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if channel == Message.Channel.EMAIL and not subject.strip():
        errors.setdefault("subject", []).append("An email needs a subject.")
    if not body.strip():
        errors.setdefault("body", []).append("Write the message.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def broadcast_create(*, channel, subject, body, customers, created_by=None) -> Broadcast:
    """Record a broadcast and one outbox message per unique recipient; sending starts on commit."""
    from .tasks import broadcast_deliver_task

    if channel == Message.Channel.SMS:
        subject = ""
    broadcast_validate(channel=channel, subject=subject, body=body)
    customers = list(customers)
    recipients = broadcast_recipients(channel=channel, customers=customers)
    if not recipients:
        what = "email address" if channel == Message.Channel.EMAIL else "mobile number"
        raise ValidationError(f"None of the selected customers has a contact with a {what}.")
    broadcast = Broadcast.objects.create(channel=channel, subject=subject, body=body, created_by=created_by,
                                         customer_count=len({c.pk for c in customers}),
                                         recipient_count=len(recipients))
    options = AccountOptions.get()
    compiled = broadcast_compile(subject=subject, body=body)
    messages = []
    for recipient in recipients:
        rendered_subject, rendered_body = broadcast_render(subject=subject, body=body, recipient=recipient,
                                                           options=options, compiled=compiled)
        messages.append(Message(
            channel=channel, to=recipient.to, subject=rendered_subject[:255], body=rendered_body,
            kind="broadcast", customer=recipient.customer, contact=recipient.contact, broadcast=broadcast,
            state=Message.State.FAILED if recipient.error else Message.State.QUEUED, error=recipient.error))
    Message.objects.bulk_create(messages, batch_size=1000)
    tasks = EMAIL_PARALLEL_TASKS if channel == Message.Channel.EMAIL else 1
    for _ in range(tasks):
        transaction.on_commit(lambda: broadcast_deliver_task.delay(broadcast.pk))
    return broadcast


def _claim_batch(*, broadcast_id, size):
    """Claim up to `size` never-tried queued messages; concurrent tasks get disjoint batches."""
    with transaction.atomic():
        ids = list(Message.objects.select_for_update(skip_locked=True)
                   .filter(broadcast_id=broadcast_id, state=Message.State.QUEUED, attempts=0)
                   .order_by("pk").values_list("pk", flat=True)[:size])
        Message.objects.filter(pk__in=ids).update(state=Message.State.SENDING, attempts=F("attempts") + 1)
    return list(Message.objects.filter(pk__in=ids).order_by("pk"))


def _save_results(batch):
    """Write a batch's outcomes with one UPDATE per distinct outcome (usually one: all sent).

    Much cheaper than bulk_update's per-row CASE; sent_at is the batch's end, under a second off.
    """
    now = timezone.now()
    groups = defaultdict(list)
    for message in batch:
        groups[(message.state, message.error, message.provider_message_id, message.sent_at is not None)].append(
            message.pk)
    for (state, error, provider_id, sent), ids in groups.items():
        Message.objects.filter(pk__in=ids).update(state=state, error=error, provider_message_id=provider_id,
                                                  sent_at=now if sent else None, updated=now)


PROVIDER_DOWN_PAUSE = 30  # seconds before a broadcast tries a provider that refused to connect


def broadcast_deliver(*, broadcast_id, time_budget=50.0, schedule_retry=None) -> int | None:
    """Send a broadcast's queued messages in batches, at the SMS rate where it applies.

    First attempts happen here, over one provider connection; a message failing transiently
    is handed to `schedule_retry(message_id, attempts)` for retries with backoff. Returns None
    when nothing is left for this task, else the seconds after which to continue in a new task:
    0 when the time budget ran out, a pause when the provider could not be reached at all (the
    rest of the batch goes back to the queue rather than each message starting its own retries).
    """
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    options = MessagingOptions.get()
    try:
        transport = transport_for(broadcast.channel, options)
    except NotConfigured as exc:
        Message.objects.filter(broadcast=broadcast, state=Message.State.QUEUED, attempts=0).update(
            state=Message.State.NOT_SENT, error=str(exc), updated=timezone.now())
        return None
    sms = broadcast.channel == Message.Channel.SMS
    if sms and not _sms_sender_lock_acquire():
        return SMS_LOCK_WAIT  # another SMS broadcast is sending: the rate is per account, not per broadcast
    try:
        return _broadcast_send_batches(broadcast, transport, options, sms, time_budget, schedule_retry)
    finally:
        if sms:
            _sms_sender_lock_release()


SMS_LOCK_KEY = 0x636E5853  # an arbitrary constant naming "the SMS sender" among advisory locks
SMS_LOCK_WAIT = 5


def _sms_sender_lock_acquire():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SMS_LOCK_KEY])
        return cursor.fetchone()[0]


def _sms_sender_lock_release():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [SMS_LOCK_KEY])


def _broadcast_send_batches(broadcast, transport, options, sms, time_budget, schedule_retry):
    broadcast_id = broadcast.pk
    rate = max(options.sms_rate_per_second or 1, 1) if sms else None
    size = rate if sms else EMAIL_BATCH_SIZE
    deadline = time.monotonic() + time_budget
    next_send = time.monotonic()
    with transport:
        while True:
            if time.monotonic() > deadline:
                return 0
            batch = _claim_batch(broadcast_id=broadcast_id, size=size)
            if not batch:
                return None
            retries, unsent = [], []
            for index, message in enumerate(batch):
                if sms:
                    pause = next_send - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    next_send = max(next_send, time.monotonic() - 1) + 1 / rate
                try:
                    try:
                        provider_id = transport.send(message)
                    except TransportError:
                        raise
                    except Exception as exc:
                        raise _unexpected(message, exc) from exc
                    _record_result(message, provider_id=provider_id)
                except TransportError as exc:
                    if _record_result(message, exc=exc):
                        retries.append(message)
                    if exc.unreachable:
                        unsent = batch[index + 1:]
                        break
            unsent_ids = {m.pk for m in unsent}
            _save_results([m for m in batch if m.pk not in unsent_ids])
            if unsent:
                Message.objects.filter(pk__in=unsent_ids).update(
                    state=Message.State.QUEUED, attempts=F("attempts") - 1)
            for message in retries:
                if schedule_retry:
                    schedule_retry(message.pk, message.attempts)
            if unsent:
                return PROVIDER_DOWN_PAUSE


def broadcast_progress(*, broadcast) -> dict:
    counts = dict.fromkeys(Message.State.values, 0)
    for row in broadcast.messages.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    total = sum(counts.values())
    pending = counts[Message.State.QUEUED] + counts[Message.State.SENDING]
    done = total - pending
    return {
        "counts": [(state, label, counts[state]) for state, label in Message.State.choices],
        "total": total, "done": done, "pending": pending,
        "percent": round(100 * done / total) if total else 100,
        "sending": pending > 0,
    }
