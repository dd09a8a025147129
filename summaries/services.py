"""CDR ingest and the hourly rollup.

An import checks each row in Python as the file streams past (summaries.cdr_rows) and COPYs the
valid rows straight into the CDR table; a rollup recomputes whole hours in SQL with INSERT …
SELECT … GROUP BY … ON CONFLICT DO UPDATE, so the summaries always equal the sums over their CDRs.
"""

import codecs
import csv
import io
import logging
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import psycopg
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from .cdr_rows import CDR_FUTURE_TOLERANCE, OPTIONAL_COLUMNS, cdr_row_checker
from .models import (
    CDR_EARLIEST,
    CallDetailRecord,
    CdrCallId,
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

    def as_dict(self):
        return {"rows": self.rows, "inserted": self.inserted, "duplicates": self.duplicates,
                "rejected": self.rejected, "charged": str(self.charged),
                "rejects": [{"row": row, "call_id": call_id, "reason": reason}
                            for row, call_id, reason in self.rejects]}


# Every row is checked in Python (summaries.cdr_rows, the one definition of a row's rules) while the
# file streams past, and the valid rows that carry their charge are COPYed straight into the CDR
# table: no staging copy of the file, no second pass in SQL. Rows that come without a charge are
# checked the same way and staged (typed, already valid) for the set-based rating in SQL.
_LATEST_SQL = f"now() + interval '{CDR_FUTURE_TOLERANCE.days} days'"
# The first UTC day whose raw CDRs are kept (see summaries.partitions); NULL when none were removed.
_RETAINED_FROM_SQL = ("(SELECT dropped_before::timestamp AT TIME ZONE 'UTC' FROM summaries_cdrretentionoptions "
                      "WHERE id = 1)")

_COPY_COLUMNS = ("id", "call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                 "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost",
                 "imported_at")
_RATE_STAGE_COLUMNS = ("row_no", "call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                       "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "cost")
_RATE_STAGE_TYPES = ("bigint", "text", "bigint", "timestamptz", "timestamptz", "timestamptz", "int", "int", "text",
                     "text", "text", "smallint", "int", "numeric")
_INSERT_COLUMNS = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                   "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost",
                   "rate_card_id", "rate_revision_id", "rate_prefix", "rate")
_SPECIAL = re.compile(r"[\\\t\n\r]")  # what COPY's text format escapes


def _copy_text(value):
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _priced_select(checked):
    """The staged rows with a charge for each (see routing.rating): billed_duration, destination and
    what priced the call come from the rating, and a row that cannot be priced is rejected with the
    reason."""
    from routing.rating import rating_lateral

    return f"""SELECT c.row_no, c.raw_call_id, c.call_id, c.customer_id, c.start_time, c.answer_time, c.end_time,
         c.duration, coalesce(rating.rated_billed, c.billed_duration) AS billed_duration, c.cli, c.dialed_number,
         CASE WHEN coalesce(rating.rate_name, '') <> '' AND rating.rating_problem IS NULL THEN rating.rate_name
              ELSE c.destination END AS destination,
         c.sip_code, c.pdd_ms, coalesce(c.charge, rating.rated_charge) AS charge, c.cost,
         rating.rate_card_id, rating.rate_revision_id, coalesce(rating.rate_prefix, '') AS rate_prefix, rating.rate,
         concat_ws('; ', nullif(c.reason, ''), rating.rating_problem) AS reason
  FROM {checked} c {rating_lateral("c")}"""


