"""Reads of the CDR tab: one customer's UTC day, filtered, in keyset pages; recalc jobs.

Every read of CDRs here is bounded by a plain `start_time >= day AND start_time < day + 1`
predicate, so the (customer, start_time) index — and partition pruning once the table is
partitioned by day — serve it; pages continue from the last row shown, never an OFFSET.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.dateparse import parse_datetime

from customers.selectors import visible_through_customer
from summaries.models import CallDetailRecord

from .filtersets import CdrDayFilterSet
from .models import RecalcJob

PAGE_SIZE = 50
EXPORT_COLUMNS = ("call_id", "start_time", "answer_time", "end_time", "duration", "billed_duration", "cli",
                  "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "rate_prefix", "rate")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    low = datetime.combine(day, time.min, tzinfo=UTC)
    return low, low + timedelta(days=1)


def cdr_day_queryset(*, customer_id: int, day: date, filters=None):
    """The customer's CDRs that started on the UTC day, filtered (an invalid filter is ignored)."""
    low, high = day_bounds(day)
    records = CallDetailRecord.objects.filter(customer_id=customer_id, start_time__gte=low, start_time__lt=high)
    if filters is not None:
        filterset = CdrDayFilterSet(filters, queryset=records)
        records = filterset.qs if filterset.is_valid() else records
    return records


def cursor_encode(record) -> str:
    return f"{record.start_time.astimezone(UTC).isoformat()}_{record.pk}"


def cursor_decode(value: str):
    """(start_time, id) from a cursor, or None when it is not one."""
    stamp, _, pk = (value or "").rpartition("_")
    try:
        at = parse_datetime(stamp)
        return (at, int(pk)) if at is not None and at.tzinfo is not None else None
    except ValueError:
        return None


@dataclass
class CdrPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def cdr_day_page(*, customer_id: int, day: date, filters=None, after: str = "", before: str = "",
                 size: int = PAGE_SIZE) -> CdrPage:
    """One page in call-start order: the first, the one after cursor `after`, or the one before `before`."""
    records = cdr_day_queryset(customer_id=customer_id, day=day, filters=filters)
    backwards = cursor_decode(before)
    forwards = None if backwards else cursor_decode(after)
    if backwards:
        at, pk = backwards
        rows = list(records.filter(Q(start_time__lt=at) | Q(start_time=at, pk__lt=pk))
                    .order_by("-start_time", "-pk")[:size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return CdrPage(rows, cursor_encode(rows[-1]) if rows else None,
                       cursor_encode(rows[0]) if rows and more_before else None)
    if forwards:
        at, pk = forwards
        records = records.filter(Q(start_time__gt=at) | Q(start_time=at, pk__gt=pk))
    rows = list(records.order_by("start_time", "pk")[:size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return CdrPage(rows, cursor_encode(rows[-1]) if rows and more_after else None,
                   cursor_encode(rows[0]) if rows and forwards else None)


def cdr_day_totals(*, customer_id: int, day: date, filters=None) -> dict:
    totals = cdr_day_queryset(customer_id=customer_id, day=day, filters=filters).aggregate(
        calls=Count("pk"), answered=Count("answer_time"), seconds=Sum("duration"), charge=Sum("charge"))
    return {"calls": totals["calls"], "answered": totals["answered"], "minutes": Decimal(totals["seconds"] or 0) / 60,
            "charge": totals["charge"] or Decimal("0")}


def cdr_day_export_rows(*, customer_id: int, day: date, filters=None, chunk_size: int = 5000):
    """Every filtered CDR of the day in start order, through a server-side cursor (memory stays flat)."""
    return (cdr_day_queryset(customer_id=customer_id, day=day, filters=filters).order_by("start_time", "pk")
            .values_list(*EXPORT_COLUMNS).iterator(chunk_size=chunk_size))


def recalc_job_list(*, user, customer_id: int | None = None):
    jobs = visible_through_customer(user, RecalcJob.objects.select_related("customer", "requested_by"))
    return jobs.filter(customer_id=customer_id) if customer_id is not None else jobs
