"""Writes of the rates app: cards, and the two-step deck upload of the panel (check, then apply)."""

from datetime import datetime

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from .decks import DeckError, deck_stream, rate_deck_import
from .models import RateCard, RateDeckUpload

State = RateDeckUpload.State


def _progress_key(upload_id):
    return f"rate_deck_upload:{upload_id}:bytes"


def _redis():
    return redis.Redis.from_url(settings.REDIS_URL)


def upload_progress(upload: RateDeckUpload) -> int:
    """Bytes of the file read so far by the running check or apply (kept outside its transaction)."""
    if not upload.running:
        return upload.bytes_total
    value = _redis().get(_progress_key(upload.pk))
    return int(value) if value else 0


@transaction.atomic
def rate_card_save(*, card: RateCard) -> RateCard:
    stored = RateCard.objects.filter(pk=card.pk).values_list("currency", flat=True).first() if card.pk else None
    card.full_clean()
    if stored is not None and stored != card.currency and card.revisions.exists():
        raise ValidationError({"currency": "The currency cannot change once the card has revisions."})
    card.save()
    return card


@transaction.atomic
def rate_deck_upload_create(*, card: RateCard, file, live_from: datetime, user=None) -> RateDeckUpload:
    """Store the file and queue its check; the preview fills in when the task has read it."""
    from .tasks import rate_deck_upload_check_task

    upload = RateDeckUpload.objects.create(card=card, file=file, filename=file.name[:200], live_from=live_from,
                                           bytes_total=file.size or 0, uploaded_by=user)
    transaction.on_commit(lambda: rate_deck_upload_check_task.delay(upload.pk))
    return upload


def _run(upload: RateDeckUpload, *, dry_run: bool):
    key, client = _progress_key(upload.pk), _redis()
    client.set(key, 0, ex=3600)
    with upload.file.open("rb") as handle:
        return rate_deck_import(card=upload.card, stream=deck_stream(handle, upload.filename),
                                live_from=upload.live_from, source=upload.filename, user=upload.uploaded_by,
                                dry_run=dry_run, progress=lambda size: client.incrby(key, size))


def _finish(upload_id, state, result=None, problem=""):
    fields = {"state": state, "problem": problem}
    if result is not None:
        fields.update(rows=result.rows, added=result.added, changed=result.changed, removed=result.removed,
                      error_count=result.error_count, errors=result.errors, revision=result.revision)
    RateDeckUpload.objects.filter(pk=upload_id).update(**fields)


def rate_deck_upload_check(*, upload_id: int):
    """Read the uploaded deck and record the preview: counts against the live revision, bad rows."""
    if not RateDeckUpload.objects.filter(pk=upload_id, state=State.CHECKING).exists():
        return
    upload = RateDeckUpload.objects.select_related("card", "uploaded_by").get(pk=upload_id)
    try:
        result = _run(upload, dry_run=True)
    except DeckError as exc:
        _finish(upload_id, State.INVALID, problem=str(exc))
        return
    _finish(upload_id, State.CHECKED if result.ok else State.INVALID, result)


@transaction.atomic
def rate_deck_upload_confirm(*, upload: RateDeckUpload) -> RateDeckUpload:
    """Queue a checked deck to be stored as a revision (the claim makes a double click harmless)."""
    from .tasks import rate_deck_upload_apply_task

    claimed = RateDeckUpload.objects.filter(pk=upload.pk, state=State.CHECKED).update(state=State.APPLYING)
    if not claimed:
        raise ValidationError("Only a checked deck without errors can be applied, once.")
    transaction.on_commit(lambda: rate_deck_upload_apply_task.delay(upload.pk))
    upload.refresh_from_db()
    return upload


def rate_deck_upload_apply(*, upload_id: int):
    """Store a confirmed deck: read again and checked again, so it is all rows or none."""
    if not RateDeckUpload.objects.filter(pk=upload_id, state=State.APPLYING).exists():
        return
    upload = RateDeckUpload.objects.select_related("card", "uploaded_by").get(pk=upload_id)
    try:
        result = _run(upload, dry_run=False)
    except DeckError as exc:
        _finish(upload_id, State.FAILED, problem=str(exc))
        return
    _finish(upload_id, State.APPLIED if result.ok else State.INVALID, result)
