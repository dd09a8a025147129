"""The rules of one imported CDR row: the only definition, used for every row of every import.

`cdr_row_checker(...)` returns a function from a row's cells (strings in header order, the file's
own spelling) to (reasons, values): the reasons in a fixed order (an empty list for a valid row)
and, for a valid row, the parsed values the import stores. The meaning of each cell follows what
PostgreSQL would parse, so a checked value loads into the CDR table as it was checked:
- cells are trimmed of spaces and a blank cell is no value;
- whole numbers are an optional sign and up to 30 digits; amounts also take a fraction and an
  exponent (`1e3`, `2.5E-1`), never NaN or Infinity;
- times are ISO 8601 with Z or an offset (`2026-11-20T10:05:00Z`, `… 10:05+02`, up to nine
  fractional digits, rounded to microseconds as PostgreSQL does).
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from .models import CDR_EARLIEST, CDR_MONEY_LIMIT

INT_MAX = 999_999_999
# The window of believable call times: everything the summaries, invoices and reports can show.
CDR_FUTURE_TOLERANCE = timedelta(days=1)  # switch clocks drift; a day ahead is still a mistake
CDR_LONGEST_CALL = timedelta(days=2)
PLACES = " (decimal, up to 6 places)"
# A row without a charge is priced by the panel (routing.rating), which also fills billed_duration.
OPTIONAL_COLUMNS = ("billed_duration", "charge")

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,30}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{0,6})?")  # the usual spelling: valid as written
_TIME = re.compile(r"([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
                   r"(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:[Zz]|([+-])([0-9]{2})(?::?([0-9]{2}))?)")
_MICRO = Decimal("0.000001")
_FAR_PAST = datetime.min.replace(tzinfo=UTC)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_ZONES: dict = {}


def _zone(sign, hours, minutes):
    key = (sign, hours, minutes)
    zone = _ZONES.get(key)
    if zone is None:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        zone = _ZONES[key] = timezone(-offset if sign == "-" else offset)
    return zone


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time with Z or an offset (hours up to 15), or None when the text is not one."""
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, zone_hours, zone_minutes = match.groups()
    if sign is None:
        zone = UTC
    elif zone_hours > "15" or (zone_minutes is not None and zone_minutes > "59"):
        return None
    else:
        zone = _zone(sign, zone_hours, zone_minutes)
    micro = 0
    if fraction:
        # PostgreSQL reads the fraction as a double and rounds it to microseconds (rint).
        micro = int(fraction.ljust(6, "0")) if len(fraction) <= 6 else round(float("0." + fraction) * 1e6)
    try:
        if micro == 1_000_000:
            value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                             tzinfo=zone)
            return value + timedelta(seconds=1)
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
                        tzinfo=zone)
    except ValueError:
        return None  # 30 February, hour 24, second 60
    except OverflowError:
        return _FAR_FUTURE


def _whole(text):
    """An integer as PostgreSQL's integer input reads it, or None."""
    if text.isdigit() and text.isascii():
        return int(text)
    return int(text) if _INTEGER.fullmatch(text) else None


def _integer_problem(name, text, *, required):
    """(value, problem) of a whole-number cell."""
    if text is None:
        return (None, f"missing {name}") if required else (None, None)
    value = _whole(text)
    if value is None:
        return None, f"bad {name}"
    if value < 0:
        return None, f"negative {name}"
    if value > INT_MAX:
        return None, f"bad {name}"
    return value, None


def _amount_problem(name, text, *, required):
    """(value as written, problem) of an amount cell (decimal, at most 6 places, under a trillion)."""
    if text is None:
        return None, (f"missing {name}" if required else None)
    if _PLAIN_AMOUNT.fullmatch(text):
        return text, None
    if not _NUMBER.fullmatch(text):
        return None, f"bad {name}{PLACES}"
    value = Decimal(text)
    if value < 0:
        return None, f"negative {name}"
    try:
        if value >= CDR_MONEY_LIMIT or value != value.quantize(_MICRO, rounding=ROUND_DOWN):
            return None, f"bad {name}{PLACES}"
    except InvalidOperation:
        return None, f"bad {name}{PLACES}"
    return text, None


_BAD_TIME = " (ISO 8601 with Z or an offset)"
OUTSIDE = f"start_time outside {CDR_EARLIEST:%Y-%m-%d} to one day from now"
RETAINED = "start_time on a day whose raw CDRs were removed (retention)"
TOO_LONG = f"end_time more than {CDR_LONGEST_CALL.days} days after start_time"

