"""The columnar load: a large, clean CDR file checked column by column in Arrow, its calls priced
there when it has none, and copied straight into the CDR table and the call_id dedupe table in
PostgreSQL's binary COPY format.

The staged import (summaries.services) copies the file into a temporary table, where every rule is
checked in SQL, and then moves the valid rows again into the CDR table: the file is parsed on the
server twice and written three times. For the usual large file (from a switch, every row valid)
that work is what the import costs. Here the file is parsed once, in columns (Arrow's CSV reader,
in C++, on its own threads), checked there, and the rows are sent as binary values the server
stores as they come, while the next batch is being checked.

It only ever takes a file the staged import would store whole, with the same values. Every cell
must have the strict shape below (a subset of what the staged import accepts) and every value the
same limits; a row with any problem, a padded cell, a quoted line break, or a call_id seen before
makes it step back (what it wrote is rolled back to a savepoint) and the staged import runs
instead, which names each reason. A file whose calls are all to be priced is priced by the rules of
routing.rating for the case most files are (see _Rating); a file that mixes priced and unpriced
rows, or needs another route or a DID's card, is the staged import's.
tests/summaries/test_columnar.py holds both paths to the same stored rows, and the import and
rating tests run every case both ways.
"""

import itertools
import tempfile
from datetime import UTC, datetime, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.db import DatabaseError, connections, transaction

from .models import CDR_EARLIEST, CDR_MONEY_LIMIT
from .partitions import cdr_partitions_ensure
from .services import CDR_COLUMNS, CDR_FUTURE_TOLERANCE, CDR_LONGEST_CALL

# From this size a file is worth the columnar load (below it the staged import is just as quick).
COLUMNAR_FROM_BYTES = 4 << 20
BATCH_BYTES = 8 << 20

# The strict shapes. Times: ISO 8601 with a UTC offset, as switches write them.
_TIME = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
         r"(\.[0-9]{1,6})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$")
_COUNT = r"^[0-9]{1,9}$"  # 0 to 999,999,999: the staged import's integer range
_CUSTOMER = r"^[0-9]{1,18}$"
_MONEY = r"^(?P<units>[0-9]{1,12})(?:\.(?P<micros>[0-9]{0,6}))?$"  # below CDR_MONEY_LIMIT, up to 6 places
_DIALED = r"^\+?[0-9]{3,20}$"
_SIP = r"^[1-6][0-9][0-9]$"
assert CDR_MONEY_LIMIT == 10 ** 12

EPOCH_2000_US = 946_684_800_000_000  # PostgreSQL counts timestamps from 2000-01-01 UTC
MAX_CALL_US = CDR_LONGEST_CALL // timedelta(microseconds=1)
FUTURE_US = CDR_FUTURE_TOLERANCE // timedelta(microseconds=1)

CDR_COPY_COLUMNS = ("id", "call_id", "customer_id", "start_time", "answer_time", "end_time", "duration",
                    "billed_duration", "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge",
                    "cost", "imported_at", "rate_card_id", "rate_revision_id", "rate_prefix", "rate")
_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_TRAILER = b"\xff\xff"
_NULL = pa.scalar(b"\xff\xff\xff\xff", pa.binary())


class NotColumnar(Exception):
    """The file is not one the columnar load takes; the staged import will."""


def _bytes(value: bytes):
    return pa.scalar(value, pa.binary())


def _big_endian(values, width: int):
    """Integers as big-endian binary of `width` bytes each (negative ones in two's complement)."""
    kind = {8: pa.uint64(), 4: pa.uint32(), 2: pa.uint16()}[width]
    unsigned = pc.cast(values, kind, safe=False)
    swapped = None
    for index in range(width):
        byte = pc.bit_wise_and(pc.shift_right(unsigned, pa.scalar(8 * index, kind)), pa.scalar(0xFF, kind))
        part = pc.shift_left(byte, pa.scalar(8 * (width - 1 - index), kind))
        swapped = part if swapped is None else pc.bit_wise_or(swapped, part)
    swapped = swapped.combine_chunks() if isinstance(swapped, pa.ChunkedArray) else swapped
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(swapped), [None, swapped.buffers()[1]],
                                                 offset=swapped.offset)
    return fixed.cast(pa.binary())


