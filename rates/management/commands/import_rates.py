from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from rates.decks import DeckError, deck_stream, rate_deck_import
from rates.models import RateCard


class Command(BaseCommand):
    help = "Store a CSV or XLSX rate deck as a new revision of a card (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("card_id", type=int)
        parser.add_argument("file")
        parser.add_argument("--live-from", help="ISO 8601 time with an offset (default: now).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count only.")

    def handle(self, card_id, file, live_from=None, dry_run=False, **options):
        card = RateCard.objects.filter(pk=card_id).first()
        if card is None:
            raise CommandError(f"No rate card with id {card_id}.")
        when = None
        if live_from:
            when = parse_datetime(live_from)
            if when is None or when.tzinfo is None:
                raise CommandError("--live-from must be an ISO 8601 time with Z or an offset.")
        try:
            with open(file, "rb") as handle:
                result = rate_deck_import(card=card, stream=deck_stream(handle, file), live_from=when,
                                          source=file.rsplit("/", 1)[-1], dry_run=dry_run)
        except (OSError, DeckError) as exc:
            raise CommandError(str(exc))
        for error in result.errors:
            self.stderr.write(f"row {error['row']}: {error['prefix'] or ''}: {error['reason']}")
        summary = (f"{result.rows} rows: {result.added} added, {result.changed} changed, {result.removed} removed "
                   f"against the live revision")
        if not result.ok:
            raise CommandError(f"{summary}; {result.error_count} bad row(s), nothing stored.")
        stored = f"; stored as revision {result.revision.pk}" if result.revision else " (dry run)"
        self.stdout.write(self.style.SUCCESS(summary + stored + "."))
