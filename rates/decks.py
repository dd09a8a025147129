"""Rate decks in and out: a CSV or XLSX file streamed through COPY, checked, compared with the current
revision, and stored as a new revision in one transaction. A plainly written deck is copied straight
into its revision's rows; any other goes through a staging table and is checked in SQL, where a bad
row is named with its reason.

Python only moves bytes: no deck is ever held in memory as rows, so a 250,000-row deck costs what
a 1,000-row one does in Python memory.
"""

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from connex.exports import csv_cell

from .models import RateCard, RateRevision, RateRow

DECK_COLUMNS = ("prefix", "name", "rate", "connect_fee", "mcd", "pulse", "grace", "blocked")
REQUIRED_COLUMNS = ("prefix", "rate")
ALIASES = {"destination": "name", "connect": "connect_fee", "connection_fee": "connect_fee"}
COPY_CHUNK = 1 << 20
ERRORS_KEPT = 200
ROW_TABLE = RateRow._meta.db_table


class DeckError(Exception):
    """The file as a whole cannot be read (header, encoding, CSV structure); nothing was stored."""


@dataclass
class DeckResult:
    rows: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)  # [{"row", "prefix", "reason"}], the header is row 1
    revision: RateRevision | None = None

    @property
    def ok(self):
        return self.error_count == 0

    def as_dict(self):
        return {"rows": self.rows, "added": self.added, "changed": self.changed, "removed": self.removed,
                "error_count": self.error_count, "errors": self.errors,
                "revision": self.revision.pk if self.revision else None}


_INT = r"'^[0-9]{1,9}$'"
_MONEY = r"'^[0-9]{1,8}(\.[0-9]{1,6})?$'"

_CHECK_SQL = rf"""
CREATE TEMP TABLE rate_checked ON COMMIT DROP AS
WITH parsed AS (
  SELECT row_no, prefix AS raw_prefix,
         (CASE WHEN prefix ~ '^\+?[0-9]{{1,20}}$' THEN ltrim(prefix, '+') END) COLLATE "C" AS prefix,
         coalesce(name, '') AS name,
         CASE WHEN rate ~ {_MONEY} THEN rate::numeric(14, 6) END AS rate,
         CASE WHEN connect_fee IS NULL THEN 0 WHEN connect_fee ~ {_MONEY} THEN connect_fee::numeric(14, 6) END
           AS connect_fee,
         CASE WHEN mcd IS NULL THEN 0 WHEN mcd ~ {_INT} THEN mcd::int END AS mcd,
         CASE WHEN pulse IS NULL THEN 1 WHEN pulse ~ {_INT} THEN nullif(pulse::int, 0) END AS pulse,
         CASE WHEN grace IS NULL THEN 0 WHEN grace ~ {_INT} THEN grace::int END AS grace,
         CASE WHEN blocked IS NULL OR lower(blocked) IN ('0', 'false', 'no', 'n', 'f') THEN false
              WHEN lower(blocked) IN ('1', 'true', 'yes', 'y', 't') THEN true END AS blocked,
         blocked AS raw_blocked, rate AS raw_rate, connect_fee AS raw_connect, mcd AS raw_mcd, pulse AS raw_pulse,
         grace AS raw_grace
  FROM rate_stage
), ranked AS (
  SELECT p.*, min(row_no) OVER (PARTITION BY prefix) AS first_row FROM parsed p
)
SELECT row_no, raw_prefix, prefix, name, rate, connect_fee, mcd, pulse, grace, blocked, concat_ws('; ',
  CASE WHEN raw_prefix IS NULL THEN 'missing prefix' WHEN prefix IS NULL THEN 'bad prefix (digits only, up to 20)'
       WHEN first_row <> row_no THEN 'prefix repeated (first on row ' || first_row || ')' END,
  CASE WHEN length(name) > 120 THEN 'name longer than 120 characters' END,
  CASE WHEN raw_rate IS NULL THEN 'missing rate' WHEN raw_rate ~ '^-' THEN 'negative rate'
       WHEN rate IS NULL THEN 'bad rate (a number, up to 6 decimal places)' END,
  CASE WHEN connect_fee IS NULL THEN 'bad connect_fee (a number ≥ 0, up to 6 decimal places)' END,
  CASE WHEN mcd IS NULL THEN 'bad mcd (whole seconds ≥ 0)' END,
  CASE WHEN pulse IS NULL THEN 'bad pulse (whole seconds ≥ 1)' END,
  CASE WHEN grace IS NULL THEN 'bad grace (whole seconds ≥ 0)' END,
  CASE WHEN blocked IS NULL THEN 'bad blocked (true/false, yes/no or 1/0)' END
) AS reason
FROM ranked
"""