# The rows without a charge: priced, then stored like the others. It keeps the priced rows
# (MATERIALIZED) for its several readers, skips call_ids already there (stored before, by the rows
# with charges of this file, or earlier among these rows) and stores the CDRs whose call_id went in.
_RATED_IMPORT = f"""
WITH priced AS MATERIALIZED (
  SELECT p.*, CASE WHEN p.reason = '' THEN nextval('{CDR_TABLE}_id_seq') END AS cdr_id
  FROM ({_priced_select("(SELECT s.*, s.call_id AS raw_call_id, NULL::numeric AS charge, '' AS reason "
                        "FROM cdr_rate_stage s)")}) p
), rejected AS (
  INSERT INTO cdr_rejects (row_no, call_id, reason)
  SELECT row_no, raw_call_id, reason FROM priced WHERE reason <> ''
), fresh AS (
  INSERT INTO {CALL_ID_TABLE} (call_id, start_time, cdr_id)
  SELECT call_id, start_time, cdr_id FROM priced WHERE reason = '' ORDER BY row_no
  ON CONFLICT (call_id) DO NOTHING
  RETURNING cdr_id
), inserted AS (
  INSERT INTO {CDR_TABLE} (id, {", ".join(_INSERT_COLUMNS)}, imported_at)
  SELECT p.cdr_id, {", ".join("p." + name for name in _INSERT_COLUMNS)}, now()
  FROM priced p JOIN fresh f ON f.cdr_id = p.cdr_id
  RETURNING customer_id, start_time, charge
), by_customer AS (
  INSERT INTO cdr_new_charges (customer_id, day, charge, calls)
  SELECT customer_id, date_trunc('day', start_time, 'UTC')::date, sum(charge), count(*) FROM inserted GROUP BY 1, 2
), by_hour AS (
  INSERT INTO cdr_new_hours (hour) SELECT DISTINCT date_trunc('hour', start_time, 'UTC') FROM inserted
)
SELECT (SELECT count(*) FILTER (WHERE reason = '') FROM priced), (SELECT count(*) FROM inserted),
       (SELECT coalesce(sum(charge), 0) FROM inserted)
"""

# The call_ids of a file that met stored ones (or repeat within it): the first of each goes in, in
# file order (ids follow the file), and the ids of the rows left out come back.
_DEDUPE = f"""
WITH fresh AS (
  INSERT INTO {CALL_ID_TABLE} (call_id, start_time, cdr_id)
  SELECT call_id, start_time, cdr_id FROM cdr_ids ORDER BY cdr_id
  ON CONFLICT (call_id) DO NOTHING
  RETURNING cdr_id
)
SELECT i.cdr_id FROM cdr_ids i LEFT JOIN fresh f ON f.cdr_id = i.cdr_id WHERE f.cdr_id IS NULL
"""

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


class _UnusualCsv(Exception):
    """The file needs PostgreSQL's own CSV reading (a quote inside a cell, a row of another width,
    bytes that are not UTF-8, a NUL): it is staged by COPY, as before, and read back."""


class _NeedsCare(Exception):
    """A call_id met a stored one (or repeats), or a row reaches a day without a partition."""


def _python_rows(stream, data_start, width, progress):
    """(row number, cells) of each data row, read by Python's csv module; row 1 is the header.

    Only files PostgreSQL's COPY would read the same way pass: anything else raises _UnusualCsv."""
    stream.seek(data_start)
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="strict", newline="")
    reported = data_start
    try:
        row_no = 1
        for cells in csv.reader(text):
            row_no += 1
            if len(cells) != width:
                raise _UnusualCsv
            for value in cells:
                if '"' in value or "\x00" in value:
                    raise _UnusualCsv
            if progress and not row_no % 8192:
                position = stream.tell()
                progress(position - reported)
                reported = position
            yield row_no, cells
        if progress:
            position = stream.tell()
            progress(position - reported)
    except (UnicodeDecodeError, csv.Error):
        raise _UnusualCsv
    finally:
        text.detach()


def _staged_rows(cursor, stream, data_start, names):
    """The same rows as PostgreSQL's COPY reads them (staged as text, then read back)."""
    stream.seek(data_start)
    cursor.execute(
        "DROP TABLE IF EXISTS cdr_stage;"
        "CREATE TEMP TABLE cdr_stage (row_no bigint GENERATED ALWAYS AS IDENTITY (START 2), "
        + ", ".join(f"{name} text" for name in CDR_COLUMNS) + ") ON COMMIT DROP")
    try:
        with transaction.atomic():
            # FORCE_NULL: a quoted empty cell is no value, as an unquoted one already is.
            with cursor.cursor.copy(f"COPY cdr_stage ({', '.join(names)}) FROM STDIN "
                                    f"(FORMAT csv, FORCE_NULL ({', '.join(names)}))") as copy:
                while chunk := stream.read(COPY_CHUNK):
                    copy.write(chunk)
    except psycopg.DataError as exc:
        raise _copy_error(exc) from exc
    rows = []
    with cursor.cursor.copy(f"COPY (SELECT row_no, {', '.join(names)} FROM cdr_stage ORDER BY row_no) "
                            "TO STDOUT") as copy:
        for row in copy.rows():
            rows.append((int(row[0]), ["" if value is None else value for value in row[1:]]))
    cursor.execute("DROP TABLE cdr_stage")
    return rows


