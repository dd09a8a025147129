"""Reads of summaries and CDRs: period tables, chart series, CDR reports, CDR imports."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from customers.selectors import visible_through_customer
from ledger.models import LedgerEntry

from .models import CallDetailRecord, CdrImport
from .periods import DAILY, HOURLY, MONTHLY, UNITS, WEEKLY, Period

ZERO = Decimal("0")


TABS = [(HOURLY, "24 hours"), (DAILY, "Daily"), (WEEKLY, "Weekly"), (MONTHLY, "Monthly")]
# How many rows each view shows, newest first.
LIMITS = {HOURLY: 24, DAILY: 31, WEEKLY: 26, MONTHLY: 12}


@dataclass
class SummaryRow:
    start: datetime
    kind: str
    attempts: int = 0
    answered: int = 0
    duration: int = 0
    billed_duration: int = 0
    pdd_ms_total: int = 0
    charge: Decimal = ZERO
    cost: Decimal = ZERO

    @property
    def period(self):
        return Period(self.kind, self.start)

    @property
    def key(self):
        """The row's period as the checkbox/download value, e.g. "weekly:2026-11-16"."""
        return self.period.key

    @property
    def label(self):
        return self.period.label

    @property
    def asr(self):
        return Decimal(self.answered * 100) / self.attempts if self.attempts else ZERO

    @property
    def acd(self):
        return Decimal(self.duration) / self.answered if self.answered else ZERO

    @property
    def average_pdd(self):
        """Seconds."""
        return Decimal(self.pdd_ms_total) / self.attempts / 1000 if self.attempts else ZERO

    @property
    def minutes(self):
        return Decimal(self.duration) / 60

    @property
    def billed_minutes(self):
        return Decimal(self.billed_duration) / 60

    @property
    def profit(self):
        return self.charge - self.cost


_PERIOD_SQL = """
SELECT date_trunc(%(unit)s, day, 'UTC') AS period, sum(attempts), sum(answered), sum(duration),
       sum(billed_duration), sum(pdd_ms_total), sum(charge), sum(cost)
FROM summaries_dailysummary
WHERE customer_id = %(customer)s AND day >= %(since)s
GROUP BY 1 ORDER BY 1 DESC LIMIT %(limit)s
"""

# The last 24 clock hours ending with the current one; an hour without calls is a row of zeros.
_LAST_HOURS_SQL = """
SELECT slot.hour, coalesce(sum(s.attempts), 0), coalesce(sum(s.answered), 0), coalesce(sum(s.duration), 0),
       coalesce(sum(s.billed_duration), 0), coalesce(sum(s.pdd_ms_total), 0),
       coalesce(sum(s.charge), 0), coalesce(sum(s.cost), 0)
FROM generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '1 hour') AS slot(hour)
LEFT JOIN summaries_hourlysummary s ON s.customer_id = %(customer)s AND s.hour = slot.hour
GROUP BY 1 ORDER BY 1 DESC
"""


