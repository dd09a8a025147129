"""CDR ingest and the hourly rollup.

Both are set-based SQL: an import is a COPY into a temporary table plus one INSERT … SELECT, and
a rollup recomputes whole hours with INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE. Nothing
is summed in Python, so the summaries always equal the sums over their CDRs.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import psycopg
from django.db import DataError, connection, transaction
from django.utils import timezone

from .models import CallDetailRecord, PendingRollupHour, SummaryRebuild

CDR_COLUMNS = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration", "billed_duration",
               "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")
COPY_CHUNK = 1 << 20
ROLLUP_BATCH_HOURS = 48

CDR_TABLE = CallDetailRecord._meta.db_table
PENDING_TABLE = PendingRollupHour._meta.db_table


class CdrImportError(Exception):
    """The file as a whole cannot be read (header or CSV structure); nothing was imported."""


@dataclass
class CdrImportResult:
    rows: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    charged: Decimal = Decimal("0")
    rejects: list = field(default_factory=list)  # [(row, call_id, reason)], row 1 is the header

    def as_dict(self):
        return {"rows": self.rows, "inserted": self.inserted, "duplicates": self.duplicates,
                "rejected": self.rejected, "charged": str(self.charged),
                "rejects": [{"row": row, "call_id": call_id, "reason": reason}
                            for row, call_id, reason in self.rejects]}


# Validation happens in SQL over the whole staging table: each expression yields a reason or NULL,
# and a row loads only when it has none. Integers are checked by pattern before casting so that no
# single bad row can abort the statement.
_INT = r"'^[0-9]{1,9}$'"
_NEG = r"'^-[0-9]+(\.[0-9]*)?$'"
_DEC = r"'^-?[0-9]{1,12}(\.[0-9]{1,6})?$'"
_TYPED = f"""
  SELECT s.row_no, s.call_id AS raw_call_id, s.customer_id AS raw_customer_id,
         s.start_time AS raw_start, s.answer_time AS raw_answer, s.end_time AS raw_end,
         s.duration AS raw_duration, s.billed_duration AS raw_billed, s.sip_code AS raw_sip, s.pdd_ms AS raw_pdd,
         s.charge AS raw_charge, s.cost AS raw_cost, s.dialed_number AS raw_dialed,
         s.call_id, c.id AS customer_id,
         {{parse_start}} AS start_time,
         {{parse_answer}} AS answer_time,
         {{parse_end}} AS end_time,
         CASE WHEN s.duration ~ {_INT} THEN s.duration::int END AS duration,
         CASE WHEN s.billed_duration ~ {_INT} THEN s.billed_duration::int END AS billed_duration,
         coalesce(s.cli, '') AS cli, s.dialed_number, coalesce(s.destination, '') AS destination,
         CASE WHEN s.sip_code ~ '^[1-6][0-9][0-9]$' THEN s.sip_code::smallint END AS sip_code,
         CASE WHEN s.pdd_ms IS NULL THEN 0 WHEN s.pdd_ms ~ {_INT} THEN s.pdd_ms::int END AS pdd_ms,
         CASE WHEN s.charge ~ {_DEC} THEN s.charge::numeric(18, 6) END AS charge,
         CASE WHEN s.cost ~ {_DEC} THEN s.cost::numeric(18, 6) END AS cost
  FROM cdr_stage s
  LEFT JOIN customers_customer c
    ON c.id = CASE WHEN s.customer_id ~ '^[0-9]{{1,18}}$' THEN s.customer_id::bigint END
  OFFSET 0  -- evaluate each parse once, not once per reason that mentions it
