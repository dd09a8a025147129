"""CDR ingest and the hourly rollup.

Both are set-based SQL: an import is a COPY into a temporary table plus one INSERT … SELECT, and
a rollup recomputes whole hours with INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE. Nothing
is summed in Python, so the summaries always equal the sums over their CDRs.
"""

import codecs
import csv
import functools
import io
import logging
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import psycopg
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from .models import (
    CDR_EARLIEST,
    CDR_MONEY_LIMIT,
    CallDetailRecord,
    CdrCallId,
    CdrImport,
    PendingRollupHour,
    SetAsideRollupHour,
    SummaryRebuild,
)

logger = logging.getLogger(__name__)

CDR_COLUMNS = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration", "billed_duration",
               "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")
COPY_CHUNK = 1 << 20
ROLLUP_BATCH_HOURS = 168  # a week: few statements, and each day is re-summed about once

CDR_TABLE = CallDetailRecord._meta.db_table
CALL_ID_TABLE = CdrCallId._meta.db_table
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
    import_record: object = None  # the CdrImport, source of the ledger entries it posted

    def as_dict(self):
        return {"rows": self.rows, "inserted": self.inserted, "duplicates": self.duplicates,
                "rejected": self.rejected, "charged": str(self.charged),
                "rejects": [{"row": row, "call_id": call_id, "reason": reason}
                            for row, call_id, reason in self.rejects]}


# Validation happens in SQL over the whole staging table: each expression yields a reason or NULL,
# and a row loads only when it has none. Two stagings share the rules. The typed one lets COPY parse
# numbers (as fast as a raw COPY); a file with a cell COPY cannot parse is staged again as text,
# where every number is checked by pattern before casting so no single bad row can abort the load.
# What PostgreSQL's integer and numeric input accept (exponents bounded so the cast cannot fail).
_INTEGER = r"'^[+-]?[0-9]{1,30}$'"
_NUMBER = r"'^[+-]?([0-9]{1,30}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$'"
_INT_MAX = 999999999
_TEXT_COLUMNS = ("call_id", "start_time", "answer_time", "end_time", "cli", "dialed_number", "destination")
_STAGE_TYPES = {"customer_id": "bigint", "duration": "bigint", "billed_duration": "bigint", "sip_code": "bigint",
                "pdd_ms": "bigint", "charge": "numeric", "cost": "numeric"}


def _number(name, *, typed, required=True, decimal=False, places="", rated=False):
    """The value and the problem (or NULL) of one numeric column: one rule for both stagings.

    The typed staging holds what COPY parsed; the text staging first casts every cell shaped like
    a number PostgreSQL would parse (so `1e3` or `+5` mean the same in both), then the same range
    checks apply to the parsed value. A `rated` column left empty stays NULL: the panel prices it.
    """
    raw = f"s.{name}"
    parsed = raw if typed else f"(CASE WHEN {raw} ~ {_NUMBER if decimal else _INTEGER} THEN {raw}::numeric END)"
    if decimal:
        bad = f"{parsed} <> trunc({parsed}, 6) OR {parsed} >= {CDR_MONEY_LIMIT:f}"
        value = f"CASE WHEN {parsed} >= 0 AND NOT ({bad}) THEN {parsed}::numeric(18, 6) END"
    else:
        bad = f"{parsed} > {_INT_MAX}"
        value = f"CASE WHEN {parsed} BETWEEN 0 AND {_INT_MAX} THEN {parsed}::int END"
    if not required and not rated:
        value = f"CASE WHEN {raw} IS NULL THEN 0 ELSE {value} END"
    missing = (f"WHEN {raw} IS NULL THEN 'missing {name}' " if required and not rated
               else f"WHEN {raw} IS NULL THEN NULL ")
    problem = (f"CASE {missing}WHEN {parsed} IS NULL THEN 'bad {name}{places}' "
               f"WHEN {parsed} < 0 THEN 'negative {name}' WHEN {bad} THEN 'bad {name}{places}' END")
    return value, problem


_PLACES = " (decimal, up to 6 places)"
# A row without a charge is priced by the panel (routing.rating), which also fills billed_duration.
_RATED = {"rated": True}
OPTIONAL_COLUMNS = ("billed_duration", "charge")


def _staged_customer_id(typed):
    """The staged row's customer_id as a number, or NULL when the text staging holds no number."""
    return "s.customer_id" if typed else "CASE WHEN s.customer_id ~ '^[0-9]{1,18}$' THEN s.customer_id::bigint END"


