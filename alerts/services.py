"""Alerts: saving them, the default low-balance alert, sending a test, and the evaluation.

The evaluation (every minute, for every customer) is one set-based statement: it computes every
enabled alert's current value (selectors.VALUES_SQL), decides each alert's transition and applies
it with a compare-and-set UPDATE, so two evaluations that overlap never fire, repeat or reset the
same alert twice — the second one finds the row already moved and skips it. Penalties, the events
of the history and the outbox messages follow in the same transaction.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.template import Context
from django.utils import timezone

from connex.models import AccountOptions
from connex.phone import phone_e164
from customers.models import Customer
from customers.signals import customers_changed
from messaging import merge
from messaging.models import Message
from messaging.services import message_queue_many

from . import selectors
from .models import Alert, AlertEvent, AlertOptions, Area, Operator, _plain

logger = logging.getLogger(__name__)

# An arbitrary constant naming "the alert evaluation" among PostgreSQL advisory locks.
EVALUATE_LOCK = 0x616C7274

ALERT_FIELDS = [
    ("alert.title", "Alert title"),
    ("alert.area", "What is watched (Balance, ASR %…)"),
    ("alert.value", "Its current value"),
    ("alert.threshold", "Threshold"),
    ("alert.reset_threshold", "Reset level"),
    ("alert.condition", "The condition in words"),
    ("alert.event", "Fired, Repeated, Reset or Test"),
]
ALERT_SAMPLE = {"alert": {"title": "Low balance", "area": "Balance", "value": "9.5", "threshold": "10",
                          "reset_threshold": "20", "condition": "Balance < 10, re-arms at ≥ 20", "event": "Fired"}}


# Recipients and templates -------------------------------------------------------------------

def recipients_clean(values, *, region=None) -> list[str]:
    """Emails and mobiles, normalised (mobiles to E.164), each once; ValidationError naming the bad ones."""
    cleaned, errors, seen = [], [], set()
    for raw in values or []:
        value = (raw or "").strip()
        if not value:
            continue
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError:
                errors.append(f"“{value}” is not an email address.")
                continue
        else:
            try:
                value = phone_e164(value, region)
            except ValidationError as exc:
                errors.append(exc.messages[0])
                continue
        if value.lower() not in seen:
            seen.add(value.lower())
            cleaned.append(value)
    if errors:
        raise ValidationError({"recipients": errors})
    return cleaned


def templates_check(*, subject, message):
    errors = {}
    for name, source in (("subject", subject), ("message", message)):
        try:
            merge.check(source, field=name, extra_fields=ALERT_FIELDS, extra_sample=ALERT_SAMPLE)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not (message or "").strip():
        errors.setdefault("message", []).append("Write the message.")
    if errors:
        raise ValidationError(errors)


# Saving -------------------------------------------------------------------------------------

CONDITION_FIELDS = ("area", "operator", "threshold", "reset_threshold", "sample_hours", "min_attempts")


@transaction.atomic
def alert_save(*, alert: Alert) -> Alert:
    """Validate and save an alert. A changed condition re-arms it (its last firing no longer applies)."""
    alert.title = (alert.title or "").strip()
    alert.recipients = recipients_clean(alert.recipients, region=alert.customer.country or None)
    templates_check(subject=alert.subject, message=alert.message)
    alert.full_clean()
    if alert.pk:
        stored = Alert.objects.select_for_update().filter(pk=alert.pk).values(*CONDITION_FIELDS, "state").first()
        if stored and any(stored[name] != getattr(alert, name) for name in CONDITION_FIELDS):
            alert.state, alert.fired_at, alert.penalty_applied = Alert.State.ARMED, None, False
        if alert.source == Alert.Source.DEFAULT and stored and any(
                stored[name] != getattr(alert, name) for name in CONDITION_FIELDS):
            alert.follows_default = False
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        raise ValidationError({"title": "This customer already has an alert with this title."}) from None
    return alert


@transaction.atomic
def alert_delete(*, alert: Alert) -> None:
    alert.delete()


# The default low-balance alert --------------------------------------------------------------

SYNC_INSERT = """
INSERT INTO alerts_alert (created, updated, customer_id, title, enabled, recipients, area, operator, threshold,
                          reset_threshold, sample_hours, min_attempts, repeat_minutes, penalty, penalty_lift_on_reset,
                          subject, message, source, follows_default, state, penalty_applied)