"""


def _number_reason(name, raw, value, *, required=True):
    missing = f"WHEN {raw} IS NULL THEN 'missing {name}'" if required else ""
    return (f"CASE {missing} WHEN {raw} ~ {_NEG} THEN 'negative {name}' "
            f"WHEN {value} IS NULL AND {raw} IS NOT NULL THEN 'bad {name}' END")


_REASONS = ", ".join([
    "CASE WHEN t.call_id IS NULL THEN 'missing call_id' "
    "WHEN length(t.call_id) > 128 THEN 'call_id longer than 128 characters' END",
    "CASE WHEN t.raw_customer_id IS NULL THEN 'missing customer_id' "
    "WHEN t.customer_id IS NULL THEN 'unknown customer' END",
    "CASE WHEN t.raw_start IS NULL THEN 'missing start_time' "
    "WHEN t.start_time IS NULL THEN 'bad start_time (ISO 8601 with Z or an offset)' END",
    "CASE WHEN t.raw_answer IS NOT NULL AND t.answer_time IS NULL "
    "THEN 'bad answer_time (ISO 8601 with Z or an offset)' END",
    "CASE WHEN t.raw_end IS NULL THEN 'missing end_time' "
    "WHEN t.end_time IS NULL THEN 'bad end_time (ISO 8601 with Z or an offset)' END",
    "CASE WHEN t.end_time < t.start_time THEN 'end_time before start_time' END",
    "CASE WHEN t.answer_time < t.start_time OR t.answer_time > t.end_time "
    "THEN 'answer_time outside start_time..end_time' END",
    _number_reason("duration", "t.raw_duration", "t.duration"),
    _number_reason("billed_duration", "t.raw_billed", "t.billed_duration"),
    "CASE WHEN t.raw_answer IS NULL AND t.duration > 0 THEN 'duration on an unanswered call' END",
    "CASE WHEN length(t.cli) > 32 THEN 'cli longer than 32 characters' END",
    "CASE WHEN t.raw_dialed IS NULL THEN 'missing dialed_number' "
    r"WHEN t.raw_dialed !~ '^\+?[0-9]{3,20}$' THEN 'bad dialed_number' END",
    "CASE WHEN length(t.destination) > 120 THEN 'destination longer than 120 characters' END",
    "CASE WHEN t.raw_sip IS NULL THEN 'missing sip_code' "
    "WHEN t.sip_code IS NULL THEN 'bad sip_code (100-699)' END",
    _number_reason("pdd_ms", "t.raw_pdd", "t.pdd_ms", required=False),
    _number_reason("charge", "t.raw_charge", "t.charge").replace("'bad charge'",
                                                                 "'bad charge (decimal, up to 6 places)'"),
    _number_reason("cost", "t.raw_cost", "t.cost").replace("'bad cost'", "'bad cost (decimal, up to 6 places)'"),
])

# Times: the fast form casts anything shaped like an ISO 8601 time ending in Z or an offset; a value
# that passes the shape but not the cast (30 February) aborts the statement, which is then re-run
# with cx_parse_timestamptz, the strict check that never raises (and costs three times as much).
_FAST_TIME = ("CASE WHEN (left({v}, 16) LIKE '____-__-__T__:__' OR left({v}, 16) LIKE '____-__-__ __:__') AND (right({v}, 1) IN ('Z', 'z') "
              "OR left(right({v}, 6), 1) IN ('+', '-') OR left(right({v}, 5), 1) IN ('+', '-') "
              "OR left(right({v}, 3), 1) IN ('+', '-')) THEN {v}::timestamptz END")
_STRICT_TIME = "cx_parse_timestamptz({v})"
_TIME_ERRORS = {"22007", "22008", "22009"}  # invalid format, field overflow, bad time zone offset

_INSERT_COLUMNS = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                   "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")

_IMPORT_TEMPLATE = f"""
WITH checked AS MATERIALIZED (
  SELECT t.*, concat_ws('; ', {_REASONS}) AS reason FROM ({_TYPED}) t
), rejected AS (
  INSERT INTO cdr_rejects (row_no, call_id, reason)
  SELECT row_no, raw_call_id, reason FROM checked WHERE reason <> ''
), inserted AS (
  INSERT INTO {CDR_TABLE} ({", ".join(_INSERT_COLUMNS)}, imported_at)
  SELECT {", ".join(_INSERT_COLUMNS)}, now() FROM checked WHERE reason = ''
  ON CONFLICT (call_id) DO NOTHING
  RETURNING customer_id, start_time, charge
), by_customer AS (
  INSERT INTO cdr_new_charges (customer_id, charge)
  SELECT customer_id, sum(charge) FROM inserted GROUP BY customer_id
), by_hour AS (
  INSERT INTO cdr_new_hours (hour) SELECT DISTINCT date_trunc('hour', start_time, 'UTC') FROM inserted
)
SELECT (SELECT count(*) FROM checked), (SELECT count(*) FROM checked WHERE reason = ''),
       (SELECT count(*) FROM inserted), (SELECT coalesce(sum(charge), 0) FROM inserted)