def _typed_select(typed):
    columns = []
    for name, options in (("duration", {}), ("billed_duration", _RATED), ("pdd_ms", {"required": False}),
                          ("charge", {"decimal": True, "places": _PLACES} | _RATED),
                          ("cost", {"decimal": True, "places": _PLACES})):
        value, problem = _number(name, typed=typed, **options)
        columns.append(f"{value} AS {name}, {problem} AS {name}_problem")
    if typed:
        sip = "CASE WHEN s.sip_code BETWEEN 100 AND 699 THEN s.sip_code::smallint END"
    else:
        sip = "CASE WHEN s.sip_code ~ '^[1-6][0-9][0-9]$' THEN s.sip_code::smallint END"
    return f"""
  SELECT s.row_no, s.call_id AS raw_call_id, s.customer_id AS raw_customer_id,
         s.start_time AS raw_start, s.answer_time AS raw_answer, s.end_time AS raw_end,
         s.sip_code AS raw_sip, s.dialed_number AS raw_dialed,
         CASE WHEN left(s.dialed_number, 1) = '+' THEN substr(s.dialed_number, 2) ELSE s.dialed_number END
           AS dialed_digits,
         s.call_id, c.id AS customer_id,
         {{parse_start}} AS start_time, {{parse_answer}} AS answer_time, {{parse_end}} AS end_time,
         {", ".join(columns)},
         coalesce(s.cli, '') AS cli, s.dialed_number, coalesce(s.destination, '') AS destination,
         {sip} AS sip_code
  FROM cdr_stage s
  LEFT JOIN customers_customer c ON c.id = {_staged_customer_id(typed)}
  OFFSET 0  -- evaluate each parse once, not once per reason that mentions it
"""


# The window of believable call times: everything the summaries, invoices and reports can show.
CDR_FUTURE_TOLERANCE = timedelta(days=1)  # switch clocks drift; a day ahead is still a mistake
CDR_LONGEST_CALL = timedelta(days=2)
_LATEST_SQL = f"now() + interval '{CDR_FUTURE_TOLERANCE.days} days'"
# The first UTC day whose raw CDRs are kept (see summaries.partitions); NULL when none were removed.
_RETAINED_FROM_SQL = ("(SELECT dropped_before::timestamp AT TIME ZONE 'UTC' FROM summaries_cdrretentionoptions "
                      "WHERE id = 1)")

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
    f"CASE WHEN t.start_time < '{CDR_EARLIEST.isoformat()}' OR t.start_time > {_LATEST_SQL} "
    f"THEN 'start_time outside {CDR_EARLIEST:%Y-%m-%d} to one day from now' END",
    f"CASE WHEN t.start_time < (SELECT {_RETAINED_FROM_SQL}) "
    "THEN 'start_time on a day whose raw CDRs were removed (retention)' END",
    f"CASE WHEN t.end_time > t.start_time + interval '{CDR_LONGEST_CALL.days} days' "
    f"THEN 'end_time more than {CDR_LONGEST_CALL.days} days after start_time' END",
    "CASE WHEN t.answer_time < t.start_time OR t.answer_time > t.end_time "
    "THEN 'answer_time outside start_time..end_time' END",
    "t.duration_problem", "t.billed_duration_problem",
    "CASE WHEN t.raw_answer IS NULL AND t.duration > 0 THEN 'duration on an unanswered call' END",
    "CASE WHEN length(t.cli) > 32 THEN 'cli longer than 32 characters' END",
    # An optional + then 3 to 20 ASCII digits; ltrim() checks that for a third of a regex's cost.
    "CASE WHEN t.raw_dialed IS NULL THEN 'missing dialed_number' "
    "WHEN NOT (length(t.dialed_digits) BETWEEN 3 AND 20 AND ltrim(t.dialed_digits, '0123456789') = '') "
    "THEN 'bad dialed_number' END",
    "CASE WHEN length(t.destination) > 120 THEN 'destination longer than 120 characters' END",
    "CASE WHEN t.raw_sip IS NULL THEN 'missing sip_code' "
    "WHEN t.sip_code IS NULL THEN 'bad sip_code (100-699)' END",
    "t.pdd_ms_problem", "t.charge_problem", "t.cost_problem",
    "CASE WHEN t.charge IS NOT NULL AND t.billed_duration IS NULL AND t.billed_duration_problem IS NULL "
    "THEN 'missing billed_duration (required with a charge)' END",
])

# Times: the fast form casts anything shaped like an ISO 8601 time ending in Z or an offset; a value
# that passes the shape but not the cast (30 February) aborts the statement, which is then re-run
# with cx_parse_timestamptz, the strict check that never raises (and costs three times as much).
# The shape is matched with LIKE patterns alone, half the cost of cutting the ends off with left()
# and right(), which count characters (%% as the statements always run with parameters).
_FAST_TIME = ("CASE WHEN ({v} LIKE '____-__-__T__:__%%' OR {v} LIKE '____-__-__ __:__%%') AND ({v} LIKE '%%Z' "
              "OR {v} LIKE '%%+_____' OR {v} LIKE '%%-_____' OR {v} LIKE '%%+____' OR {v} LIKE '%%-____' "
              "OR {v} LIKE '%%+__' OR {v} LIKE '%%-__' OR {v} LIKE '%%z') THEN {v}::timestamptz END")
_STRICT_TIME = "cx_parse_timestamptz({v})"
_TIME_ERRORS = {"22007", "22008", "22009"}  # invalid format, field overflow, bad time zone offset

# What the rating yields for a file whose every row carries its charge: nothing to price.
_UNRATED = """
CROSS JOIN (SELECT NULL::bigint AS rate_card_id, NULL::bigint AS rate_revision_id, NULL::text AS rate_prefix,
                   NULL::numeric AS rate, NULL::text AS rate_name, NULL::int AS rated_billed,
                   NULL::numeric AS rated_charge, NULL::text AS rating_problem) rating"""


