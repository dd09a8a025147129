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
from operator import itemgetter

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
# Years 1000-9999, offsets up to ±15:59, up to nine fractional digits.
_TIME = re.compile(r"([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
                   r"(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(?:[Zz]|([+-])(0[0-9]|1[0-5])(?::?([0-5][0-9]))?)")
# The same shape narrowed to what datetime.fromisoformat reads alike: Z (not z), up to 6 fractional digits.
_common_time = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                          r"(?:Z|[+-](?:0[0-9]|1[0-5])(?::?[0-5][0-9])?)").fullmatch
_MICRO = Decimal("0.000001")
_FAR_PAST = datetime.min.replace(tzinfo=UTC)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_ZONES: dict = {}
_fromisoformat = datetime.fromisoformat


def _zone(sign, hours, minutes):
    key = (sign, hours, minutes)
    zone = _ZONES.get(key)
    if zone is None:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        zone = _ZONES[key] = timezone(-offset if sign == "-" else offset)
    return zone


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time with Z or an offset, or None when the text is not one."""
    if _common_time(text):
        try:
            return _fromisoformat(text)  # the same reading, in C, for every form it takes
        except ValueError:
            return None  # 30 February, hour 24, second 60
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, zone_hours, zone_minutes = match.groups()
    zone = UTC if sign is None else _zone(sign, zone_hours, zone_minutes)
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
    if not text:
        return (None, f"missing {name}") if required else (None, None)
    value = _whole(text)
    if value is None:
        return None, f"bad {name}"
    if value < 0:
        return None, f"negative {name}"
    if value > INT_MAX:
        return None, f"bad {name}"
    return value, None


def _amount_problem(name, text):
    """(value as written, problem) of an amount cell that is not in the usual spelling (decimal, at
    most 6 places, under a trillion)."""
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

# The columns of a row, in the order the check reads them.
VALUE_NAMES = ("call_id", "customer_id", "start_time", "answer_time", "end_time", "duration", "billed_duration",
               "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")


class CdrRowWidthError(ValueError):
    """A row with more or fewer cells than the header."""


def cdr_row_checker(*, names, customers, now: datetime,
                    retained_from: datetime | None) -> Callable[[list], tuple[list, object]]:
    """The check of one row for a file whose header is `names`, against these customer ids, at the
    import's `now` (the transaction's time) and the retention boundary.

    The check returns (reasons, values): the reasons in a fixed order, and for a valid row
    (no reasons) the values (call_id, customer_id, start_time text, start_time, answer_time text,
    end_time text, duration, billed_duration, cli, dialed_number, destination, sip_code, pdd_ms,
    charge text, cost text), else the call_id. Times are stored from their text, which PostgreSQL
    reads as parsed here.
    It runs for every row of a file, so it is one flat function of cheap tests.
    """
    width = len(names)
    # Cells of columns the header leaves out read as the empty cell appended after the row's own.
    cells_of = itemgetter(*[names.index(name) if name in names else width for name in VALUE_NAMES])
    padded = any(name not in names for name in VALUE_NAMES)
    earliest, latest = CDR_EARLIEST, now + CDR_FUTURE_TOLERANCE
    kept_from = retained_from or _FAR_PAST
    longest = CDR_LONGEST_CALL
    plain_amount = _PLAIN_AMOUNT.fullmatch

    def check(row):
        if len(row) != width:
            raise CdrRowWidthError(len(row))
        if padded:
            row = [*row, ""]
        cells = cells_of(row)
        joined = "\x00".join(cells)
        if joined[:1] == " " or joined[-1:] == " " or " \x00" in joined or "\x00 " in joined:
            cells = [cell.strip(" ") for cell in cells]
        (call_id, raw_customer, raw_start, raw_answer, raw_end, raw_duration, raw_billed, cli, dialed, destination,
         raw_sip, raw_pdd, charge, cost) = cells
        reasons = []
        if not call_id:
            call_id = None
            reasons.append("missing call_id")
        elif len(call_id) > 128:
            reasons.append("call_id longer than 128 characters")
        customer = None
        if not raw_customer:
            reasons.append("missing customer_id")
        else:
            customer = int(raw_customer) if raw_customer.isdigit() and raw_customer.isascii() else _whole(raw_customer)
            if customer not in customers:
                reasons.append("unknown customer")
        start = answer = end = None
        if not raw_start:
            reasons.append("missing start_time")
        elif (start := parse_time(raw_start)) is None:
            reasons.append(f"bad start_time{_BAD_TIME}")
        if raw_answer and (answer := parse_time(raw_answer)) is None:
            reasons.append(f"bad answer_time{_BAD_TIME}")
        if not raw_end:
            reasons.append("missing end_time")
        elif (end := parse_time(raw_end)) is None:
            reasons.append(f"bad end_time{_BAD_TIME}")
        if start is not None:
            if end is not None and end < start:
                reasons.append("end_time before start_time")
            if start < earliest or start > latest:
                reasons.append(OUTSIDE)
            if start < kept_from:
                reasons.append(RETAINED)
            if end is not None and end - start > longest:
                reasons.append(TOO_LONG)
        if answer is not None and ((start is not None and answer < start) or (end is not None and answer > end)):
            reasons.append("answer_time outside start_time..end_time")
        if raw_duration.isdigit() and raw_duration.isascii() and len(raw_duration) < 10:
            duration = int(raw_duration)
        else:
            duration, problem = _integer_problem("duration", raw_duration, required=True)
            if problem:
                reasons.append(problem)
        if raw_billed.isdigit() and raw_billed.isascii() and len(raw_billed) < 10:
            billed = int(raw_billed)
        else:
            billed, problem = _integer_problem("billed_duration", raw_billed, required=False)
            if problem:
                reasons.append(problem)
        if not raw_answer and duration:
            reasons.append("duration on an unanswered call")
        if len(cli) > 32:
            reasons.append("cli longer than 32 characters")
        if not dialed:
            reasons.append("missing dialed_number")
        else:
            digits = dialed[1:] if dialed[:1] == "+" else dialed
            if not (3 <= len(digits) <= 20 and digits.isdigit() and digits.isascii()):
                reasons.append("bad dialed_number")
        if len(destination) > 120:
            reasons.append("destination longer than 120 characters")
        sip = None
        if not raw_sip:
            reasons.append("missing sip_code")
        else:
            sip = int(raw_sip) if raw_sip.isdigit() and raw_sip.isascii() else _whole(raw_sip)
            if sip is None or not 100 <= sip <= 699:
                reasons.append("bad sip_code (100-699)")
        if raw_pdd.isdigit() and raw_pdd.isascii() and len(raw_pdd) < 10:
            pdd = int(raw_pdd)
        else:
            pdd, problem = _integer_problem("pdd_ms", raw_pdd, required=False)
            if problem:
                reasons.append(problem)
        if not charge:
            charge = None
        elif not plain_amount(charge):
            charge, problem = _amount_problem("charge", charge)
            if problem:
                reasons.append(problem)
        if not cost:
            reasons.append("missing cost")
        elif not plain_amount(cost):
            cost, problem = _amount_problem("cost", cost)
            if problem:
                reasons.append(problem)
        if charge is not None and not raw_billed:
            reasons.append("missing billed_duration (required with a charge)")
        if reasons:
            return reasons, call_id
        return reasons, (call_id, customer, raw_start, start, raw_answer or None, raw_end, duration, billed, cli,
                         dialed, destination, sip, pdd or 0, charge, cost)

    return check