_COUNTS_SQL = f"""
SELECT count(*) FILTER (WHERE cur.prefix IS NULL),
       count(*) FILTER (WHERE cur.prefix IS NOT NULL AND (s.name, s.rate, s.connect_fee, s.mcd, s.pulse, s.grace,
                        s.blocked) IS DISTINCT FROM (cur.name, cur.rate, cur.connect_fee, cur.mcd, cur.pulse,
                        cur.grace, cur.blocked)),
       (SELECT count(*) FROM {ROW_TABLE} old WHERE old.revision_id = %(current)s
          AND NOT EXISTS (SELECT 1 FROM rate_checked n WHERE n.prefix = old.prefix))
FROM rate_checked s
LEFT JOIN {ROW_TABLE} cur ON cur.revision_id = %(current)s AND cur.prefix = s.prefix
"""

_INSERT_SQL = f"""
INSERT INTO {ROW_TABLE} (revision_id, prefix, name, rate, connect_fee, mcd, pulse, grace, blocked)
SELECT %s, prefix, name, rate, connect_fee, mcd, pulse, grace, blocked FROM rate_checked
"""


def _header(stream):
    first = stream.readline()
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DeckError("The file is not UTF-8 text (save the sheet as CSV UTF-8, or upload the .xlsx).")
    names = [ALIASES.get(name.strip().lower(), name.strip().lower()) for name in next(csv.reader([text]), [])]
    if not any(names):
        raise DeckError("The file is empty: a header row naming the columns is required.")
    problems = []
    if missing := [name for name in REQUIRED_COLUMNS if name not in names]:
        problems.append(f"missing columns: {', '.join(missing)}")
    if unknown := [name for name in names if name not in DECK_COLUMNS]:
        problems.append(f"unknown columns: {', '.join(unknown)} (known: {', '.join(DECK_COLUMNS)})")
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise DeckError(f"Header row: {'; '.join(problems)}.")
    return names