def _priced_select(checked, *, rated="per_row"):
    """The checked rows with a charge for each row that came without one (see routing.rating):
    billed_duration, destination and what priced the call come from the rating, and a row that
    cannot be priced is rejected with the reason. `rated=False` (no row lacks a charge) leaves the
    rating out, which would only look at each row to find it has nothing to do; "routes_once" (a
    large file) reads all customers' routes once rather than each row's customer's; "sorted" (a
    larger one) reads what _rate_sorted found for every row at once."""
    from routing.rating import rating_lateral, rating_sorted_joins

    if rated == "sorted":
        joins = rating_sorted_joins("c")
    else:
        joins = rating_lateral("c", routes_once=rated == "routes_once") if rated else _UNRATED
    return f"""SELECT c.row_no, c.raw_call_id, c.call_id, c.customer_id, c.start_time, c.answer_time, c.end_time,
         c.duration, coalesce(rating.rated_billed, c.billed_duration) AS billed_duration, c.cli, c.dialed_number,
         CASE WHEN coalesce(rating.rate_name, '') <> '' AND rating.rating_problem IS NULL THEN rating.rate_name
              ELSE c.destination END AS destination,
         c.sip_code, c.pdd_ms, coalesce(c.charge, rating.rated_charge) AS charge, c.cost,
         rating.rate_card_id, rating.rate_revision_id, coalesce(rating.rate_prefix, '') AS rate_prefix, rating.rate,
         concat_ws('; ', nullif(c.reason, ''), rating.rating_problem) AS reason
  FROM {checked} c {joins}"""


def _rate_sorted(cursor, typed):
    """A large file's rows without a charge: what prices each, found for all at once (see
    routing.rating), from the same customer, number and start as the checked rows have. Returns
    whether the times needed the strict check (so the import statement starts with it)."""
    from routing.rating import rating_sorted_prepare

    for strict in (False, True):
        time_expression = _STRICT_TIME if strict else _FAST_TIME
        source = (f"SELECT s.row_no, {_staged_customer_id(typed)} AS customer_id, s.dialed_number, "
                  f"{time_expression.format(v='s.start_time')} AS start_time FROM cdr_stage s WHERE s.charge IS NULL OFFSET 0")
        try:
            with transaction.atomic():
                rating_sorted_prepare(cursor, source)
                return strict
        except DataError as exc:  # a time shaped right but not a real one: the strict check
            if strict or getattr(exc.__cause__, "sqlstate", None) not in _TIME_ERRORS:
                raise


_INSERT_COLUMNS = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                   "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost",
                   "rate_card_id", "rate_revision_id", "rate_prefix", "rate")

# Checks and pricing in one pass. OFFSET 0 keeps the reasons from being inlined into every place the
# rating reads them.
_CHECKED = f"(SELECT t.*, concat_ws('; ', {_REASONS}) AS reason FROM ({{typed_select}}) t OFFSET 0)"

_SUMS = """, by_customer AS (
  INSERT INTO cdr_new_charges (customer_id, day, charge, calls)
  SELECT customer_id, date_trunc('day', start_time, 'UTC')::date, sum(charge), count(*) FROM inserted GROUP BY 1, 2
), by_hour AS (
  INSERT INTO cdr_new_hours (hour) SELECT DISTINCT date_bin('1 hour', start_time, '2000-01-01Z') FROM inserted
)"""

# Two ways to store the valid rows; both return (rows, valid, inserted, charged).
#
# The plain one assumes every call_id is new, so a file of new calls (the usual case) is read once:
# each valid row goes straight into the CDR table and its call_id into the dedupe index, with no
# intermediate copy of the file and no join. Rows with a problem are left out and counted; only
# then does a second pass (_REJECTS) name their reasons. A call_id stored before, repeated in the
# file, or stored by a concurrent import fails it on the dedupe key.
_PLAIN = f"""
WITH inserted AS (
  INSERT INTO {CDR_TABLE} ({", ".join(_INSERT_COLUMNS)}, imported_at)
  SELECT {", ".join("p." + name for name in _INSERT_COLUMNS)}, now()
  FROM ({{priced_select}}) p WHERE p.reason = ''
  RETURNING id, call_id, customer_id, start_time, charge
), fresh AS (
  -- The dedupe index across all days.
  INSERT INTO {CALL_ID_TABLE} (call_id, start_time, cdr_id) SELECT call_id, start_time, id FROM inserted
  RETURNING 1
){_SUMS}
-- Reading `fresh` first moves each row through both inserts in turn, so a file whose first call was
-- seen before (a file imported twice) fails at that row, not after storing every CDR.
SELECT (SELECT count(*) FROM cdr_stage), n, n, (SELECT coalesce(sum(charge), 0) FROM inserted)
FROM (SELECT count(*) AS n FROM fresh) stored
"""

_REJECTS = """
INSERT INTO cdr_rejects (row_no, call_id, reason)
SELECT row_no, raw_call_id, reason FROM ({priced_select}) p WHERE reason <> ''
"""