SELECT %(now)s, %(now)s, c.id, %(title)s, true, '{}', 'balance', 'lt', %(threshold)s, %(reset)s, 1, 20,
       %(repeat)s, false, false, %(subject)s, %(message)s, 'default', true, 'armed', false
FROM customers_customer c
WHERE NOT EXISTS (SELECT 1 FROM alerts_alert a WHERE a.customer_id = c.id AND a.source = 'default')
ON CONFLICT DO NOTHING
"""
# Alerts that follow the Settings take its values; a title another alert of the customer has is left.
SYNC_UPDATE = """
UPDATE alerts_alert a SET enabled = %(enabled)s, title = %(title)s, threshold = %(threshold)s,
       reset_threshold = %(reset)s, repeat_minutes = %(repeat)s, subject = %(subject)s, message = %(message)s,
       updated = %(now)s
WHERE a.source = 'default' AND a.follows_default
  AND (a.enabled, a.title, a.threshold, a.reset_threshold, a.repeat_minutes, a.subject, a.message)
      IS DISTINCT FROM (%(enabled)s, %(title)s, %(threshold)s::numeric, %(reset)s::numeric, %(repeat)s,
                        %(subject)s, %(message)s)
  AND NOT EXISTS (SELECT 1 FROM alerts_alert o WHERE o.customer_id = a.customer_id AND o.id <> a.id
                  AND lower(o.title) = lower(%(title)s))
"""


def default_alerts_sync(*, options: AlertOptions | None = None, now=None) -> int:
    """Give every customer the default low-balance alert of Settings → Alerts (set-based); returns rows touched."""
    options = options or AlertOptions.get()
    params = {"now": now or timezone.now(), "enabled": options.low_balance_enabled,
              "title": options.low_balance_title.strip(), "threshold": options.low_balance_threshold,
              "reset": options.low_balance_reset, "repeat": options.low_balance_repeat_minutes,
              "subject": options.low_balance_subject, "message": options.low_balance_message}
    touched = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if options.low_balance_enabled:
            cursor.execute(SYNC_INSERT, params)
            touched += cursor.rowcount
        cursor.execute(SYNC_UPDATE, params)
        touched += cursor.rowcount
    return touched


def low_balance_alert_get(*, customer) -> Alert | None:
    """The customer's own low-balance alert (the default one, followed or adjusted), if it has one."""
    return Alert.objects.filter(customer=customer, source=Alert.Source.DEFAULT).first()


@transaction.atomic
def low_balance_alert_set(*, customer, threshold: Decimal, reset_threshold: Decimal | None = None,
                          recipients=None, enabled: bool = True) -> Alert:
    """Set the customer's low-balance alert (from the portal or the card); it stops following Settings."""
    alert = Alert.objects.select_for_update().filter(customer=customer, source=Alert.Source.DEFAULT).first()
    if alert is None:
        options = AlertOptions.get()
        alert = Alert(customer=customer, source=Alert.Source.DEFAULT, title=options.low_balance_title,
                      area=Area.BALANCE, operator=Operator.BELOW, subject=options.low_balance_subject,
                      message=options.low_balance_message, repeat_minutes=options.low_balance_repeat_minutes)
    alert.threshold, alert.reset_threshold, alert.enabled = threshold, reset_threshold, enabled
    if recipients is not None:
        alert.recipients = list(recipients)
    alert.follows_default = False
    return alert_save(alert=alert)


# Messages -----------------------------------------------------------------------------------

def _alert_context(alert, *, value, event):
    return {"title": alert.title, "area": alert.get_area_display(), "value": _plain(value) if value is not None
            else "n/a", "threshold": _plain(alert.threshold), "reset_threshold": _plain(alert.reset_level),
            "condition": alert.condition, "event": event}


def _billing_contacts(customer_ids):
    """{customer id: contacts with an email}: the billing ones, or all when none is billing."""
    from contacts.models import Contact

    found = {}
    for contact in Contact.objects.filter(customer_id__in=customer_ids).exclude(email="").order_by("name", "pk"):
        found.setdefault(contact.customer_id, []).append(contact)
    return {customer_id: [c for c in contacts if c.contact_type == "billing"] or contacts
            for customer_id, contacts in found.items()}