def _xlsx_cell_text(cell) -> str:
    """A cell as the text its user typed, so a workbook's values are checked as the same CSV's are."""
    if cell is None:
        return ""
    if isinstance(cell, float):
        # The shortest text that reads back as the stored float, in positional notation: 4e-07 stays
        # 0.0000004 (and is refused for its places) rather than being rounded to 0.
        text = format(Decimal(repr(cell)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(cell)


def xlsx_to_csv(stream):
    """The first sheet of a workbook as a CSV byte stream, read row by row (openpyxl read-only)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a damaged file
        raise DeckError(f"The workbook cannot be read ({exc.__class__.__name__}).")
    out = tempfile.SpooledTemporaryFile(max_size=COPY_CHUNK * 8)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    for row in book.worksheets[0].iter_rows(values_only=True):
        if row is None or all(cell in (None, "") for cell in row):
            continue
        writer.writerow([_xlsx_cell_text(cell) for cell in row])
    book.close()
    text.flush()
    text.detach()
    out.seek(0)
    return out


def deck_stream(upload, filename=""):
    """A seekable byte stream of CSV for an uploaded CSV or XLSX file."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return xlsx_to_csv(upload)
    if not upload.seekable():
        spooled = tempfile.SpooledTemporaryFile(max_size=COPY_CHUNK * 16)
        shutil.copyfileobj(upload, spooled)
        spooled.seek(0)
        return spooled
    return upload


def _copy_error(exc):
    match = re.search(r"line (\d+)", getattr(exc.diag, "context", "") or "")
    where = f"Row {int(match.group(1)) + 1}: " if match else ""
    message = (exc.diag.message_primary or str(exc)).replace("rate_stage", "the file")
    return DeckError(f"{where}{message}. The file is not valid CSV; nothing was stored.")


def _stage(cursor, stream, names, progress):
    cursor.execute("DROP TABLE IF EXISTS rate_stage, rate_checked;"
                   "CREATE TEMP TABLE rate_stage (row_no bigint GENERATED ALWAYS AS IDENTITY (START 2), "
                   + ", ".join(f"{name} text" for name in DECK_COLUMNS) + ") ON COMMIT DROP")
    try:
        with transaction.atomic(), cursor.cursor.copy(
                f"COPY rate_stage ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
            while chunk := stream.read(COPY_CHUNK):
                copy.write(chunk)
                if progress:
                    progress(len(chunk))
    except psycopg.DataError as exc:
        raise _copy_error(exc) from exc


def _trim_stage(cursor):
    cursor.execute("UPDATE rate_stage SET " + ", ".join(f"{n} = nullif(btrim({n}), '')" for n in DECK_COLUMNS)
                   + " WHERE " + " OR ".join(f"{n} <> btrim({n}) OR {n} = ''" for n in DECK_COLUMNS))


# The fast path, for a deck without a bad row: one scan of the staged text and no regular
# expression (their per-call cost was most of an upload). A value is taken when it reads back as
# written (`'0.05'::numeric::text = '0.05'`: no sign, exponent, blank or stray dot), then ranges and
# places as _CHECK_SQL has them; the prefix's digits are the rate row's own CHECK. A value that is
# not taken becomes NULL and breaks NOT NULL, a repeated prefix the unique index, text that is no
# number the cast: each ends the fast path and the deck is checked row by row (_CHECK_SQL) to say
# what is wrong where. The fast path may refuse more than the full check, never less.
_CAST = ("SELECT prefix, name, blocked, rate, connect_fee, mcd, pulse, grace, rate::numeric AS r, "
         "connect_fee::numeric AS c, mcd::int AS m, pulse::int AS p, grace::int AS g FROM rate_stage")
_TYPED = """CASE WHEN left(prefix, 2) <> '++' THEN ltrim(prefix, '+') END COLLATE "C" AS prefix,
  coalesce(btrim(name), '') AS name,
  CASE WHEN r::text = rate AND r < 1e8 AND scale(r) <= 6 THEN r END AS rate,
  CASE WHEN connect_fee IS NULL THEN 0 WHEN c::text = connect_fee AND c < 1e8 AND scale(c) <= 6 THEN c END
    AS connect_fee,
  CASE WHEN mcd IS NULL THEN 0 WHEN m::text = mcd AND m BETWEEN 0 AND 999999999 THEN m END AS mcd,
  CASE WHEN pulse IS NULL THEN 1 WHEN p::text = pulse AND p BETWEEN 1 AND 999999999 THEN p END AS pulse,
  CASE WHEN grace IS NULL THEN 0 WHEN g::text = grace AND g BETWEEN 0 AND 999999999 THEN g END AS grace,
  CASE WHEN blocked IS NULL OR lower(blocked) IN ('0', 'false', 'no', 'n', 'f') THEN false
       WHEN lower(blocked) IN ('1', 'true', 'yes', 'y', 't') THEN true END AS blocked"""
_FAST_INSERT_SQL = f"""
INSERT INTO {ROW_TABLE} (revision_id, prefix, name, rate, connect_fee, mcd, pulse, grace, blocked)
SELECT %s, {_TYPED} FROM ({_CAST}) t
"""
# Without an insert, the checks the table would make are made here.
_FAST_CHECK_SQL = f"""
SELECT count(*), count(*) FILTER (WHERE prefix IS NULL OR prefix !~ '^[0-9]{{1,20}}$' OR length(name) > 120
                                  OR rate IS NULL OR connect_fee IS NULL OR mcd IS NULL OR pulse IS NULL
                                  OR grace IS NULL OR blocked IS NULL),
       count(*) - count(DISTINCT prefix)
FROM (SELECT {_TYPED} FROM ({_CAST}) t) typed
"""
_FAST_COUNTS_SQL = f"""
SELECT count(o.prefix), count(o.prefix) FILTER (WHERE (n.name, n.rate, n.connect_fee, n.mcd, n.pulse, n.grace,
         n.blocked) IS DISTINCT FROM (o.name, o.rate, o.connect_fee, o.mcd, o.pulse, o.grace, o.blocked)),
       (SELECT count(*) FROM {ROW_TABLE} WHERE revision_id = %(current)s)
FROM {{new}} n JOIN {ROW_TABLE} o ON o.revision_id = %(current)s AND o.prefix = n.prefix
"""


def _fast_counts(cursor, result, current, new_rows_sql, params=None):
    """Added, changed and removed prefixes against the current revision (matched through its index)."""
    if current is None:
        result.added = result.rows
        return
    cursor.execute(_FAST_COUNTS_SQL.replace("{new}", new_rows_sql), {"current": current.pk, **(params or {})})
    matched, result.changed, current_rows = cursor.fetchone()
    result.added, result.removed = result.rows - matched, current_rows - matched


def _fast_path(cursor, *, card, live_from, current, source, user, dry_run) -> DeckResult | None:
    """The deck checked (and stored unless dry_run) in one pass; None when any row needs a closer look."""
    result = DeckResult()
    try:
        with transaction.atomic():
            if dry_run:
                cursor.execute(_FAST_CHECK_SQL)
                result.rows, bad, repeated = cursor.fetchone()
                if bad or repeated or not result.rows:
                    return None
                _fast_counts(cursor, result, current, f"(SELECT {_TYPED} FROM ({_CAST}) t)")
                return result
            revision = RateRevision.objects.create(card=card, live_from=live_from, created_by=user,
                                                   source=source[:200])
            cursor.execute(_FAST_INSERT_SQL, [revision.pk])
            result.rows = cursor.rowcount
            if not result.rows:
                raise DatabaseError("no rows")
            RateRevision.objects.filter(pk=revision.pk).update(row_count=result.rows)
            revision.row_count = result.rows
            _fast_counts(cursor, result, current, f"(SELECT * FROM {ROW_TABLE} WHERE revision_id = %(new)s)",
                         {"new": revision.pk})
            result.revision = revision
            return result
    except DatabaseError:
        return None


# The plain path, for a deck written plainly: every value spelled as the full check takes it and
# the table stores it unchanged (digits, dots, no padding, quotes or signs). Such a file is copied
# straight into the revision's rows, one pass and no staging table; Python only matches each chunk
# against the plain spelling (one C-level regular expression call per chunk) and puts the revision's
# id, and the defaults of absent columns, in front of each line. Anything the pattern refuses sends
# the deck to the staged paths; anything the table refuses (a repeated prefix, a pulse of 0, a long
# name, bad UTF-8) to the full check, which says what is wrong where.
_PLAIN_INT = rb"[0-9]{1,9}+"
_PLAIN_MONEY = rb"[0-9]{1,8}+(?:\.[0-9]{1,6}+)?+"
_PLAIN = {
    "prefix": rb"[0-9]{1,20}+",
    "name": rb'(?![ \t])[^,"\r\n]*+(?<![ \t])',
    "rate": _PLAIN_MONEY, "connect_fee": _PLAIN_MONEY,
    "mcd": _PLAIN_INT, "pulse": _PLAIN_INT, "grace": _PLAIN_INT,
    "blocked": rb"(?i:true|false|yes|no|[01tfyn])",  # read by PostgreSQL as the full check reads them
}
_ABSENT = {"name": b"", "connect_fee": b"0", "mcd": b"0", "pulse": b"1", "grace": b"0", "blocked": b"false"}


class _NotPlain(Exception):
    """A chunk of the file is not written plainly: the deck takes a staged path."""


def _plain_pattern(names):
    line = b",".join(_PLAIN[name] for name in names)
    return re.compile(rb"(?>" + line + rb"\r?\n)*+")


def _plain_path(cursor, *, card, live_from, current, source, user, stream, names,
                progress) -> tuple[DeckResult | None, bool]:
    """(the stored deck, False), or (None, whether the table refused it) with nothing of it kept."""
    absent = [name for name in DECK_COLUMNS if name not in names]
    columns = ["revision_id", *absent, *names]
    pattern = _plain_pattern(names)
    sent = 0
    result = DeckResult()
    try:
        with transaction.atomic():
            revision = RateRevision.objects.create(card=card, live_from=live_from, created_by=user,
                                                   source=source[:200])
            lead = b",".join([str(revision.pk).encode(), *(_ABSENT[name] for name in absent)]) + b","
            with cursor.cursor.copy(f"COPY {ROW_TABLE} ({', '.join(columns)}) FROM STDIN "
                                    "(FORMAT csv, FORCE_NOT_NULL (name))") as copy:
                while chunk := stream.read(COPY_CHUNK):
                    # The line a chunk ends inside is finished from the stream, so every write is whole
                    # lines and no chunk is ever copied to be joined with the next.
                    end = chunk.rfind(b"\n") + 1
                    tail = stream.readline(COPY_CHUNK) if end < len(chunk) else b""
                    size = len(chunk) + len(tail)
                    if end < len(chunk) and not tail.endswith(b"\n"):
                        if len(tail) == COPY_CHUNK:
                            raise _NotPlain  # a line longer than a chunk is nothing plain
                        tail += b"\n"  # the last line of a file without a final newline
                    cut = chunk[end:] + tail
                    if pattern.fullmatch(chunk, 0, end) is None or (cut and pattern.fullmatch(cut) is None):
                        raise _NotPlain
                    copy.write(lead)
                    copy.write(chunk.replace(b"\n", b"\n" + lead, chunk.count(b"\n") - (0 if cut else 1)))
                    copy.write(tail)
                    sent += size
                    if progress:
                        progress(size)
            result.rows = cursor.cursor.rowcount
            if result.rows <= 0:
                raise _NotPlain
            RateRevision.objects.filter(pk=revision.pk).update(row_count=result.rows)
            revision.row_count = result.rows
            _fast_counts(cursor, result, current, f"(SELECT * FROM {ROW_TABLE} WHERE revision_id = %(new)s)",
                         {"new": revision.pk})
            result.revision = revision
            return result, False
    except (_NotPlain, psycopg.Error, DatabaseError) as exc:
        if progress and sent:
            progress(-sent)  # the file is read again
        return None, not isinstance(exc, _NotPlain)


def revision_live(card_id: int, at: datetime | None = None) -> RateRevision | None:
    """The card's revision that prices a call starting at `at` (default now)."""
    return (RateRevision.objects.filter(card_id=card_id, live_from__lte=at or timezone.now())
            .order_by("-live_from").first())


def rate_deck_import(*, card: RateCard, stream, live_from: datetime | None = None, source: str = "",
                     user=None, dry_run: bool = False,
                     progress: Callable[[int], None] | None = None) -> DeckResult:
    """Check a deck and, unless `dry_run` or any row is bad, store it as a revision of `card`.

    All or nothing: a deck with one bad row stores nothing and answers every bad row with its reason
    (the first ERRORS_KEPT of them) and the counts of prefixes added, changed and removed against
    the revision live now.
    """
    live_from = live_from or timezone.now()
    names = _header(stream)
    result = DeckResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling the wide check costs more than it saves
        current = revision_live(card.pk)
        taken = RateRevision.objects.filter(card=card, live_from=live_from).exists()
        refused = False
        if not taken and not dry_run and stream.seekable():
            data_start = stream.tell()
            plain, refused = _plain_path(cursor, card=card, live_from=live_from, current=current, source=source,
                                         user=user, stream=stream, names=names, progress=progress)
            if plain is not None:
                return plain
            stream.seek(data_start)
        _stage(cursor, stream, names, progress)
        if not taken and not refused:
            fast = _fast_path(cursor, card=card, live_from=live_from, current=current, source=source, user=user,
                              dry_run=dry_run)
            if fast is not None:
                cursor.execute("DROP TABLE rate_stage")
                return fast
        _trim_stage(cursor)
        cursor.execute(_CHECK_SQL)
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE reason <> '') FROM rate_checked")
        result.rows, result.error_count = cursor.fetchone()
        if result.rows == 0:
            raise DeckError("The file has a header but no rows.")
        cursor.execute("SELECT row_no, raw_prefix, reason FROM rate_checked WHERE reason <> '' ORDER BY row_no "
                       f"LIMIT {ERRORS_KEPT}")
        result.errors = [{"row": row, "prefix": prefix, "reason": reason} for row, prefix, reason in cursor.fetchall()]
        cursor.execute(_COUNTS_SQL, {"current": current.pk if current else None})
        result.added, result.changed, result.removed = cursor.fetchone()
        if taken:
            result.error_count += 1
            result.errors.insert(0, {"row": None, "prefix": None,
                                     "reason": f"{card} already has a revision live from {live_from:%Y-%m-%d %H:%M:%S}."})
        if result.ok and not dry_run:
            revision = RateRevision.objects.create(card=card, live_from=live_from, created_by=user,
                                                   source=source[:200], row_count=result.rows)
            cursor.execute(_INSERT_SQL, [revision.pk])
            result.revision = revision
        cursor.execute("DROP TABLE rate_stage, rate_checked")
    return result


def rate_deck_rows(revision: RateRevision):
    """The revision's rows as CSV lines, streamed from a server-side cursor (for downloads)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(DECK_COLUMNS)
    rows = RateRow.objects.filter(revision=revision).order_by("prefix").values_list(*DECK_COLUMNS)
    for prefix, name, rate, connect_fee, mcd, pulse, grace, blocked in rows.iterator(chunk_size=5000):
        yield line([prefix, csv_cell(name), f"{rate.normalize():f}", f"{connect_fee.normalize():f}", mcd, pulse, grace,
                    "true" if blocked else "false"])
