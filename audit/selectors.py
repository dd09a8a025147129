"""Reads of the change history recorded by django-pghistory's triggers."""

import json

from django.apps import apps
from pghistory.models import Event, Events

# Never shown, even if a model forgot to exclude them from tracking.
SECRET_KEYS = frozenset({"password", "smtp_password", "sms_auth_token", "token", "key", "secret",
                         "api_key", "auth_token"})


def tracked_models():
    """[(label, verbose name)] of every model whose changes are recorded."""
    found = {}
    for model in apps.get_models():
        if issubclass(model, Event) and getattr(model, "pgh_tracked_model", None) is not None:
            tracked = model.pgh_tracked_model
            found[tracked._meta.label] = str(tracked._meta.verbose_name).capitalize()
    return sorted(found.items(), key=lambda item: item[1])


def event_list():
    return Events.objects.order_by("-pgh_created_at", "-pgh_id")


def customer_events(*, customer):
    """Events of the customer and of rows that point at it (contacts, CLIs, delayed changes)."""
    return Events.objects.references(customer).order_by("-pgh_created_at", "-pgh_id")


def redact(data):
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if key.lower() not in SECRET_KEYS}


def event_diff(event):
    """{field: [old, new]} for a change; {field: [None, value]} for a creation; secrets removed."""
    empty = (None, "", [], {})
    if event.pgh_diff:
        diff = event.pgh_diff
    elif event.pgh_label.endswith(".deleted"):
        diff = {key: [value, None] for key, value in (event.pgh_data or {}).items() if value not in empty}
    else:  # a creation: the values it was created with, leaving out the empty ones
        diff = {key: [None, value] for key, value in (event.pgh_data or {}).items() if value not in empty}
    diff = {key: value for key, value in redact(diff).items() if key not in ("updated",)}
    return diff


def event_summary(event):
    """What the list shows before “View difference”: the changed fields, or the kind of event."""
    if event.pgh_label.endswith(".created"):
        return "created"
    if event.pgh_label.endswith(".deleted"):
        return "deleted"
    return ", ".join(event_diff(event)) or "—"


def event_diff_json(event):
    return json.dumps({key: {"old": old, "new": new} for key, (old, new) in event_diff(event).items()},
                      indent=2, ensure_ascii=False, default=str)


def actor_display(context):
    """Who made a change, as a person reads it."""
    context = context or {}
    actor = context.get("actor") or ""
    kind = context.get("actor_type") or ""
    if kind == "system":
        text = "system"
        if context.get("on_behalf_of"):
            text += f" for {context['on_behalf_of']}"
        return text
    if kind == "impersonation":
        return f"{context.get('impersonator') or actor} as {context.get('contact') or actor}"
    if kind == "contact":
        return f"{actor} (portal)"
    return actor or "—"