def _period_since(kind, now):
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == DAILY:
        return today - timedelta(days=LIMITS[kind] - 1)
    if kind == WEEKLY:
        return today - timedelta(days=today.weekday(), weeks=LIMITS[kind] - 1)
    month = today.replace(day=1)
    for _ in range(LIMITS[kind] - 1):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def summary_table(*, customer_id: int, kind: str, now: datetime | None = None) -> dict:
    """Rows (newest first) and a totals row of one customer's summaries per hour/day/ISO week/month."""
    now = now or datetime.now(UTC)
    with connection.cursor() as cursor:
        if kind == HOURLY:
            this_hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
            cursor.execute(_LAST_HOURS_SQL, {"customer": customer_id, "last": this_hour,
                                             "first": this_hour - timedelta(hours=LIMITS[HOURLY] - 1)})
        else:
            cursor.execute(_PERIOD_SQL, {"unit": UNITS[kind], "customer": customer_id,
                                         "since": _period_since(kind, now), "limit": LIMITS[kind]})
        rows = [SummaryRow(start.astimezone(UTC), kind, *values) for start, *values in cursor.fetchall()]
    total = SummaryRow(now, kind)
    for row in rows:
        for name in ("attempts", "answered", "duration", "billed_duration", "pdd_ms_total", "charge", "cost"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return {"rows": rows, "total": total, "kind": kind}


def summary_series(*, customer_id: int, now: datetime | None = None) -> dict:
    """Chart series: per hour over the last 24 hours and per day over the last 30 days, gaps as zero."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    today = this_hour.replace(hour=0)
    result = {}
    for name, unit, count, step, last in (("hourly", "hour", 24, timedelta(hours=1), this_hour),
                                          ("daily", "day", 30, timedelta(days=1), today)):
        first = last - step * (count - 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT date_trunc(%s, hour, 'UTC'), sum(attempts), sum(answered), sum(duration) "
                "FROM summaries_hourlysummary WHERE customer_id = %s AND hour >= %s AND hour < %s GROUP BY 1",
                [unit, customer_id, first, last + step])
            found = {start.astimezone(UTC): values for start, *values in cursor.fetchall()}
        series = {"labels": [], "attempts": [], "minutes": [], "asr": [], "acd": []}
        for index in range(count):
            start = first + step * index
            attempts, answered, duration = found.get(start, (0, 0, 0))
            series["labels"].append(f"{start:%H}:00" if unit == "hour" else f"{start:%m-%d}")
            series["attempts"].append(int(attempts))
            series["minutes"].append(round(int(duration) / 60, 1))
            series["asr"].append(round(answered * 100 / attempts, 1) if attempts else 0)
            series["acd"].append(round(int(duration) / answered, 1) if answered else 0)
        result[name] = series
    return result


REPORT_COLUMNS = ("call_id", "start_time", "answer_time", "end_time", "duration", "billed_duration", "cli",
                  "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost")


# What the customer may see of its own calls: everything but the carrier cost.
PORTAL_REPORT_COLUMNS = tuple(name for name in REPORT_COLUMNS if name != "cost")


def cdr_report_rows(*, customer_id: int, start: datetime, end: datetime, columns=REPORT_COLUMNS,
                    chunk_size: int = 5000):
    """The CDRs of a period in time order, read through a server-side cursor (memory stays flat)."""
    return (CallDetailRecord.objects.filter(customer_id=customer_id, start_time__gte=start, start_time__lt=end)
            .order_by("start_time", "id").values_list(*columns).iterator(chunk_size=chunk_size))


def cdr_list(*, customer_id: int, start: datetime, end: datetime):
    return (CallDetailRecord.objects.filter(customer_id=customer_id, start_time__gte=start, start_time__lt=end)
            .order_by("-start_time", "-id"))


ROLLUP_QUEUE_STALE = timedelta(minutes=15)


def rollup_queue_health():
    """Hours waiting for the rollup; unhealthy when one has waited far longer than a run takes."""
    from connex.health import Health

    with connection.cursor() as cursor:
        # Text, not datetimes: a queued hour need not fit Python's calendar.
        cursor.execute("SELECT count(*), to_char(min(hour), 'YYYY-MM-DD HH24:00'), min(marked) "
                       "FROM summaries_pendingrolluphour")
        depth, oldest_hour, oldest_mark = cursor.fetchone()
    if not depth:
        return Health(True, "empty", 0)
    waited = datetime.now(UTC) - oldest_mark
    return Health(waited <= ROLLUP_QUEUE_STALE, f"{depth} hour(s) queued, oldest {oldest_hour} UTC", depth,
                  details=[f"Oldest queued hour {oldest_hour} UTC, waiting {int(waited.total_seconds() // 60)} min."])


def set_aside_hours_health():
    """Hours the rollup set aside with their error: billing of those hours waits for a person."""
    from connex.health import Health

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_char(hour, 'YYYY-MM-DD HH24:00'), error, set_aside_at "
                       "FROM summaries_setasiderolluphour ORDER BY hour LIMIT 50")
        rows = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM summaries_setasiderolluphour")
        count = cursor.fetchone()[0]
    return Health(count == 0, f"{count} hour(s) set aside" if count else "none", count,
                  details=[f"{hour} UTC — {error} (since {since:%Y-%m-%d %H:%M})" for hour, error, since in rows])


def cdr_import_list(*, name: str = ""):
    """Every CDR import run; `name` narrows to file names containing it."""
    imports = CdrImport.objects.all()
    name = name.strip()
    return imports.filter(name__icontains=name) if name else imports


def cdr_import_ledger_entries(*, cdr_import, user):
    """The call-charges entries the import posted, of the customers the staff member may see."""
    entries = LedgerEntry.objects.filter(source_type=ContentType.objects.get_for_model(CdrImport),
                                         source_id=cdr_import.pk).select_related("customer")
    return visible_through_customer(user, entries)