# What a valid row yields, in this order (times as (text, datetime)).
VALUE_NAMES = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration", "billed_duration",
               "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")


def cdr_row_checker(*, names, customers, now: datetime,
                    retained_from: datetime | None) -> Callable[[list], tuple[list, tuple | None]]:
    """The check of one row for a file whose header is `names`, against these customer ids, at the
    import's `now` (the transaction's time) and the retention boundary."""
    index = {name: names.index(name) if name in names else None for name in VALUE_NAMES}
    earliest, latest = CDR_EARLIEST, now + CDR_FUTURE_TOLERANCE
    kept_from = retained_from or _FAR_PAST
    longest = CDR_LONGEST_CALL

    def cell(cells, name):
        position = index[name]
        if position is None:
            return None
        text = cells[position]
        if text[:1] == " " or text[-1:] == " ":
            text = text.strip(" ")
        return text or None

    def check(cells):
        reasons = []
        call_id = cell(cells, "call_id")
        if call_id is None:
            reasons.append("missing call_id")
        elif len(call_id) > 128:
            reasons.append("call_id longer than 128 characters")
        raw_customer = cell(cells, "customer_id")
        customer = None
        if raw_customer is None:
            reasons.append("missing customer_id")
        else:
            customer = _whole(raw_customer)
            if customer not in customers:
                customer = None
                reasons.append("unknown customer")
        times = {}
        for name in ("start_time", "answer_time", "end_time"):
            raw = cell(cells, name)
            parsed = parse_time(raw) if raw is not None else None
            times[name] = (raw, parsed)
            if raw is None:
                if name != "answer_time":
                    reasons.append(f"missing {name}")
            elif parsed is None:
                reasons.append(f"bad {name}{_BAD_TIME}")
        start, answer, end = times["start_time"][1], times["answer_time"][1], times["end_time"][1]
        if start is not None and end is not None and end < start:
            reasons.append("end_time before start_time")
        if start is not None:
            if start < earliest or start > latest:
                reasons.append(OUTSIDE)
            if start < kept_from:
                reasons.append(RETAINED)
            if end is not None and end - start > longest:
                reasons.append(TOO_LONG)
        if answer is not None and ((start is not None and answer < start) or (end is not None and answer > end)):
            reasons.append("answer_time outside start_time..end_time")
        duration, problem = _integer_problem("duration", cell(cells, "duration"), required=True)
        if problem:
            reasons.append(problem)
        raw_billed = cell(cells, "billed_duration")
        billed, billed_problem = _integer_problem("billed_duration", raw_billed, required=False)
        if billed_problem:
            reasons.append(billed_problem)
        if times["answer_time"][0] is None and duration:
            reasons.append("duration on an unanswered call")
        cli = cell(cells, "cli") or ""
        if len(cli) > 32:
            reasons.append("cli longer than 32 characters")
        dialed = cell(cells, "dialed_number")
        if dialed is None:
            reasons.append("missing dialed_number")
        else:
            digits = dialed[1:] if dialed[:1] == "+" else dialed
            if not (3 <= len(digits) <= 20 and digits.isdigit() and digits.isascii()):
                reasons.append("bad dialed_number")
        destination = cell(cells, "destination") or ""
        if len(destination) > 120:
            reasons.append("destination longer than 120 characters")
        raw_sip = cell(cells, "sip_code")
        sip = None
        if raw_sip is None:
            reasons.append("missing sip_code")
        else:
            sip = _whole(raw_sip)
            if sip is None or not 100 <= sip <= 699:
                reasons.append("bad sip_code (100-699)")
        pdd, problem = _integer_problem("pdd_ms", cell(cells, "pdd_ms"), required=False)
        if problem:
            reasons.append(problem)
        charge, problem = _amount_problem("charge", cell(cells, "charge"), required=False)
        if problem:
            reasons.append(problem)
        cost, problem = _amount_problem("cost", cell(cells, "cost"), required=True)
        if problem:
            reasons.append(problem)
        if charge is not None and raw_billed is None:
            reasons.append("missing billed_duration (required with a charge)")
        if reasons:
            return reasons, call_id
        return reasons, (call_id, customer, times["start_time"], times["answer_time"], times["end_time"], duration,
                         billed, cli, dialed, destination, sip, pdd or 0, charge, cost)

    return check