def _field(values, width: int):
    """A fixed-width field: its length, then its value."""
    return pc.binary_join_element_wise(_bytes(width.to_bytes(4, "big")), _big_endian(values, width), _bytes(b""))


def _nullable_field(values, width: int):
    if values.null_count == len(values):
        return _NULL
    return pc.if_else(pc.is_valid(values), _field(pc.fill_null(values, 0), width), _NULL)


def _text(values):
    """A text field: its length in bytes, then its UTF-8 bytes."""
    values = values.cast(pa.binary())
    return pc.binary_join_element_wise(_big_endian(pc.binary_length(values), 4), values, _bytes(b""))


def _numeric(units, micros):
    """numeric(18, 6) in PostgreSQL's binary form: five base-10000 digits from 10^8 down to 10^-8
    (weight 2, display scale 6; the server drops the zero digits)."""
    ten4, ten8 = pa.scalar(10_000, pa.int64()), pa.scalar(100_000_000, pa.int64())
    top = pc.divide(units, ten8)
    middle = pc.subtract(pc.divide(units, ten4), pc.multiply(top, ten4))
    low = pc.subtract(units, pc.multiply(pc.divide(units, ten4), ten4))
    cents = pc.divide(micros, pa.scalar(100, pa.int64()))
    rest = pc.multiply(pc.subtract(micros, pc.multiply(cents, pa.scalar(100, pa.int64()))),
                       pa.scalar(100, pa.int64()))
    four = pc.add(pc.add(pc.shift_left(top, 48), pc.shift_left(middle, 32)),
                  pc.add(pc.shift_left(low, 16), cents))
    return pc.binary_join_element_wise(_bytes(b"\x00\x00\x00\x12\x00\x05\x00\x02\x00\x00\x00\x06"),
                                       _big_endian(four, 8), _big_endian(rest, 2), _bytes(b""))


def _require(condition, what: str):
    if condition is None or not pc.all(condition).as_py() or condition.null_count:
        raise NotColumnar(what)


def _matches(values, pattern: str, what: str, *, nullable=False):
    matched = pc.match_substring_regex(values, pattern)
    if nullable:
        matched = pc.or_kleene(pc.is_null(values), matched)
    _require(matched, what)


def _short(values, longest: int, what: str):
    _require(pc.or_kleene(pc.is_null(values), pc.less_equal(pc.utf8_length(values), longest)), what)


def _micros_since_2000(values):
    """Checked time strings as microseconds since 2000-01-01 UTC."""
    try:
        parsed = pc.cast(values, pa.timestamp("us", "UTC"))
    except pa.ArrowInvalid as exc:  # shaped right but not a real time (30 February)
        raise NotColumnar("time") from exc
    return pc.subtract(pc.cast(parsed, pa.int64()), pa.scalar(EPOCH_2000_US, pa.int64())), parsed


def _money(values, what: str, *, nullable=False):
    """Units and millionths of decimal strings (NULL stays NULL where `nullable`)."""
    parts = pc.extract_regex(values, _MONEY)
    _require(pc.or_kleene(pc.is_null(values), pc.is_valid(parts)) if nullable else pc.is_valid(parts), what)
    units = pc.cast(pc.struct_field(parts, "units"), pa.int64())
    micros = pc.cast(pc.utf8_rpad(pc.struct_field(parts, "micros"), 6, "0"), pa.int64())
    return units, micros


class _Limits:
    """What the checks compare with, read once per file."""

    def __init__(self, cursor):
        cursor.execute("SELECT now(), (SELECT dropped_before FROM summaries_cdrretentionoptions WHERE id = 1)")
        now, dropped_before = cursor.fetchone()
        cursor.execute("SELECT coalesce(array_agg(id), '{}') FROM customers_customer")
        self.customers = pa.array(cursor.fetchone()[0], pa.int64())
        self.now_us = _datetime_micros(now)
        kept_from = (datetime(dropped_before.year, dropped_before.month, dropped_before.day, tzinfo=UTC)
                     if dropped_before else CDR_EARLIEST)
        self.kept_from_us = max(_datetime_micros(CDR_EARLIEST), _datetime_micros(kept_from))