"""


def _import_sql(time_expression):
    return _IMPORT_TEMPLATE.replace("{parse_start}", time_expression.format(v="s.start_time")).replace(
        "{parse_answer}", time_expression.format(v="s.answer_time")).replace(
        "{parse_end}", time_expression.format(v="s.end_time"))


_IMPORT_SQL = _import_sql(_FAST_TIME)
_IMPORT_SQL_STRICT = _import_sql(_STRICT_TIME)


def _read_header(stream):
    first = stream.readline()
    if isinstance(first, bytes):
        first = first.decode("utf-8-sig", errors="replace")
    names = next(csv.reader([first]), [])
    names = [name.strip().lower() for name in names]
    if not names or names == [""]:
        raise CdrImportError("The file is empty: a header row is required.")
    missing = [name for name in CDR_COLUMNS if name not in names]
    unknown = [name for name in names if name not in CDR_COLUMNS]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if duplicated:
        problems.append(f"repeated columns: {', '.join(duplicated)}")
    if problems:
        raise CdrImportError(f"Header row: {'; '.join(problems)}.")
    return names


def _copy_error(exc):
    context = getattr(exc.diag, "context", "") or ""
    match = re.search(r"line (\d+)", context)
    where = f"Row {int(match.group(1)) + 1}: " if match else ""
    message = (exc.diag.message_primary or str(exc)).replace("cdr_stage", "the file")
    return CdrImportError(f"{where}{message}. The file is not valid CSV; nothing was imported.")


@transaction.atomic
def cdr_import(*, stream, progress: Callable[[int], None] | None = None) -> CdrImportResult:
    """Load CDRs from a CSV stream (bytes): new call_ids are stored, seen ones skipped, bad rows
    returned as rejects; each customer's balance is debited by the charges of its new CDRs and the
    hours they fall in are queued for the rollup, all in this one transaction.
    """
    names = _read_header(stream)
    result = CdrImportResult()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE cdr_stage (row_no bigint GENERATED ALWAYS AS IDENTITY (START 2), "
            + ", ".join(f"{name} text" for name in CDR_COLUMNS) + ") ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_rejects (row_no bigint, call_id text, reason text) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_charges (customer_id bigint, charge numeric) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_hours (hour timestamptz) ON COMMIT DROP;")
        copy_sql = f"COPY cdr_stage ({', '.join(names)}) FROM STDIN (FORMAT csv)"
        try:
            with cursor.cursor.copy(copy_sql) as copy:
                while chunk := stream.read(COPY_CHUNK):
                    copy.write(chunk)
                    if progress:
                        progress(len(chunk))
        except psycopg.DataError as exc:
            raise _copy_error(exc) from exc
        # Blank cells are "no value" whether or not the CSV quoted them.
        cursor.execute("UPDATE cdr_stage SET " + ", ".join(
            f"{name} = nullif(btrim({name}), '')" for name in CDR_COLUMNS)
            + " WHERE " + " OR ".join(f"{name} <> btrim({name}) OR {name} = ''" for name in CDR_COLUMNS))
        cursor.execute("ANALYZE cdr_stage")
        try:
            with transaction.atomic():
                cursor.execute(_IMPORT_SQL)
        except DataError as exc:
            if getattr(exc.__cause__, "sqlstate", None) not in _TIME_ERRORS:
                raise
            cursor.execute(_IMPORT_SQL_STRICT)
        rows, valid, inserted, charged = cursor.fetchone()
        # Lock customers in id order so concurrent imports cannot deadlock on balances.
        cursor.execute("SELECT id FROM customers_customer WHERE id IN (SELECT customer_id FROM cdr_new_charges) "
                       "ORDER BY id FOR NO KEY UPDATE")
        cursor.execute("UPDATE customers_customer c SET balance = c.balance - n.charge "
                       "FROM cdr_new_charges n WHERE c.id = n.customer_id")
        _queue_hours(cursor, "SELECT hour FROM cdr_new_hours")
        cursor.execute("SELECT row_no, call_id, reason FROM cdr_rejects ORDER BY row_no")
        result.rejects = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("DROP TABLE cdr_stage, cdr_rejects, cdr_new_charges, cdr_new_hours")
    result.rows, result.inserted, result.charged = rows, inserted, Decimal(charged)
    result.duplicates = valid - inserted
    result.rejected = rows - valid
    return result


def cdr_import_records(*, records: list[dict]) -> CdrImportResult:
    """The same import for a list of dicts keyed by the CSV column names (the JSON API)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CDR_COLUMNS)
    for record in records:
        if not isinstance(record, dict):
            raise CdrImportError("Each record must be a JSON object.")
        writer.writerow(["" if record.get(name) is None else str(record.get(name)) for name in CDR_COLUMNS])
    return cdr_import(stream=io.BytesIO(buffer.getvalue().encode()))