# The upserting one then runs instead: it keeps the checked rows (MATERIALIZED) for its several
# readers, skips call_ids already there or earlier in the file (ON CONFLICT DO NOTHING) and stores
# the CDRs whose call_id went in.
_UPSERT = f"""
WITH priced AS MATERIALIZED (
  SELECT p.*, CASE WHEN p.reason = '' THEN nextval('{CDR_TABLE}_id_seq') END AS cdr_id
  FROM ({{priced_select}}) p
), rejected AS (
  INSERT INTO cdr_rejects (row_no, call_id, reason)
  SELECT row_no, raw_call_id, reason FROM priced WHERE reason <> ''
), fresh AS (
  -- The dedupe index across all days: a call_id already there (or earlier in this file) is skipped.
  INSERT INTO {CALL_ID_TABLE} (call_id, start_time, cdr_id)
  SELECT call_id, start_time, cdr_id FROM priced WHERE reason = ''
  ON CONFLICT (call_id) DO NOTHING
  RETURNING cdr_id
), inserted AS (
  INSERT INTO {CDR_TABLE} (id, {", ".join(_INSERT_COLUMNS)}, imported_at)
  SELECT p.cdr_id, {", ".join("p." + name for name in _INSERT_COLUMNS)}, now()
  FROM priced p JOIN fresh f ON f.cdr_id = p.cdr_id
  RETURNING customer_id, start_time, charge
){_SUMS}
SELECT counts.*, (SELECT count(*) FROM inserted), (SELECT coalesce(sum(charge), 0) FROM inserted)
FROM (SELECT count(*), count(*) FILTER (WHERE reason = '') FROM priced) counts
"""

_TEMPLATES = {"plain": _PLAIN, "rejects": _REJECTS, "upsert": _UPSERT}


@functools.cache
def _import_sql(form, *, typed, strict, rated):
    """One of the import statements (`form` in _TEMPLATES) for this staging, time check and rating."""
    sql = _TEMPLATES[form].replace("{priced_select}", _priced_select(_CHECKED, rated=rated))
    sql = sql.replace("{typed_select}", _typed_select(typed))
    time_expression = _STRICT_TIME if strict else _FAST_TIME
    for column, name in (("start_time", "{parse_start}"), ("answer_time", "{parse_answer}"),
                         ("end_time", "{parse_end}")):
        sql = sql.replace(name, time_expression.format(v=f"s.{column}"))
    return sql


HEADER_MAX_BYTES = 64 * 1024


def _as_utf8(stream):
    """The stream itself when it is UTF-8 (or ASCII); a UTF-8 copy when it is UTF-16.

    Spreadsheets save "Unicode text" as UTF-16 with a byte-order mark; without one, NUL bytes in
    the header row betray it (the header is ASCII).
    """
    start = stream.tell()
    head = stream.read(HEADER_MAX_BYTES)
    stream.seek(start)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif head[1:64:2].count(0) > 8 and not head[0:64:2].count(0):
        encoding = "utf-16-le"
    elif head[0:64:2].count(0) > 8 and not head[1:64:2].count(0):
        encoding = "utf-16-be"
    else:
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=COPY_CHUNK * 16)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        while chunk := stream.read(COPY_CHUNK):
            copy.write(decoder.decode(chunk).encode())
        copy.write(decoder.decode(b"", final=True).encode())
    except UnicodeDecodeError:
        raise CdrImportError("The file looks like UTF-16 but is not valid UTF-16; save it as UTF-8 CSV.")
    copy.seek(0)
    return copy


def _read_header(stream):
    """Read the header row, ending at CR, LF or CRLF, and leave the stream after it."""
    start = stream.tell()
    head = stream.read(HEADER_MAX_BYTES)
    ends = [index for index in (head.find(b"\n"), head.find(b"\r")) if index >= 0]
    if not ends and len(head) == HEADER_MAX_BYTES:
        raise CdrImportError("The header row is longer than 64 KB: is this a CSV file?")
    end = min(ends) if ends else len(head)
    after = end + (2 if head[end:end + 2] == b"\r\n" else 1 if ends else 0)
    stream.seek(start + after)
    first = head[:end].decode("utf-8-sig", errors="replace")
    try:
        names = next(csv.reader([first]), [])
    except csv.Error as exc:
        raise CdrImportError(f"Header row: {exc}.")
    names = [name.strip().lower() for name in names]
    if not names or names == [""]:
        raise CdrImportError("The file is empty: a header row is required.")
    missing = [name for name in CDR_COLUMNS if name not in names and name not in OPTIONAL_COLUMNS]
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


# A cell padded with spaces has a space beside a comma, a line break or a quote (or at the very
# start or end of the data). Searching the raw bytes for these pairs costs a few milliseconds per
# megabyte, and a file without any (nearly every file) skips the pass over the staged rows that
# would trim them. A pair inside a quoted value ("Washington, DC") only costs that pass.
_PADDING = (b", ", b" ,", b"\n ", b" \n", b"\r ", b" \r", b'" ', b' "')


def _has_padding(data):
    return any(pair in data for pair in _PADDING)