def _messages_for(alert, *, value, event, contacts, options) -> list[Message]:
    subject_template = merge.compile_template(alert.subject, field="subject") if alert.subject else None
    body_template = merge.compile_template(alert.message, field="message")
    alert_context = _alert_context(alert, value=value, event=event)
    targets = []
    if alert.recipients:
        targets = [(None, to) for to in alert.recipients]
    else:
        targets = [(contact, contact.email) for contact in contacts.get(alert.customer_id, [])]
    messages = []
    for contact, to in targets:
        context = Context({**merge.merge_context(customer=alert.customer, contact=contact, options=options),
                           "alert": alert_context})
        channel = Message.Channel.EMAIL if "@" in to else Message.Channel.SMS
        subject = subject_template.render(context).strip()[:255] if subject_template and channel == "email" else ""
        messages.append(Message(channel=channel, to=to, subject=subject, body=body_template.render(context),
                                kind="alert", customer=alert.customer, contact=contact))
    return messages


EVENT_WORDS = {AlertEvent.Kind.FIRED: "Fired", AlertEvent.Kind.REPEATED: "Repeated",
               AlertEvent.Kind.RESET: "Reset", AlertEvent.Kind.TEST: "Test"}


@transaction.atomic
def alert_send_test(*, alert: Alert, now: datetime | None = None) -> AlertEvent:
    """Send the alert's message now with its current value; its state is left as it is."""
    now = now or timezone.now()
    value = selectors.alert_values(customer_ids=[alert.customer_id], now=now, enabled_only=False).get(alert.pk)
    messages = _messages_for(alert, value=value, event=EVENT_WORDS[AlertEvent.Kind.TEST],
                             contacts=_billing_contacts([alert.customer_id]), options=AccountOptions.get())
    if not messages:
        raise ValidationError("This alert has no recipients and its customer no contact with an email.")
    message_queue_many(messages=messages)
    return AlertEvent.objects.create(alert=alert, customer_id=alert.customer_id, title=alert.title,
                                     kind=AlertEvent.Kind.TEST, at=now, value=value, threshold=alert.threshold,
                                     area=alert.area, operator=alert.operator, messages=len(messages))


# Evaluation ---------------------------------------------------------------------------------

CROSSED = "(CASE v.operator WHEN 'lt' THEN v.value < v.threshold ELSE v.value > v.threshold END)"
BACK = "(CASE v.operator WHEN 'lt' THEN v.value >= v.reset_level ELSE v.value <= v.reset_level END)"

TRANSITIONS_SQL = f"""
WITH v AS ({{values}}),
t AS (
    SELECT v.*, CASE
        WHEN v.value IS NULL THEN NULL
        WHEN v.state = 'armed' AND {CROSSED} THEN 'fired'
        WHEN v.state = 'fired' AND {BACK} THEN 'reset'
        WHEN v.state = 'fired' AND v.repeat_minutes > 0 AND {CROSSED}
             AND v.last_sent_at <= %(now)s - v.repeat_minutes * interval '1 minute' THEN 'repeated'
    END AS kind
    FROM v
)
UPDATE alerts_alert a SET
    state = CASE WHEN t.kind = 'reset' THEN 'armed' ELSE 'fired' END,
    fired_at = CASE t.kind WHEN 'fired' THEN %(now)s WHEN 'reset' THEN NULL ELSE a.fired_at END,
    last_sent_at = %(now)s,
    last_value = t.value,
    penalty_applied = CASE WHEN t.kind = 'reset' THEN false ELSE a.penalty_applied END
FROM t
WHERE t.kind IS NOT NULL AND a.id = t.id AND a.enabled
  -- compare-and-set: the row must still be as this evaluation read it
  AND a.state = t.state AND a.fired_at IS NOT DISTINCT FROM t.fired_at
  AND a.last_sent_at IS NOT DISTINCT FROM t.last_sent_at
RETURNING a.id, t.kind, t.value, t.penalty_applied
"""

PENALTY_APPLY = """
UPDATE customers_customer SET status = 'penalty', updated = %(now)s
WHERE id = ANY(%(ids)s) AND status = 'active' RETURNING id
"""
# Lifted only when no other fired alert of the customer holds a penalty it applied.
PENALTY_LIFT = """
UPDATE customers_customer c SET status = 'active', updated = %(now)s
WHERE c.id = ANY(%(ids)s) AND c.status = 'penalty'
  AND NOT EXISTS (SELECT 1 FROM alerts_alert o WHERE o.customer_id = c.id AND o.state = 'fired' AND o.penalty_applied)
RETURNING id
"""


@dataclass
class Evaluation:
    skipped: bool = False
    evaluated: int = 0
    counts: dict = field(default_factory=lambda: {"fired": 0, "repeated": 0, "reset": 0})
    messages: int = 0
    penalties_applied: int = 0
    penalties_lifted: int = 0