def _datetime_micros(moment: datetime) -> int:
    delta = moment - datetime(2000, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _checked_batch(batch: pa.RecordBatch, limits: _Limits, ids, rating=None):
    """One batch checked and encoded: (CDR rows, dedupe rows, sums), or NotColumnar."""
    column = batch.column
    # Text cells: the staged import's rules, without a NUL byte (no PostgreSQL text holds one) or a
    # line break (the reader splits the file at line breaks: one inside quotes is the staged import's).
    for name in ("call_id", "cli", "destination"):
        if pc.any(pc.match_substring_regex(column(name), "[\x00\r\n]")).as_py():
            raise NotColumnar(name)
    _require(pc.is_valid(column("call_id")), "call_id")
    _short(column("call_id"), 128, "call_id")
    _short(column("cli"), 32, "cli")
    _short(column("destination"), 120, "destination")
    _matches(column("dialed_number"), _DIALED, "dialed_number")
    _matches(column("customer_id"), _CUSTOMER, "customer_id")
    customers = pc.cast(column("customer_id"), pa.int64())
    _require(pc.is_in(customers, value_set=limits.customers), "customer_id")
    for name in ("start_time", "end_time"):
        _matches(column(name), _TIME, name)
    _matches(column("answer_time"), _TIME, "answer_time", nullable=True)
    start, start_at = _micros_since_2000(column("start_time"))
    end, _ = _micros_since_2000(column("end_time"))
    answer, _ = _micros_since_2000(column("answer_time"))
    for name in ("duration", "sip_code"):
        _matches(column(name), _SIP if name == "sip_code" else _COUNT, name)
    _matches(column("pdd_ms"), _COUNT, "pdd_ms", nullable=True)
    duration = pc.cast(column("duration"), pa.int64())
    answered = pc.is_valid(answer)
    _require(pc.and_(pc.greater_equal(start, limits.kept_from_us),
                     pc.less_equal(start, limits.now_us + FUTURE_US)), "start_time")
    _require(pc.and_(pc.greater_equal(end, start), pc.less_equal(end, pc.add(start, MAX_CALL_US))), "end_time")
    _require(pc.or_kleene(pc.invert(answered), pc.and_kleene(pc.greater_equal(answer, start),
                                                             pc.less_equal(answer, end))), "answer_time")
    _require(pc.or_kleene(answered, pc.equal(duration, 0)), "duration")
    cost_units, cost_micros = _money(column("cost"), "cost")
    _matches(column("billed_duration"), _COUNT, "billed_duration", nullable=True)
    unpriced = column("charge").null_count
    if not unpriced:  # every row keeps the charge it came with
        charge_units, charge_micros = _money(column("charge"), "charge")
        _require(pc.is_valid(column("billed_duration")), "billed_duration")
        billed = pc.cast(column("billed_duration"), pa.int64())
        destination = pc.fill_null(column("destination"), pa.scalar("", pa.string()))
        null_id = pa.nulls(batch.num_rows, pa.int64())
        rated = {"card": null_id, "revision": null_id, "prefix": pa.repeat(pa.scalar("", pa.string()), batch.num_rows),
                 "rate": None}
    elif unpriced == batch.num_rows and rating is not None:  # every row priced by the panel
        priced = rating.price(customers, column("dialed_number"), start, answered, duration)
        charge_units, charge_micros, billed = priced["units"], priced["micros"], priced["billed"]
        # The rate row's name is the destination; a file's own only where the row has none.
        name = priced["name"]
        destination = pc.if_else(pc.equal(name, ""), pc.fill_null(column("destination"), pa.scalar("", pa.string())),
                                 name)
        rated = priced
    else:  # some rows to price (with no rating data), or a mix: for the staged import
        raise NotColumnar("charge")

    size = batch.num_rows
    row_ids = pc.add(pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), size)), pa.scalar(ids - 1, pa.int64()))
    eight = _bytes(b"\x00\x00\x00\x08")
    answer_field = pc.if_else(answered, pc.binary_join_element_wise(eight, _big_endian(pc.fill_null(answer, 0), 8),
                                                                    _bytes(b"")), _NULL)
    empty = pa.scalar("", pa.string())
    cdr_rows = pc.binary_join_element_wise(
        _bytes(len(CDR_COPY_COLUMNS).to_bytes(2, "big")), _field(row_ids, 8), _text(column("call_id")),
        _field(customers, 8), _field(start, 8), answer_field, _field(end, 8),
        _field(duration, 4), _field(billed, 4),
        _text(pc.fill_null(column("cli"), empty)), _text(column("dialed_number")),
        _text(destination), _field(pc.cast(column("sip_code"), pa.int64()), 2),
        _field(pc.cast(pc.fill_null(column("pdd_ms"), "0"), pa.int64()), 4),
        _numeric(charge_units, charge_micros), _numeric(cost_units, cost_micros),
        _bytes(b"\x00\x00\x00\x08" + limits.now_us.to_bytes(8, "big", signed=True)),
        _nullable_field(rated["card"], 8), _nullable_field(rated["revision"], 8), _text(rated["prefix"]),
        _NULL if rated["rate"] is None else _numeric(*rated["rate"]), _bytes(b""))
    call_id_rows = pc.binary_join_element_wise(
        _bytes(b"\x00\x03"), _text(column("call_id")), _field(start, 8), _field(row_ids, 8), _bytes(b""))
    sums = pa.table({
        "customer_id": customers,
        "day": pc.cast(start_at, pa.date32()),
        "micros": pc.add(pc.multiply(charge_units, pa.scalar(1_000_000, pa.int64())), charge_micros),
        "hour": pc.floor_temporal(start_at, unit="hour"),
    })
    return cdr_rows, call_id_rows, sums