def _queue_hours(cursor, hours_sql, params=None):
    """Mark hours for the rollup. The upsert locks each row: see PendingRollupHour."""
    cursor.execute(f"INSERT INTO {PENDING_TABLE} (hour) SELECT hour FROM ({hours_sql}) h ORDER BY hour "
                   "ON CONFLICT (hour) DO UPDATE SET marked = now()", params)


_ROLLUP_SQL = f"""
WITH fresh AS (
  INSERT INTO summaries_hourlysummary AS s (customer_id, hour, destination, attempts, answered, duration,
                                            billed_duration, pdd_ms_total, charge, cost)
  SELECT customer_id, date_trunc('hour', start_time, 'UTC'), destination, count(*), count(answer_time),
         sum(duration), sum(billed_duration), sum(pdd_ms), sum(charge), sum(cost)
  FROM {CDR_TABLE}
  WHERE start_time >= %(low)s AND start_time < %(high)s AND date_trunc('hour', start_time, 'UTC') = ANY(%(hours)s)
  GROUP BY 1, 2, 3
  ON CONFLICT (customer_id, hour, destination) DO UPDATE SET
    attempts = EXCLUDED.attempts, answered = EXCLUDED.answered, duration = EXCLUDED.duration,
    billed_duration = EXCLUDED.billed_duration, pdd_ms_total = EXCLUDED.pdd_ms_total,
    charge = EXCLUDED.charge, cost = EXCLUDED.cost
  RETURNING s.id
)
DELETE FROM summaries_hourlysummary s
WHERE s.hour = ANY(%(hours)s) AND NOT EXISTS (SELECT 1 FROM fresh WHERE fresh.id = s.id)
"""