def _stage(cursor, stream, names, *, typed, progress):
    types = _STAGE_TYPES if typed else {}
    cursor.execute(
        "DROP TABLE IF EXISTS cdr_stage;"
        "CREATE TEMP TABLE cdr_stage (row_no bigint GENERATED ALWAYS AS IDENTITY (START 2), "
        + ", ".join(f"{name} {types.get(name, 'text')}" for name in CDR_COLUMNS) + ") ON COMMIT DROP")
    # FORCE_NULL: a quoted empty cell is no value, as an unquoted one already is.
    padded, last = False, b"\n"
    with cursor.cursor.copy(f"COPY cdr_stage ({', '.join(names)}) FROM STDIN "
                            f"(FORMAT csv, FORCE_NULL ({', '.join(names)}))") as copy:
        while chunk := stream.read(COPY_CHUNK):
            copy.write(chunk)
            padded = padded or _has_padding(last + chunk)
            last = chunk[-1:]
            if progress:
                progress(len(chunk))
    if not (padded or last == b" "):
        return
    # Cells padded with spaces are trimmed, and blank ones are no value. Only padded rows are
    # rewritten, and finding them compares first and last characters, not trimmed copies.
    trimmed = [name for name in (_TEXT_COLUMNS if typed else CDR_COLUMNS) if name in names]
    cursor.execute("UPDATE cdr_stage SET " + ", ".join(f"{name} = nullif(btrim({name}), '')" for name in trimmed)
                   + " WHERE " + " OR ".join(f"left({name}, 1) = ' ' OR right({name}, 1) = ' '" for name in trimmed))


@transaction.atomic
def cdr_import(*, stream, progress: Callable[[int], None] | None = None, origin: str = CdrImport.Origin.FILE,
               name: str = "") -> CdrImportResult:
    """Load CDRs from a CSV stream (bytes): new call_ids are stored, seen ones skipped, bad rows
    returned as rejects; the charges of the new CDRs are posted to each customer's ledger and the
    hours they fall in are queued for the rollup, all in this one transaction.

    `origin` and `name` (a file's name) are recorded as the CdrImport the ledger entries come from.
    """
    if not stream.seekable():
        spooled = tempfile.SpooledTemporaryFile(max_size=COPY_CHUNK * 16)
        shutil.copyfileobj(stream, spooled)
        spooled.seek(0)
        stream = spooled
    stream = _as_utf8(stream)
    names = _read_header(stream)
    data_start = stream.tell()
    if progress:
        progress(data_start)
    result = CdrImportResult()
    with connection.cursor() as cursor:
        # JIT would spend seconds compiling this one wide statement for every file, small or large.
        cursor.execute("SET LOCAL jit = off")
        # Room to keep a large file's stored rows (read again for the dedupe index and the sums) and
        # its sums per customer and day in memory rather than in temporary files.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute(
            "CREATE TEMP TABLE cdr_rejects (row_no bigint, call_id text, reason text) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_charges (customer_id bigint, day date, charge numeric, calls bigint) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_hours (hour timestamptz) ON COMMIT DROP;")
        loaded = _load_columnar(cursor, stream, names, data_start, progress)
        if loaded:
            rows, valid, inserted, charged = loaded
        else:
            rows, valid, inserted, charged = _load_staged(cursor, stream, names, data_start, progress)
        if inserted:  # charges taken off the new CDRs by registered hooks (packages' free minutes)
            charged -= _rating_hooks(cursor)
        result.import_record = CdrImport.objects.create(origin=origin, name=name[:200], rows=rows,
                                                        inserted=inserted, charged=charged)
        try:
            with transaction.atomic():
                _debit_new_charges(cursor, result.import_record)
        except DataError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "22003":  # numeric value out of range
                raise
            raise CdrImportError("These charges would take a customer's balance beyond what it can hold; "
                                 "nothing was imported.")
        _check_customers_kept(cursor)
        _queue_hours(cursor, "SELECT hour FROM cdr_new_hours")
        cursor.execute("SELECT row_no, call_id, reason FROM cdr_rejects ORDER BY row_no")
        result.rejects = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("DROP TABLE IF EXISTS cdr_stage; DROP TABLE cdr_rejects, cdr_new_charges, cdr_new_hours")
    result.rows, result.inserted, result.charged = rows, inserted, Decimal(charged)
    result.duplicates = valid - inserted
    result.rejected = rows - valid
    return result


def _load_columnar(cursor, stream, names, data_start, progress):
    """A large file of priced calls through the columnar load (summaries.columnar), when it takes
    it: (rows, valid, inserted, charged), or None for the staged import."""
    from .columnar import COLUMNAR_FROM_BYTES, NotColumnar, cdr_load_columnar

    size = stream.seek(0, io.SEEK_END) - data_start
    stream.seek(data_start)
    if size < COLUMNAR_FROM_BYTES:
        return None
    try:
        rows, valid, inserted, micros = cdr_load_columnar(cursor, stream, names)
    except NotColumnar as exc:
        logger.debug("CDR file for the staged import: %s", exc)
        stream.seek(data_start)
        return None
    if progress:
        progress(size)
    return rows, valid, inserted, Decimal(micros).scaleb(-6)


