"""Billing periods: whole UTC days, Monday–Sunday weeks and calendar months, end exclusive."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError

KINDS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime
    end: datetime

    @property
    def value(self):
        return f"{self.kind}:{self.start:%Y-%m-%d}"

    @property
    def label(self):
        if self.kind == "daily":
            return f"{self.start:%Y-%m-%d}"
        if self.kind == "weekly":
            return f"week {self.start:%Y-%m-%d}–{self.end - timedelta(days=1):%Y-%m-%d}"
        return f"{self.start:%B %Y}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def period_for(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == "daily":
        start = day
        end = day + timedelta(days=1)
    elif kind == "weekly":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    elif kind == "monthly":
        start = day.replace(day=1)
        end = _next_month(start)
    else:
        raise ValidationError(f"Unknown period kind “{kind}”; use daily, weekly or monthly.")
    return Period(kind, _midnight(start), _midnight(end))


def period_parse(value: str) -> Period:
    """`daily:2026-11-01`, `weekly:2026-10-26` (a Monday) or `monthly:2026-10-01`."""
    kind, _, day_text = (value or "").partition(":")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise ValidationError(f"“{value}” is not a period (expected e.g. daily:2026-11-01).") from None
    try:
        period = period_for(kind, day)
    except (ValueError, OverflowError):  # the period would end after the year 9999
        raise ValidationError(f"“{value}” is out of range.") from None
    if period.start.date() != day:
        raise ValidationError(f"“{value}” does not start a {kind} period; it starts {period.start:%Y-%m-%d}.")
    return period


def periods_between(kind: str, first: date, before: datetime) -> list[Period]:
    """Every period of `kind` from the one containing `first` that ends at or before `before`."""
    periods = []
    period = period_for(kind, first)
    while period.end <= before:
        periods.append(period)
        period = period_for(kind, period.end.date())
    return periods