class _Rating:
    """The panel's prices for a file's calls, by the rules of routing.rating, in the one case it
    covers: every customer of the file sends all calls through one route (no tech prefix or dial
    pattern) and has no DID priced on a card of its own, every call finds a revision live at its
    start and a rate row for its number that is not blocked. Anything else is NotColumnar."""

    def __init__(self, cursor, customers):
        cursor.execute("""
            SELECT r.customer_id, bool_and(r.tech_prefix = '' AND r.dial_pattern = ''),
                   (array_agg(r.rate_card_id ORDER BY r.priority, r.id))[1]
            FROM routing_ingressroute r WHERE r.customer_id = ANY(%s) GROUP BY r.customer_id""", [customers])
        routes = cursor.fetchall()
        if len(routes) < len(customers) or not all(plain for _, plain, _ in routes):
            raise NotColumnar("routes")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM dids_did WHERE customer_id = ANY(%s) "
                       "AND customer_card_id IS NOT NULL)", [customers])
        if cursor.fetchone()[0]:
            raise NotColumnar("DIDs")
        self.customers = pa.array([customer for customer, _, _ in routes], pa.int64())
        self.cards = pa.array([card for _, _, card in routes], pa.int64())
        cards = sorted({card for _, _, card in routes})
        cursor.execute("SELECT id, precision, rounding FROM rates_ratecard WHERE id = ANY(%s)", [cards])
        self.rounding = {card: (precision, rounding) for card, precision, rounding in cursor.fetchall()}
        cursor.execute("SELECT id, card_id, live_from FROM rates_raterevision WHERE card_id = ANY(%s) "
                       "ORDER BY card_id, live_from", [cards])
        self.revisions = [(revision, card, _datetime_micros(live_from)) for revision, card, live_from in cursor]
        if len({(card, live) for _, card, live in self.revisions}) < len(self.revisions):
            raise NotColumnar("revisions live from the same moment")
        cursor.execute("SELECT x.revision_id || ':' || x.prefix, x.id, x.prefix, x.name, x.rate::text, "
                       "x.connect_fee::text, x.mcd, x.pulse, x.grace, x.blocked "
                       "FROM rates_raterow x WHERE x.revision_id = ANY(%s)",
                       [[revision for revision, _, _ in self.revisions]])
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[]] * 10
        self.keys = pa.array(columns[0], pa.string())
        self.rows = {name: pa.array(values, kind) for name, values, kind in zip(
            ("id", "prefix", "name", "rate", "connect_fee", "mcd", "pulse", "grace", "blocked"), columns[1:],
            (pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(), pa.int64(), pa.int64(), pa.int64(),
             pa.bool_()), strict=True)}
        self.lengths = sorted({len(prefix) for prefix in columns[2]}, reverse=True)

    def price(self, customers, dialed, start, answered, duration):
        card = pc.take(self.cards, pc.index_in(customers, value_set=self.customers))
        # The revision live at each call's start: the last one of its card live from then or before.
        revision = pa.nulls(len(card), pa.int64())
        for revision_id, card_id, live_from in self.revisions:
            live = pc.and_(pc.equal(card, card_id), pc.greater_equal(start, live_from))
            revision = pc.if_else(live, pa.scalar(revision_id, pa.int64()), revision)
        _require(pc.is_valid(revision), "no revision live")
        # The longest prefix of the number on its revision: probe each prefix length the revisions
        # hold, longest first, in a hash of "revision:prefix".
        digits = pc.utf8_ltrim(dialed, "+")
        head = pc.binary_join_element_wise(pc.cast(revision, pa.string()), pa.scalar(":"), pa.scalar(""))
        found = pa.nulls(len(card), pa.int32())
        for length in self.lengths:
            key = pc.binary_join_element_wise(head, pc.utf8_slice_codeunits(digits, 0, length), pa.scalar(""))
            probe = pc.if_else(pc.greater_equal(pc.utf8_length(digits), length),
                               pc.index_in(key, value_set=self.keys), pa.scalar(None, pa.int32()))
            found = pc.coalesce(found, probe)
        _require(pc.is_valid(found), "no rate")
        row = {name: pc.take(values, found) for name, values in self.rows.items()}
        _require(pc.invert(row["blocked"]), "blocked")
        rate_units, rate_micros = _money(row["rate"], "rate")
        fee_units, fee_micros = _money(row["connect_fee"], "connect_fee")
        mcd, pulse, grace = row["mcd"], row["pulse"], row["grace"]
        # Billed seconds: 0 unanswered or within grace; the minimum (MCD); then whole pulses.
        over = pc.subtract(duration, mcd)
        pulses = pc.divide(pc.add(over, pc.subtract(pulse, 1)), pulse)
        billed = pc.if_else(
            pc.or_(pc.or_(pc.invert(answered), pc.less_equal(duration, 0)), pc.less_equal(duration, grace)), 0,
            pc.if_else(pc.less_equal(duration, mcd), mcd, pc.add(mcd, pc.multiply(pulses, pulse))))
        units, micros = self._charge(card, rate_units, rate_micros, fee_units, fee_micros, billed)
        return {"units": units, "micros": micros, "billed": billed, "name": row["name"], "card": card,
                "revision": revision, "prefix": row["prefix"], "rate": (rate_units, rate_micros)}

    def _charge(self, card, rate_units, rate_micros, fee_units, fee_micros, billed):
        """connect fee + rate × billed / 60, rounded to the card's precision by its mode, exactly,
        in integers: (fee × 60 + rate × billed) × 10^precision / (60 × 10^6); nothing billed, nothing charged."""
        million = pa.scalar(1_000_000, pa.int64())
        rate = pc.add(pc.multiply(rate_units, million), rate_micros)
        fee = pc.add(pc.multiply(fee_units, million), fee_micros)
        if (pc.max(rate).as_py() or 0) * (pc.max(billed).as_py() or 0) + (pc.max(fee).as_py() or 0) * 60 >= 1 << 42:
            raise NotColumnar("charges beyond exact integer arithmetic")  # × 10^6 below must stay in int64
        numerator = pc.add(pc.multiply(fee, 60), pc.multiply(rate, billed))
        charge = pa.nulls(len(card), pa.int64())
        for card_id, (precision, rounding) in self.rounding.items():
            scaled = pc.multiply(numerator, 10 ** precision)
            denominator = 60 * 10 ** 6
            whole = pc.divide(scaled, denominator)
            rest = pc.subtract(scaled, pc.multiply(whole, denominator))
            bump = {"half_up": pc.greater_equal(pc.multiply(rest, 2), denominator),
                    "half_down": pc.greater(pc.multiply(rest, 2), denominator),
                    "up": pc.greater(rest, 0)}.get(rounding)
            rounded = whole if bump is None else pc.add(whole, pc.cast(bump, pa.int64()))
            in_millionths = pc.multiply(rounded, 10 ** (6 - precision))
            charge = pc.if_else(pc.equal(card, card_id), in_millionths, charge)
        charge = pc.if_else(pc.equal(billed, 0), 0, charge)
        return pc.divide(charge, million), pc.subtract(charge, pc.multiply(pc.divide(charge, million), million))