def _load_staged(cursor, stream, names, data_start, progress):
    """The file through a staging table, checked and priced in SQL: (rows, valid, inserted, charged)."""
    typed = True
    try:
        with transaction.atomic():
            _stage(cursor, stream, names, typed=True, progress=progress)
    except psycopg.DataError:
        typed = False  # some cell is not a number: stage as text and find which rows
        stream.seek(data_start)
        try:
            _stage(cursor, stream, names, typed=False, progress=None)
        except psycopg.DataError as exc:
            raise _copy_error(exc) from exc
    # Rows left to the panel to price: none, a few, or enough to read every customer's routes once.
    from routing.rating import ROUTES_ONCE_FROM, SORTED_FROM

    most = max(ROUTES_ONCE_FROM, SORTED_FROM)
    cursor.execute(f"SELECT count(*) FROM (SELECT FROM cdr_stage WHERE charge IS NULL LIMIT {most}) n")
    unpriced = cursor.fetchone()[0]
    rated = ("sorted" if unpriced >= SORTED_FROM else "routes_once" if unpriced >= ROUTES_ONCE_FROM
             else "per_row" if unpriced else False)
    strict = _rate_sorted(cursor, typed) if rated == "sorted" else False
    return _insert_staged(cursor, typed, rated=rated, strict=strict)


def _rating_hooks(cursor):
    from connex.registry import registry

    return sum((hook(cursor) for hook in registry.rating_hooks["import"]), Decimal("0"))


_MISSING_PARTITION = "no partition of relation"
_CALL_ID_KEY = f"{CALL_ID_TABLE}_pkey"


def _insert_staged(cursor, typed, *, rated, strict=False):
    """Run the import statement; returns (rows, valid, inserted, charged).

    The cheapest form runs first, and each way it can fail on clean data selects the form that
    handles it: a time shaped right but not a real one (30 February) the strict time check, a
    call_id already stored (or repeated in the file) the upserting store. The daily partitions are
    normally there (created ahead by a task); a file that reaches a day without one fails fast on
    its first such row, the days of the staged rows then get their partitions, in this
    transaction, and the statement runs again. `strict`: the times are known to need the strict check.
    """
    upsert = partitioned = False
    while True:
        flags = {"typed": typed, "strict": strict, "rated": rated}
        try:
            with transaction.atomic():
                cursor.execute(_import_sql("upsert" if upsert else "plain", **flags), ())
                counts = cursor.fetchone()
                if counts[0] > counts[1] and not upsert:
                    cursor.execute(_import_sql("rejects", **flags), ())
                return counts
        except DataError as exc:
            if strict or getattr(exc.__cause__, "sqlstate", None) not in _TIME_ERRORS:
                raise
            strict = True
        except IntegrityError as exc:
            diag = getattr(exc.__cause__, "diag", None)
            if not upsert and getattr(diag, "constraint_name", None) == _CALL_ID_KEY:
                upsert = True
            elif not partitioned and _MISSING_PARTITION in str(exc):
                _ensure_staged_days(cursor)
                partitioned = True
            else:
                raise


def _ensure_staged_days(cursor):
    from .partitions import cdr_partitions_ensure_sql

    cdr_partitions_ensure_sql(cursor, f"""
        SELECT DISTINCT (date_trunc('day', t, 'UTC') AT TIME ZONE 'UTC')::date AS day
        FROM (SELECT cx_parse_timestamptz(start_time::text) AS t FROM cdr_stage) s
        WHERE t >= '{CDR_EARLIEST.isoformat()}' AND t <= {_LATEST_SQL}
          AND t >= coalesce({_RETAINED_FROM_SQL}, '-infinity')""")


def _check_customers_kept(cursor):
    """The ledger posting has locked every customer that got CDRs (FOR NO KEY UPDATE); one deleted
    after this import read it would be missing now. Stands in for a per-row foreign key check."""
    cursor.execute("SELECT count(*) FROM (SELECT DISTINCT customer_id FROM cdr_new_charges) n "
                   "WHERE NOT EXISTS (SELECT 1 FROM customers_customer c WHERE c.id = n.customer_id)")
    if cursor.fetchone()[0]:
        raise CdrImportError("A customer of this file was deleted while it was imported; nothing was imported.")


def _debit_new_charges(cursor, import_record):
    """Post the charges of the new CDRs to the ledger: one entry per customer, spend per call day."""
    from ledger.services import ledger_post_call_charges

    ledger_post_call_charges(cursor=cursor, table="cdr_new_charges", source=import_record)


