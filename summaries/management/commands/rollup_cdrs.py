from datetime import date

from django.core.management.base import BaseCommand, CommandError

from connex.audit import system_context
from summaries.services import summary_rebuild_range, summary_rollup_pending


class Command(BaseCommand):
    help = ("Roll up queued hours into hourly summaries, or with --from/--to rebuild every hour of "
            "those UTC days (inclusive) from the CDRs.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="YYYY-MM-DD (UTC), inclusive")

    def handle(self, *args, date_from, date_to, **options):
        with system_context("manage.py rollup_cdrs", command="rollup_cdrs"):
            if date_from is None and date_to is None:
                hours = summary_rollup_pending()
            else:
                if date_from is None or date_to is None:
                    raise CommandError("Give both --from and --to, or neither.")
                if date_to < date_from:
                    raise CommandError("--to is before --from.")
                hours = summary_rebuild_range(date_from=date_from, date_to=date_to)
        self.stdout.write(self.style.SUCCESS(f"Rolled up {hours} hours."))