def _data(rows) -> memoryview:
    """The bytes of a binary array's values, end to end: the rows of a COPY."""
    offsets = memoryview(rows.buffers()[1]).cast("i")  # int32, little-endian like the machine
    return memoryview(rows.buffers()[2])[offsets[rows.offset]:offsets[rows.offset + len(rows)]]


SEQUENCE = "summaries_calldetailrecord_id_seq"


def _reserve_ids(side, count: int) -> int:
    """The first of `count` consecutive CDR ids taken from the table's own sequence, so no other
    writer can be given one of them. The sequence steps by `count` once, in a short transaction of
    a second connection: this import's transaction is long, and would hold every other writer's
    next id until it commits."""
    try:
        side.ensure_connection()
        raw = side.connection
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")
            first = cursor.fetchone()[0]
            cursor.execute(f"ALTER SEQUENCE {SEQUENCE} INCREMENT BY {count}")
            cursor.execute(f"SELECT nextval('{SEQUENCE}')")  # first + count: the block is ours
            cursor.execute(f"ALTER SEQUENCE {SEQUENCE} INCREMENT BY 1")
    except (psycopg.Error, DatabaseError) as exc:  # e.g. this transaction itself took ids before (lock timeout)
        raise NotColumnar("ids") from exc
    return first


def _reader(stream, names):
    return pa_csv.open_csv(
        pa.PythonFile(stream, mode="r"),
        read_options=pa_csv.ReadOptions(column_names=names, block_size=BATCH_BYTES),
        # A line break inside a quoted value or an empty line: the staged import says what it makes of it.
        parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in names},
                                              strings_can_be_null=True, null_values=[""],
                                              quoted_strings_can_be_null=True))