def _try_lock(cursor):
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [EVALUATE_LOCK])
    return cursor.fetchone()[0]


def alerts_evaluate(*, now: datetime | None = None, customer_ids=None, lock: bool = True,
                    sync_defaults: bool = True) -> Evaluation:
    """Evaluate every enabled alert (or those of `customer_ids`) once; see the module's docstring.

    With `lock`, a run that finds another one in progress skips (it would find nothing to do);
    without it the compare-and-set alone keeps overlapping runs from acting twice.
    """
    now = now or timezone.now()
    result = Evaluation()
    if sync_defaults:
        default_alerts_sync(now=now)
    channels = selectors.channels_in_use(selectors.channel_alert_customers(customer_ids=customer_ids))
    with transaction.atomic(), connection.cursor() as cursor:
        if lock and not _try_lock(cursor):
            result.skipped = True
            return result
        values_sql, params = selectors.values_query(now=now, customer_ids=customer_ids, channels=channels)
        cursor.execute(TRANSITIONS_SQL.format(values=values_sql), {**params, "now": now})
        moved = {alert_id: (kind, value, held_penalty) for alert_id, kind, value, held_penalty in cursor.fetchall()}
        if not moved:
            return result
        alerts = list(Alert.objects.filter(pk__in=moved).select_related("customer").order_by("pk"))
        penalty = _penalties(cursor, alerts, moved, now, result)
        contacts = _billing_contacts({alert.customer_id for alert in alerts if not alert.recipients})
        options = AccountOptions.get()
        events, messages = [], []
        for alert in alerts:
            kind, value, _ = moved[alert.pk]
            result.counts[kind] += 1
            try:
                sent = _messages_for(alert, value=value, event=EVENT_WORDS[kind], contacts=contacts, options=options)
            except Exception:
                # Its event is still recorded (messages=0); one alert must not hold back the others.
                logger.exception("Alert %s: its message cannot be rendered", alert.pk)
                sent = []
            messages += sent
            events.append(AlertEvent(alert=alert, customer_id=alert.customer_id, title=alert.title, kind=kind, at=now,
                                     value=value, threshold=alert.threshold, area=alert.area,
                                     operator=alert.operator, messages=len(sent), penalty=penalty.get(alert.pk, "")))
        AlertEvent.objects.bulk_create(events, batch_size=1000)
        if messages:
            message_queue_many(messages=messages)
        result.messages = len(messages)
    return result


def _penalties(cursor, alerts, moved, now, result) -> dict:
    """Apply and lift penalties of the moved alerts; {alert id: "applied" | "lifted"}."""
    outcome, penalised, lifted = {}, set(), set()
    to_apply = [a for a in alerts if a.penalty and moved[a.pk][0] == AlertEvent.Kind.FIRED]
    if to_apply:
        cursor.execute(PENALTY_APPLY, {"ids": sorted({a.customer_id for a in to_apply}), "now": now})
        penalised = {row[0] for row in cursor.fetchall()}
        holders = [a.pk for a in to_apply if a.customer_id in penalised]
        Alert.objects.filter(pk__in=holders).update(penalty_applied=True)
        outcome.update(dict.fromkeys(holders, "applied"))
        result.penalties_applied = len(penalised)
    to_lift = [a for a in alerts if moved[a.pk][0] == AlertEvent.Kind.RESET and a.penalty_lift_on_reset
               and moved[a.pk][2]]
    if to_lift:
        cursor.execute(PENALTY_LIFT, {"ids": sorted({a.customer_id for a in to_lift}), "now": now})
        lifted = {row[0] for row in cursor.fetchall()}
        outcome.update({a.pk: "lifted" for a in to_lift if a.customer_id in lifted})
        result.penalties_lifted = len(lifted)
    if to_apply or to_lift:
        customers_changed.send(sender=Alert, customer_ids=[*penalised, *lifted])
        # Customers changed through SQL: the objects above carry the status from before.
        statuses = dict(Customer.objects.filter(pk__in={a.customer_id for a in alerts}).values_list("pk", "status"))
        for alert in alerts:
            alert.customer.status = statuses[alert.customer_id]
    return outcome


def alert_current_values(*, customer) -> dict:
    """{alert id: value} for the card (every alert of the customer, disabled ones too)."""
    return selectors.alert_values(customer_ids=[customer.pk], enabled_only=False)

