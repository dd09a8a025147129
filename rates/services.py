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


MARKUP_KINDS = ("absolute", "percent")


def _specificity(pattern: str) -> int:
    """Longer literal prefixes are more specific: `^447` beats `^44` beats the catch-all ''."""
    literal = pattern.removeprefix("^")
    count = 0
    for char in literal:
        if not char.isdigit():
            break
        count += 1
    return count


@transaction.atomic
def rate_card_generate(*, source: "RateCard", target: "RateCard", rules: list[tuple[str, str, str]],
                       live_from: datetime, user=None):
    """A new revision of `target` from the revision of `source` live at `live_from`, each rate marked
    up by the most specific matching rule (pattern, 'absolute' | 'percent', value); rows no rule
    matches keep their rate. Set-based: one INSERT … SELECT whatever the size of the deck."""
    from decimal import Decimal, InvalidOperation

    from django.db import connection

    from .decks import revision_live
    from .models import RateRevision, RateRow

    errors = []
    parsed = []
    for index, (pattern, kind, value) in enumerate(rules, start=1):
        if kind not in MARKUP_KINDS:
            errors.append(f"Rule {index}: kind must be absolute or percent.")
            continue
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            errors.append(f"Rule {index}: “{value}” is not a number.")
            continue
        parsed.append((pattern or "", kind, amount, _specificity(pattern or "")))
    live = revision_live(source.pk, live_from)
    if live is None:
        errors.append(f"{source} has no revision live at {live_from:%Y-%m-%d %H:%M}.")
    if target.pk == source.pk:
        errors.append("Choose another card to generate.")
    if RateRevision.objects.filter(card=target, live_from=live_from).exists():
        errors.append(f"{target} already has a revision live from {live_from:%Y-%m-%d %H:%M}.")
    if errors:
        raise ValidationError(errors)
    revision = RateRevision.objects.create(card=target, live_from=live_from, created_by=user,
                                           source=f"Generated from {source} (revision {live.pk})"[:200])
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute(f"""
                    INSERT INTO {RateRow._meta.db_table} (revision_id, prefix, name, rate, connect_fee, mcd, pulse,
                                                          grace, blocked)
                    SELECT %(revision)s, r.prefix, r.name,
                           round(CASE m.kind WHEN 'absolute' THEN r.rate + m.amount
                                             WHEN 'percent' THEN r.rate * (1 + m.amount / 100) ELSE r.rate END, 6),
                           r.connect_fee, r.mcd, r.pulse, r.grace, r.blocked
                    FROM {RateRow._meta.db_table} r
                    LEFT JOIN LATERAL (
                      SELECT kind, amount FROM unnest(%(patterns)s::text[], %(kinds)s::text[], %(amounts)s::numeric[],
                                                      %(ranks)s::int[]) WITH ORDINALITY AS u(pattern, kind, amount, rank, n)
                      WHERE r.prefix ~ u.pattern ORDER BY u.rank DESC, u.n DESC LIMIT 1) m ON true
                    WHERE r.revision_id = %(live)s""",
                               {"revision": revision.pk, "live": live.pk, "patterns": [p[0] for p in parsed],
                                "kinds": [p[1] for p in parsed], "amounts": [p[2] for p in parsed],
                                "ranks": [p[3] for p in parsed]})
        except Exception as exc:  # a bad regular expression or a rate driven below zero
            raise ValidationError(f"The rules cannot be applied: {getattr(exc, '__cause__', None) or exc}")
        count = cursor.rowcount
    RateRevision.objects.filter(pk=revision.pk).update(row_count=count)
    revision.row_count = count
    return revision