def summary_rollup_pending(*, low: datetime | None = None, high: datetime | None = None,
                           batch_hours: int = ROLLUP_BATCH_HOURS,
                           on_batch: Callable[[int], None] | None = None) -> int:
    """Recompute every queued hour (optionally only those in [low, high)); returns hours done.

    Each batch claims its hours with FOR UPDATE SKIP LOCKED and commits the recomputed summaries
    together with the removal of the claims, so parallel runs share the work and a run killed
    halfway leaves its hours queued for the next one.
    """
    done = 0
    where, params = [], {}
    if low is not None:
        where.append("hour >= %(range_low)s")
        params["range_low"] = low
    if high is not None:
        where.append("hour < %(range_high)s")
        params["range_high"] = high
    claim = (f"SELECT hour FROM {PENDING_TABLE} {'WHERE ' + ' AND '.join(where) if where else ''} "
             f"ORDER BY hour LIMIT {int(batch_hours)} FOR UPDATE SKIP LOCKED")
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(claim, params)
            hours = [row[0] for row in cursor.fetchall()]
            if not hours:
                return done
            summary_rollup_hours(hours=hours, cursor=cursor)
            cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE hour = ANY(%s)", [hours])
        done += len(hours)
        if on_batch:
            on_batch(len(hours))


def summary_rollup_hours(*, hours: list[datetime], cursor=None):
    """Replace the summaries of these whole UTC hours with the sums over their CDRs.

    Callers must hold the hours' claims (summary_rollup_pending does) or run alone.
    """
    if not hours:
        return
    params = {"hours": hours, "low": min(hours), "high": max(hours) + timedelta(hours=1)}
    if cursor is None:
        with connection.cursor() as own:
            own.execute(_ROLLUP_SQL, params)
    else:
        cursor.execute(_ROLLUP_SQL, params)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def summary_queue_range(*, date_from: date, date_to: date) -> int:
    """Queue every hour of the UTC days date_from..date_to (inclusive); returns the hour count."""
    low, high = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    with transaction.atomic(), connection.cursor() as cursor:
        _queue_hours(cursor, "SELECT generate_series(%s::timestamptz, %s::timestamptz, interval '1 hour') AS hour",
                     [low, high - timedelta(hours=1)])
    return int((high - low).total_seconds() // 3600)


def summary_rebuild_range(*, date_from: date, date_to: date, on_batch=None) -> int:
    """Recompute the summaries of a date range from the CDRs (manage.py rollup_cdrs --from --to)."""
    summary_queue_range(date_from=date_from, date_to=date_to)
    return summary_rollup_pending(low=_day_start(date_from), high=_day_start(date_to + timedelta(days=1)),
                                  on_batch=on_batch)


def summary_rebuild_request(*, date_from: date, date_to: date, user=None) -> SummaryRebuild:
    """Record a staff rebuild request and run it as a task after commit."""
    from .tasks import summary_rebuild_run_task

    rebuild = SummaryRebuild(date_from=date_from, date_to=date_to, requested_by=user,
                             hours_total=((date_to - date_from).days + 1) * 24)
    rebuild.full_clean()
    rebuild.save()
    transaction.on_commit(lambda: summary_rebuild_run_task.delay(rebuild.pk))
    return rebuild


def summary_rebuild_run(*, rebuild_id: int):
    """Run a queued rebuild, ticking its progress after each committed batch."""
    claimed = (SummaryRebuild.objects.filter(pk=rebuild_id, state=SummaryRebuild.State.QUEUED)
               .update(state=SummaryRebuild.State.RUNNING, updated=timezone.now()))
    if not claimed:
        return  # already run or running elsewhere
    rebuild = SummaryRebuild.objects.get(pk=rebuild_id)
    from django.db.models import F

    def tick(count):
        SummaryRebuild.objects.filter(pk=rebuild_id).update(hours_done=F("hours_done") + count)

    try:
        summary_rebuild_range(date_from=rebuild.date_from, date_to=rebuild.date_to, on_batch=tick)
    except Exception as exc:
        SummaryRebuild.objects.filter(pk=rebuild_id).update(state=SummaryRebuild.State.FAILED, error=str(exc))
        raise
    # Hours another run happened to claim were rolled up there; the range is complete either way.
    SummaryRebuild.objects.filter(pk=rebuild_id).update(state=SummaryRebuild.State.DONE,
                                                        hours_done=F("hours_total"))