def _padded(batch) -> bool:
    """A text cell with a space at either end, which the staged import would trim."""
    for name in ("call_id", "cli", "destination"):
        values = batch.column(name)
        if pc.any(pc.or_(pc.starts_with(values, " "), pc.ends_with(values, " "))).as_py():
            return True
    return False


def cdr_load_columnar(cursor, stream, names) -> tuple[int, int, int, int]:
    """Load the rest of `stream` (after its header row) as described above: returns (rows, valid,
    inserted, charged in millionths), having filled cdr_new_charges and cdr_new_hours as the staged
    import does; raises NotColumnar, with nothing written, for a file it does not take."""
    limits = _Limits(cursor)
    side = connections.create_connection("default")
    try:
        with transaction.atomic():
            return _load(cursor.cursor, stream, names, limits, side)
    except (psycopg.IntegrityError, psycopg.DataError, pa.ArrowException) as exc:
        # A call_id stored before (the dedupe key), a day without its partition, a CSV row Arrow
        # cannot read: all rolled back to the savepoint, for the staged import.
        raise NotColumnar(str(exc)) from exc
    finally:
        side.close()


def _load(cursor, stream, names, limits, side):
    reader = _reader(stream, names)
    absent = [name for name in CDR_COLUMNS if name not in names]  # billed_duration, charge: to be priced
    batches = (_with_columns(batch, absent) for batch in reader)
    try:
        first = next(batches)
    except StopIteration:
        raise NotColumnar("no rows")
    rating, every_start = None, first.column("start_time")
    if first.column("charge").null_count:
        # Calls to price: the whole file is read first, so that what prices them (routes, revisions,
        # rate rows of its customers) is read before the COPY holds the connection.
        table = pa.Table.from_batches([first, *batches])
        rating = _Rating(cursor, _customer_ids(table.column("customer_id")))
        every_start = table.column("start_time")
        everything = table.to_batches(max_chunksize=1 << 16)
        first, batches = everything[0], iter(everything[1:])
    # A file sent twice steps back at its first rows, before anything is copied.
    cursor.execute("SELECT EXISTS (SELECT 1 FROM summaries_cdrcallid WHERE call_id = ANY(%s))",
                   [first.column("call_id").drop_null().to_pylist()])
    if cursor.fetchone()[0]:
        raise NotColumnar("call_id seen before")
    # The days' partitions are normally there (made ahead by a task); those of the first rows are
    # made now if not. A later day without one fails the COPY, and the staged import makes it.
    shaped = pc.filter(every_start, pc.fill_null(pc.match_substring_regex(every_start, _TIME), False))
    try:
        days = pc.unique(pc.cast(pc.cast(shaped, pa.timestamp("us", "UTC")), pa.date32())).to_pylist()
    except pa.ArrowInvalid as exc:
        raise NotColumnar("start_time") from exc
    cdr_partitions_ensure(days=days)
    call_ids = tempfile.SpooledTemporaryFile(max_size=64 << 20)
    call_ids.write(_HEADER)
    sums, rows = [], 0
    writer = psycopg.copy.QueuedLibpqWriter(cursor)
    with cursor.copy(f"COPY summaries_calldetailrecord ({', '.join(CDR_COPY_COLUMNS)}) FROM STDIN (FORMAT binary)",
                     writer=writer) as copy:
        copy.write(_HEADER)
        for batch in itertools.chain([first], batches):
            if batch.num_rows:
                if _padded(batch):
                    raise NotColumnar("padded cell")
                cdr_rows, call_id_rows, batch_sums = _checked_batch(batch, limits, _reserve_ids(side, batch.num_rows),
                                                                    rating)
                copy.write(_data(cdr_rows))
                call_ids.write(_data(call_id_rows))
                sums.append(batch_sums)
                rows += batch.num_rows
        copy.write(_TRAILER)
    call_ids.write(_TRAILER)
    call_ids.seek(0)
    with cursor.copy("COPY summaries_cdrcallid (call_id, start_time, cdr_id) FROM STDIN (FORMAT binary)") as copy:
        while chunk := call_ids.read(8 << 20):
            copy.write(chunk)
    return (rows, rows, rows, _post_sums(cursor, sums)) if rows else (0, 0, 0, 0)


