"""Daily partitions of the CDR table: creation ahead and on demand, and retention.

One partition per UTC day, named summaries_calldetailrecord_pYYYYMMDD and created by the SQL
function cx_cdr_partition_ensure (migration 0008): LIKE the parent, then ATTACH, under an advisory
lock per day, so two imports reaching the same new day create it once. Retention detaches whole
days past CdrRetentionOptions.raw_cdr_days and drops them; the call_id dedupe rows of those days
go with them. A day is never dropped while one of its hours waits for the rollup, so the summaries
always hold every CDR that was stored.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from .models import CdrCallId, CdrRetentionOptions, PendingRollupHour, SetAsideRollupHour

logger = logging.getLogger(__name__)

PARENT = "summaries_calldetailrecord"
PREFIX = f"{PARENT}_p"
DAYS_AHEAD = 7
DETACH_LOCK_TIMEOUT = "5s"
DEDUPE_DELETE_BATCH = 50_000


def _utc_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value


def cdr_partitions_ensure(*, days: Iterable) -> list[date]:
    """Make sure each UTC day (dates or datetimes) has its partition; returns the days created."""
    created = []
    for day in sorted({_utc_date(value) for value in days}):
        with connection.cursor() as cursor:
            cursor.execute("SELECT cx_cdr_partition_ensure(%s::date)", [day])
            if cursor.fetchone()[0]:
                created.append(day)
    return created


def cdr_partitions_ensure_sql(cursor, days_sql: str, params=None) -> int:
    """The same for the UTC days a query yields (a column `day` of type date), in one statement."""
    cursor.execute(f"SELECT count(*) FILTER (WHERE cx_cdr_partition_ensure(day)) FROM ({days_sql}) d", params)
    return cursor.fetchone()[0]


def cdr_partitions_create_ahead(*, days_ahead: int = DAYS_AHEAD, today: date | None = None) -> list[date]:
    """Today and the next `days_ahead` days (periodic: the daily task)."""
    today = today or datetime.now(UTC).date()
    return cdr_partitions_ensure(days=[today + timedelta(days=n) for n in range(days_ahead + 1)])


def cdr_partition_days() -> list[date]:
    """The UTC days that have a partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [PARENT])
        names = [name for (name,) in cursor.fetchall() if name.startswith(PREFIX)]
    days = []
    for name in names:
        try:
            days.append(datetime.strptime(name[len(PREFIX):], "%Y%m%d").date())
        except ValueError:
            continue  # beyond Python's calendar (year 10000): never past any retention cutoff
    return sorted(days)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class CdrDaysGone(ValidationError):
    """Raw CDRs of the asked days were removed by the retention setting."""


def cdr_retained_from() -> date | None:
    """The first UTC day whose raw CDRs are still kept, or None when nothing was ever removed."""
    return CdrRetentionOptions.get().dropped_before


def cdr_days_check(*, start, end=None):
    """Refuse a period (datetimes or dates, end exclusive) that reaches days whose raw CDRs are gone."""
    kept_from = cdr_retained_from()
    if kept_from is None or _utc_date(start) >= kept_from:
        return
    raise CdrDaysGone(
        f"Raw CDRs before {kept_from:%Y-%m-%d} (UTC) have been removed by the retention setting "
        f"({CdrRetentionOptions.get().raw_cdr_days} days); summaries, invoices and balances of those days "
        "are kept, but their individual calls cannot be read or recalculated.", code="cdr_days_gone")


@dataclass
class RetentionResult:
    dropped: list
    kept_pending: list
    dedupe_rows: int = 0


def cdr_retention_enforce(*, today: date | None = None) -> RetentionResult:
    """Detach and drop the partitions of days past the retention; delete their dedupe rows.

    Days with an hour still queued for the rollup (or set aside) are kept until it has rolled, so
    the summaries hold every call. Safe to run twice at once: each day is detached under its
    advisory lock and dropped only by the run that detached it. Outside a transaction the detach is
    CONCURRENTLY (no lock that blocks readers); inside one, a short lock timeout keeps it from
    queueing behind long reads (the next run retries).
    """
    today = today or datetime.now(UTC).date()
    options = CdrRetentionOptions.get()
    cutoff = today - timedelta(days=options.raw_cdr_days)
    result = RetentionResult(dropped=[], kept_pending=[])
    waiting = set()
    for model in (PendingRollupHour, SetAsideRollupHour):
        for hour in model.objects.filter(hour__lt=_day_start(cutoff)).values_list("hour", flat=True):
            waiting.add(hour.astimezone(UTC).date())
    for day in cdr_partition_days():
        if day >= cutoff:
            break
        if day in waiting:
            result.kept_pending.append(day)
            continue
        if _drop_partition(day):
            result.dropped.append(day)
    # Days before the first one still waiting are gone for good; the boundary only moves forward.
    boundary = min([cutoff, *result.kept_pending])
    if options.dropped_before is None or boundary > options.dropped_before:
        CdrRetentionOptions.objects.filter(pk=1).update(dropped_before=boundary)
    result.dedupe_rows = _delete_dedupe_rows(before=boundary)
    return result


def _drop_partition(day: date) -> bool:
    name = f"{PREFIX}{day:%Y%m%d}"
    concurrent = not connection.in_atomic_block
    with connection.cursor() as cursor:
        if concurrent:
            try:
                cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}" CONCURRENTLY')
            except Exception:  # already detached or dropped by a parallel run
                logger.info("Partition %s not detached here", name, exc_info=True)
                return False
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            return True
        with transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(60602, %s)", [(day - date(2000, 1, 1)).days])
            cursor.execute("SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                           "WHERE i.inhparent = %s::regclass AND c.relname = %s", [PARENT, name])
            if not cursor.fetchone():
                return False
            cursor.execute(f"SET LOCAL lock_timeout = '{DETACH_LOCK_TIMEOUT}'")
            cursor.execute(f'ALTER TABLE {PARENT} DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
    return True


def _delete_dedupe_rows(*, before: date) -> int:
    """Dedupe rows of removed days, in batches (each a short transaction outside a test)."""
    table = CdrCallId._meta.db_table
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
                           f"WHERE start_time < %s LIMIT {DEDUPE_DELETE_BATCH}))", [_day_start(before)])
            total += cursor.rowcount
            if cursor.rowcount < DEDUPE_DELETE_BATCH:
                return total