def cdr_import_records(*, records: list[dict], origin: str = CdrImport.Origin.API) -> CdrImportResult:
    """The same import for a list of dicts keyed by the CSV column names (the JSON API)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CDR_COLUMNS)
    for record in records:
        if not isinstance(record, dict):
            raise CdrImportError("Each record must be a JSON object.")
        writer.writerow(["" if record.get(name) is None else str(record.get(name)) for name in CDR_COLUMNS])
    return cdr_import(stream=io.BytesIO(buffer.getvalue().encode()), origin=origin)


def _queue_hours(cursor, hours_sql, params=None):
    """Mark hours for the rollup. The upsert locks each row: see PendingRollupHour."""
    cursor.execute(f"INSERT INTO {PENDING_TABLE} (hour) SELECT hour FROM ({hours_sql}) h ORDER BY hour "
                   "ON CONFLICT (hour) DO UPDATE SET marked = now()", params)


_ROLLUP_TEMPLATE = f"""
WITH agg AS MATERIALIZED (
  SELECT customer_id, date_trunc('hour', start_time, 'UTC') AS hour, destination, count(*) AS attempts,
         count(answer_time) AS answered, sum(duration) AS duration, sum(billed_duration) AS billed_duration,
         sum(pdd_ms) AS pdd_ms_total, sum(charge) AS charge, sum(cost) AS cost
  FROM {CDR_TABLE}
  WHERE start_time >= %(low)s AND start_time < %(high)s {{hour_filter}}
  GROUP BY 1, 2, 3
), written AS (
  INSERT INTO summaries_hourlysummary AS s (customer_id, hour, destination, attempts, answered, duration,
                                            billed_duration, pdd_ms_total, charge, cost)
  SELECT * FROM agg
  ON CONFLICT (customer_id, hour, destination) DO UPDATE SET
    attempts = EXCLUDED.attempts, answered = EXCLUDED.answered, duration = EXCLUDED.duration,
    billed_duration = EXCLUDED.billed_duration, pdd_ms_total = EXCLUDED.pdd_ms_total,
    charge = EXCLUDED.charge, cost = EXCLUDED.cost
  WHERE (s.attempts, s.answered, s.duration, s.billed_duration, s.pdd_ms_total, s.charge, s.cost)
        IS DISTINCT FROM (EXCLUDED.attempts, EXCLUDED.answered, EXCLUDED.duration, EXCLUDED.billed_duration,
                          EXCLUDED.pdd_ms_total, EXCLUDED.charge, EXCLUDED.cost)
  RETURNING s.customer_id, s.hour
), gone AS (
  DELETE FROM summaries_hourlysummary s
  WHERE s.hour = ANY(%(hours)s) AND NOT EXISTS (
    SELECT 1 FROM agg WHERE agg.customer_id = s.customer_id AND agg.hour = s.hour AND agg.destination = s.destination)
  RETURNING s.customer_id, s.hour
)
INSERT INTO rollup_changed (customer_id, day)
SELECT DISTINCT customer_id, date_trunc('day', hour, 'UTC') FROM (SELECT * FROM written UNION ALL SELECT * FROM gone) c
"""
# Claimed hours are usually contiguous, and then the time range alone selects them.
_ROLLUP_SQL = {
    True: _ROLLUP_TEMPLATE.replace("{hour_filter}", ""),
    False: _ROLLUP_TEMPLATE.replace("{hour_filter}", "AND date_trunc('hour', start_time, 'UTC') = ANY(%(hours)s)"),
}


def summary_rollup_hours(*, hours: list[datetime], cursor):
    """Replace the summaries of these whole UTC hours with the sums over their CDRs, noting in
    rollup_changed which (customer, day) pairs changed. Only rows whose sums differ are written.

    Callers must hold the hours' claims (summary_rollup_pending does) or run alone.
    """
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS rollup_changed (customer_id bigint, day timestamptz) "
                   "ON COMMIT DELETE ROWS; DELETE FROM rollup_changed")
    if not hours:
        return
    low, high = min(hours), max(hours) + timedelta(hours=1)
    contiguous = len(set(hours)) == (high - low) // timedelta(hours=1)
    cursor.execute(_ROLLUP_SQL[contiguous], {"hours": hours, "low": low, "high": high})


_DAILY_SQL = """
WITH pairs AS (SELECT DISTINCT customer_id, day FROM rollup_changed),
sums AS MATERIALIZED (
  SELECT p.customer_id, p.day, sum(h.attempts) AS attempts, sum(h.answered) AS answered,
         sum(h.duration) AS duration, sum(h.billed_duration) AS billed_duration,
         sum(h.pdd_ms_total) AS pdd_ms_total, sum(h.charge) AS charge, sum(h.cost) AS cost
  FROM pairs p
  JOIN summaries_hourlysummary h
    ON h.customer_id = p.customer_id AND h.hour >= p.day AND h.hour < p.day + interval '1 day'
  GROUP BY 1, 2
), written AS (
  INSERT INTO summaries_dailysummary AS s (customer_id, day, attempts, answered, duration, billed_duration,
                                           pdd_ms_total, charge, cost)
  SELECT * FROM sums
  ON CONFLICT (customer_id, day) DO UPDATE SET
    attempts = EXCLUDED.attempts, answered = EXCLUDED.answered, duration = EXCLUDED.duration,
    billed_duration = EXCLUDED.billed_duration, pdd_ms_total = EXCLUDED.pdd_ms_total,
    charge = EXCLUDED.charge, cost = EXCLUDED.cost
)
DELETE FROM summaries_dailysummary d USING pairs p
WHERE d.customer_id = p.customer_id AND d.day = p.day
  AND NOT EXISTS (SELECT 1 FROM sums WHERE sums.customer_id = d.customer_id AND sums.day = d.day)