def _with_columns(batch, absent):
    """The batch with the optional columns the file does not have, empty."""
    for name in absent:
        batch = batch.append_column(name, pa.nulls(batch.num_rows, pa.string()))
    return batch


def _customer_ids(values) -> list[int]:
    shaped = pc.filter(values, pc.fill_null(pc.match_substring_regex(values, _CUSTOMER), False))
    return pc.unique(pc.cast(shaped, pa.int64())).to_pylist()


def _post_sums(cursor, sums) -> int:
    """The new charges per customer and call day, and the hours to roll up, into the temporary
    tables the rest of the import reads; returns the charges' total in millionths."""
    table = pa.concat_tables(sums)
    largest = pc.max(table.column("micros")).as_py() or 0
    if largest * table.num_rows >= 1 << 63:  # beyond what the sums below can hold exactly
        raise NotColumnar("charges")
    by_day = table.group_by(["customer_id", "day"]).aggregate([("micros", "sum"), ("micros", "count")])
    with cursor.copy("COPY cdr_new_charges (customer_id, day, charge, calls) FROM STDIN") as copy:
        for customer, day, micros, calls in zip(*(by_day.column(name).to_pylist() for name in
                                                  ("customer_id", "day", "micros_sum", "micros_count")), strict=True):
            copy.write_row((customer, day, f"{micros // 1_000_000}.{micros % 1_000_000:06d}", calls))
    with cursor.copy("COPY cdr_new_hours (hour) FROM STDIN") as copy:
        for hour in pc.unique(table.column("hour")).to_pylist():
            copy.write_row((hour,))
    return sum(by_day.column("micros_sum").to_pylist())
