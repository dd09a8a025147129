import csv
import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connex.audit import system_context
from connex.exports import csv_row
from summaries.services import CdrImportError, cdr_import


class ProgressBar:
    """A one-line progress bar on stderr, drawn only for files big enough to wait for."""

    def __init__(self, total, stream, label, minimum=4 << 20):
        self.total, self.stream, self.label = total, stream, label
        self.done = 0
        self.shown = total >= minimum
        self.started = time.monotonic()

    def __call__(self, count):
        self.done += count
        if not self.shown:
            return
        share = self.done / self.total if self.total else 1
        filled = int(share * 30)
        rate = self.done / max(time.monotonic() - self.started, 1e-6) / 1e6
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
                          f"{self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB {rate:.1f} MB/s")
        self.stream.flush()

    def close(self):
        if self.shown:
            self.stream.write(" loading…\n")
            self.stream.flush()


class Command(BaseCommand):
    help = ("Import CDR CSV files (header row required). Seen call_ids are skipped; invalid rows go to "
            "FILE.rejects.csv with row number and reason; valid rows load.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--rejects-dir", type=Path, help="Where to write rejects files (default: beside each file).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, files, rejects_dir, no_progress, **options):
        failed = False
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            bar = ProgressBar(0 if no_progress else path.stat().st_size, sys.stderr, path.name)
            if no_progress:
                bar.shown = False
            try:
                with path.open("rb") as stream, system_context("manage.py import_cdrs", command="import_cdrs",
                                                                file=str(path)):
                    result = cdr_import(stream=stream, progress=bar, name=path.name)
            except CdrImportError as exc:
                bar.close()
                self.stderr.write(self.style.ERROR(f"{path}: {exc}"))
                failed = True
                continue
            bar.close()
            summary = (f"{path}: {result.rows} rows, {result.inserted} imported, {result.duplicates} already seen, "
                       f"{result.rejected} rejected; charged {result.charged}")
            if result.rejects:
                target = (rejects_dir or path.parent) / f"{path.stem}.rejects.csv"
                os.makedirs(target.parent, exist_ok=True)
                with target.open("w", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(["row", "call_id", "reason"])
                    writer.writerows(csv_row(row) for row in result.rejects)
                summary += f" (rejects in {target})"
                self.stdout.write(self.style.WARNING(summary))
            else:
                self.stdout.write(self.style.SUCCESS(summary))
        if failed:
            raise CommandError("Some files could not be read; nothing was imported from them.")