"""
DAY_LOCK = 60601  # advisory lock namespace: one lock per UTC day being re-summed


def summary_rollup_days(*, cursor):
    """Re-sum the daily rows of the (customer, day) pairs in rollup_changed from the hourly summaries.

    Two runs that changed hours of one day serialise on the day's advisory lock, so the second
    re-sums after the first has committed and its statement sees both runs' hours.
    """
    cursor.execute("SELECT DISTINCT day FROM rollup_changed ORDER BY day")
    days = [row[0] for row in cursor.fetchall()]
    for day in days:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DAY_LOCK, day.toordinal()])
    if days:
        cursor.execute(_DAILY_SQL)


@transaction.atomic
def summary_resum_days(*, customer_ids, hours, cursor):
    """Re-sum the days containing these hours for these customers (summaries written by hand)."""
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS rollup_changed (customer_id bigint, day timestamptz) "
                   "ON COMMIT DELETE ROWS; DELETE FROM rollup_changed")
    cursor.execute("INSERT INTO rollup_changed SELECT c, date_trunc('day', h, 'UTC') "
                   "FROM unnest(%s::bigint[]) c, unnest(%s::timestamptz[]) h", [list(customer_ids), list(hours)])
    summary_rollup_days(cursor=cursor)


SET_ASIDE_TABLE = SetAsideRollupHour._meta.db_table
# Errors that come from the data of an hour (overflow, bad values, a refused row), as opposed to
# the database being unreachable: only these set an hour aside.
_HOUR_ERRORS = (DataError, IntegrityError, ArithmeticError, ValueError)


def _set_aside(cursor, hours_sql, error, params=None):
    cursor.execute(
        f"WITH moved AS (DELETE FROM {PENDING_TABLE} WHERE hour IN ({hours_sql}) RETURNING hour) "
        f"INSERT INTO {SET_ASIDE_TABLE} (hour, error, set_aside_at) SELECT hour, %(error)s, now() FROM moved "
        "ON CONFLICT (hour) DO UPDATE SET error = EXCLUDED.error, set_aside_at = EXCLUDED.set_aside_at",
        {**(params or {}), "error": error})


def _roll(cursor, hours):
    summary_rollup_hours(hours=hours, cursor=cursor)
    summary_rollup_days(cursor=cursor)
    cursor.execute(f"DELETE FROM {PENDING_TABLE} WHERE hour = ANY(%s)", [hours])
    cursor.execute(f"DELETE FROM {SET_ASIDE_TABLE} WHERE hour = ANY(%s)", [hours])


def summary_rollup_pending(*, low: datetime | None = None, high: datetime | None = None,
                           batch_hours: int = ROLLUP_BATCH_HOURS,
                           on_batch: Callable[[int], None] | None = None) -> int:
    """Recompute every queued hour (optionally only those in [low, high)); returns hours done.

    Each batch claims its hours with FOR UPDATE SKIP LOCKED and commits the recomputed summaries
    together with the removal of the claims, so parallel runs share the work and a run killed
    halfway leaves its hours queued for the next one. A batch that fails on its data is redone
    hour by hour, and an hour that fails alone is set aside with its error (SetAsideRollupHour)
    so every other hour still rolls. Hours outside the window CDRs may fall in are set aside
    before anything reads them.
    """
    done = 0
    where, params = [], {"earliest": CDR_EARLIEST}
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
            # Claimed hours stay in SQL until the window check: a poisoned one may not even fit a
            # Python datetime.
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS rollup_claimed (hour timestamptz) "
                           "ON COMMIT DELETE ROWS; DELETE FROM rollup_claimed")
            cursor.execute(f"WITH c AS ({claim}) INSERT INTO rollup_claimed SELECT hour FROM c", params)
            if not cursor.rowcount:
                return done
            _set_aside(cursor, f"SELECT hour FROM rollup_claimed WHERE hour < %(earliest)s OR hour > {_LATEST_SQL}",
                       f"Hour outside {CDR_EARLIEST:%Y-%m-%d} to one day from now: no CDR may start there.",
                       params)
            # Its raw CDRs were dropped: recomputing would erase the summaries that are now the record.
            _set_aside(cursor, f"SELECT hour FROM rollup_claimed WHERE hour < {_RETAINED_FROM_SQL}",
                       "Raw CDRs of this hour were removed by the retention setting; its summaries are kept "
                       "as they were.", params)
            cursor.execute(f"SELECT r.hour FROM rollup_claimed r JOIN {PENDING_TABLE} p USING (hour) ORDER BY 1")
            hours = [row[0] for row in cursor.fetchall()]
            rolled = len(hours)
            if hours:
                try:
                    with transaction.atomic():
                        _roll(cursor, hours)
                except _HOUR_ERRORS:
                    for hour in hours:
                        try:
                            with transaction.atomic():
                                _roll(cursor, [hour])
                        except _HOUR_ERRORS as exc:
                            logger.warning("Rollup set aside %s: %s", hour, exc)
                            _set_aside(cursor, "%(hour)s", _error_text(exc), {"hour": hour})
                            rolled -= 1
        done += rolled
        if on_batch:
            on_batch(rolled)


def _error_text(exc):
    cause = exc.__cause__ if isinstance(exc, DataError | IntegrityError) and exc.__cause__ else exc
    message = getattr(getattr(cause, "diag", None), "message_primary", None) or str(exc)
    return f"{exc.__class__.__name__}: {message}"


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