def _reserve_ids(cursor, count):
    """`count` ids from the CDR sequence, in one statement: a range when no other writer took one
    meanwhile (the usual case), else the list."""
    draw = f"SELECT nextval('{CDR_TABLE}_id_seq') AS v FROM generate_series(1, %s)"
    cursor.execute(f"SELECT min(v), max(v), count(*) FROM ({draw}) s", [count])
    low, high, drawn = cursor.fetchone()
    if not drawn or high - low + 1 == drawn:
        return range(low or 0, (high or -1) + 1)
    cursor.execute(draw, [count])
    return [value for (value,) in cursor.fetchall()]


@dataclass
class _Pass:
    """What one reading of the file found."""
    rows: int = 0
    rejects: list = field(default_factory=list)
    rated: list = field(default_factory=list)
    call_ids: object = None  # a spooled file of COPY lines: call_id, start_time, cdr_id
    days: set = field(default_factory=set)
    valid: int = 0


class _Loader:
    """One import's reading of its rows: check each, write the valid ones with charges to COPY."""

    def __init__(self, cursor, check, now_text):
        self.cursor, self.check, self.now_text = cursor, check, now_text

    def scan(self, rows, ids, found, *, skip=frozenset(), write=None, sums=None, hours=None):
        """Check every row; the valid ones with a charge get the next id and, unless their id is in
        `skip`, a CDR line for `write` and their charge and hour in `sums`/`hours`."""
        check, now_text, null = self.check, self.now_text, "\\N"
        next_id = iter(ids).__next__
        block = []
        call_ids = found.call_ids
        for row_no, cells in rows:
            found.rows += 1
            reasons, values = check(cells)
            if reasons:
                found.rejects.append((row_no, values, "; ".join(reasons)))
                continue
            (call_id, customer, (start_text, start), (answer_text, _), (end_text, _), duration, billed, cli,
             dialed, destination, sip, pdd, charge, cost) = values
            if charge is None:
                found.rated.append((row_no, values))
                continue
            cdr_id = next_id()
            found.valid += 1
            if _SPECIAL.search(call_id) or _SPECIAL.search(cli) or _SPECIAL.search(destination):
                call_id, cli, destination = _copy_text(call_id), _copy_text(cli), _copy_text(destination)
            if call_ids is not None:
                call_ids.write(f"{call_id}\t{start_text}\t{cdr_id}\n")
                found.days.add(start.astimezone(UTC).date())
            if write is None or cdr_id in skip:
                continue
            block.append(f"{cdr_id}\t{call_id}\t{customer}\t{start_text}\t{answer_text or null}\t{end_text}\t"
                         f"{duration}\t{billed}\t{cli}\t{dialed}\t{destination}\t{sip}\t{pdd}\t{charge}\t{cost}\t"
                         f"{now_text}\n")
            hour = int(start.timestamp() // 3600)
            hours.add(hour)
            sums[(customer, hour // 24)].append(charge)
            if len(block) >= 4096:
                write("".join(block))
                block = []
        if block:
            write("".join(block))

    def copy_cdrs(self, rows, ids, found, sums, hours, skip=frozenset()):
        with self.cursor.cursor.copy(f"COPY {CDR_TABLE} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            self.scan(rows, ids, found, skip=skip, write=copy.write, sums=sums, hours=hours)


def _spooled_text():
    return tempfile.SpooledTemporaryFile(max_size=COPY_CHUNK * 16, mode="w+", encoding="utf-8", newline="")


def _copy_file(cursor, sql, spooled):
    spooled.seek(0)
    with cursor.cursor.copy(sql) as copy:
        while chunk := spooled.read(COPY_CHUNK):
            copy.write(chunk)


def _load(cursor, loader, rows, count):
    """Store the valid rows with charges; returns (what the reading found, inserted, sums, hours).

    Optimistic first: the CDRs stream into their table while the file is read, then their call_ids
    go into the dedupe table, which refuses a call_id seen before (or repeated in the file), and a
    CDR on a day without a partition is refused by the table. Either undoes this attempt, and the
    careful way runs: read the rows once to learn their call_ids and days, create the missing
    partitions, let the dedupe table say which call_ids are new, then COPY only those rows.
    """
    ids = _reserve_ids(cursor, count)
    found, sums, hours = _Pass(call_ids=_spooled_text()), defaultdict(list), set()
    try:
        with transaction.atomic():
            loader.copy_cdrs(rows(), ids, found, sums, hours)
            try:
                _copy_file(cursor, f"COPY {CALL_ID_TABLE} (call_id, start_time, cdr_id) FROM STDIN", found.call_ids)
            except psycopg.errors.UniqueViolation:
                raise _NeedsCare
        return found, found.valid, sums, hours
    except psycopg.errors.CheckViolation as exc:
        if _MISSING_PARTITION not in str(exc):
            raise
    except _NeedsCare:
        pass
    from .partitions import cdr_partitions_ensure

    found = _Pass(call_ids=_spooled_text())
    loader.scan(rows(), ids, found)
    cdr_partitions_ensure(days=found.days | {start.astimezone(UTC).date() for _, (_, _, (_, start), *_) in found.rated})
    cursor.execute("CREATE TEMP TABLE cdr_ids (call_id text, start_time timestamptz, cdr_id bigint) ON COMMIT DROP")
    _copy_file(cursor, "COPY cdr_ids FROM STDIN", found.call_ids)
    cursor.execute(_DEDUPE)
    skip = {cdr_id for (cdr_id,) in cursor.fetchall()}
    cursor.execute("DROP TABLE cdr_ids")
    sums, hours = defaultdict(list), set()
    loader.copy_cdrs(rows(), ids, _Pass(), sums, hours, skip=skip)
    return found, found.valid - len(skip), sums, hours


def _load_rated(cursor, rated):
    """Stage the valid rows without a charge and price and store them in SQL; returns
    (valid, inserted, charged)."""
    from .partitions import cdr_partitions_ensure

    cursor.execute("CREATE TEMP TABLE cdr_rate_stage ("
                   + ", ".join(f"{name} {kind}" for name, kind in zip(_RATE_STAGE_COLUMNS, _RATE_STAGE_TYPES, strict=True))
                   + ") ON COMMIT DROP")
    with cursor.cursor.copy(f"COPY cdr_rate_stage ({', '.join(_RATE_STAGE_COLUMNS)}) FROM STDIN") as copy:
        for row_no, (call_id, customer, start, answer, end, duration, billed, cli, dialed, destination, sip, pdd,
                     _, cost) in rated:
            copy.write_row((row_no, call_id, customer, start[0], answer[0], end[0], duration, billed, cli, dialed,
                            destination, sip, pdd, cost))
    cdr_partitions_ensure(days={start.astimezone(UTC).date() for _, (_, _, (_, start), *_) in rated})
    cursor.execute(_RATED_IMPORT)
    valid, inserted, charged = cursor.fetchone()
    cursor.execute("DROP TABLE cdr_rate_stage")
    return valid, inserted, charged


def _write_sums(cursor, sums, hours, *, merge):
    """The new CDRs' charges per customer and UTC day, and their hours, for the ledger and rollup."""
    with cursor.cursor.copy("COPY cdr_new_charges (customer_id, day, charge, calls) FROM STDIN") as copy:
        for (customer, day), charges in sums.items():
            copy.write_row((customer, date.fromordinal(_EPOCH_ORDINAL + day), sum(map(Decimal, charges)),
                            len(charges)))
    with cursor.cursor.copy("COPY cdr_new_hours (hour) FROM STDIN") as copy:
        for hour in hours:
            copy.write_row((_EPOCH + timedelta(hours=hour),))
    if merge:  # the rated rows wrote theirs too: one row per customer and day for the posting
        cursor.execute("WITH old AS (DELETE FROM cdr_new_charges RETURNING *) "
                       "INSERT INTO cdr_new_charges SELECT customer_id, day, sum(charge), sum(calls) FROM old "
                       "GROUP BY 1, 2")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_MISSING_PARTITION = "no partition of relation"


def _record_count(stream, data_start):
    """At least the number of data rows (line ends after the header), for reserving ids."""
    stream.seek(data_start)
    newlines = returns = 0
    while chunk := stream.read(COPY_CHUNK):
        newlines += chunk.count(b"\n")
        returns += chunk.count(b"\r")
    return max(newlines, returns) + 1


@transaction.atomic
def cdr_import(*, stream, progress: Callable[[int], None] | None = None) -> CdrImportResult:
    """Load CDRs from a CSV stream (bytes): new call_ids are stored, seen ones skipped, bad rows
    returned as rejects; the charges of the new CDRs are posted to each customer's ledger and the
    hours they fall in are queued for the rollup, all in this one transaction.
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
        # JIT would spend seconds compiling the rating statement for every file, small or large.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            "CREATE TEMP TABLE cdr_rejects (row_no bigint, call_id text, reason text) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_charges (customer_id bigint, day date, charge numeric, calls bigint) ON COMMIT DROP;"
            "CREATE TEMP TABLE cdr_new_hours (hour timestamptz) ON COMMIT DROP;")
        cursor.execute(f"SELECT now(), now()::text, {_RETAINED_FROM_SQL}")
        now, now_text, retained_from = cursor.fetchone()
        cursor.execute("SELECT id FROM customers_customer")
        customers = {customer for (customer,) in cursor.fetchall()}
        loader = _Loader(cursor, cdr_row_checker(names=names, customers=customers, now=now,
                                                 retained_from=retained_from), now_text)
        count = _record_count(stream, data_start)
        try:
            with transaction.atomic():
                found, inserted, sums, hours = _load(
                    cursor, loader, lambda: _python_rows(stream, data_start, len(names), progress), count)
        except _UnusualCsv:
            staged = _staged_rows(cursor, stream, data_start, names)
            found, inserted, sums, hours = _load(cursor, loader, lambda: iter(staged), len(staged) + 1)
        valid = found.valid
        rated_charged = Decimal("0")
        if found.rated:
            rated_valid, rated_inserted, rated_charged = _load_rated(cursor, found.rated)
            valid += rated_valid
            inserted += rated_inserted
        _write_sums(cursor, sums, hours, merge=bool(found.rated))
        with cursor.cursor.copy("COPY cdr_rejects (row_no, call_id, reason) FROM STDIN") as copy:
            for reject in found.rejects:
                copy.write_row(reject)
        charged = sum((sum(map(Decimal, charges)) for charges in sums.values()), Decimal("0")) + rated_charged
        if inserted:  # charges taken off the new CDRs by registered hooks (packages' free minutes)
            charged -= _rating_hooks(cursor)
        try:
            with transaction.atomic():
                _debit_new_charges(cursor)
        except DataError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != "22003":  # numeric value out of range
                raise
            raise CdrImportError("These charges would take a customer's balance beyond what it can hold; "
                                 "nothing was imported.")
        _check_customers_kept(cursor)
        _queue_hours(cursor, "SELECT DISTINCT hour FROM cdr_new_hours")
        cursor.execute("SELECT row_no, call_id, reason FROM cdr_rejects ORDER BY row_no")
        result.rejects = [tuple(row) for row in cursor.fetchall()]
        cursor.execute("DROP TABLE cdr_rejects, cdr_new_charges, cdr_new_hours")
    result.rows, result.inserted, result.charged = found.rows, inserted, Decimal(charged)
    result.duplicates = valid - inserted
    result.rejected = found.rows - valid
    return result


def _rating_hooks(cursor):
    from connex.registry import registry

    return sum((hook(cursor) for hook in registry.rating_hooks["import"]), Decimal("0"))


def _check_customers_kept(cursor):
    """The ledger posting has locked every customer that got CDRs (FOR NO KEY UPDATE); one deleted
    after this import read it would be missing now. Stands in for a per-row foreign key check."""
    cursor.execute("SELECT count(*) FROM (SELECT DISTINCT customer_id FROM cdr_new_charges) n "
                   "WHERE NOT EXISTS (SELECT 1 FROM customers_customer c WHERE c.id = n.customer_id)")
    if cursor.fetchone()[0]:
        raise CdrImportError("A customer of this file was deleted while it was imported; nothing was imported.")


def _debit_new_charges(cursor):
    """Post the charges of the new CDRs to the ledger: one entry per customer, spend per call day."""
    from ledger.services import ledger_post_call_charges

    ledger_post_call_charges(cursor=cursor, table="cdr_new_charges", description="Call charges (CDR import)")


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
