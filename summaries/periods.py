"""Summary periods: an hour, a UTC day, a Monday–Sunday week or a calendar month, end exclusive.

A period travels between pages as its key (`weekly:2026-11-16`, `hourly:2026-11-20T14`): the
summary table's checkboxes and CDR links write it, the invoice and CDR report views read it
back. Both sides go through `Period`, so a key is built and parsed by the same code.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError

HOURLY = "hourly"
DAILY = "daily"
WEEKLY = "weekly"
MONTHLY = "monthly"
KINDS = (HOURLY, DAILY, WEEKLY, MONTHLY)
# PostgreSQL date_trunc units that start each kind of period (a week starts on Monday).
UNITS = {HOURLY: "hour", DAILY: "day", WEEKLY: "week", MONTHLY: "month"}
# Periods a key may name: CDRs start in 2000, and every period must stay displayable in any
# viewer's timezone (Python dates end with the year 9999).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime

    @classmethod
    def containing(cls, kind: str, moment: date | datetime) -> "Period":
        """The period of `kind` that contains `moment` (a date, or an aware datetime read in UTC)."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(UTC)
            hour = moment.hour
        else:
            hour = 0
        day = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
        if kind == HOURLY:
            return cls(kind, day.replace(hour=hour))
        if kind == DAILY:
            return cls(kind, day)
        if kind == WEEKLY:
            return cls(kind, day - timedelta(days=day.weekday()))
        if kind == MONTHLY:
            return cls(kind, day.replace(day=1))
        raise ValidationError(f"Unknown period kind “{kind}”; use {', '.join(KINDS)}.")

    @classmethod
    def from_key(cls, key: str, kinds=KINDS) -> "Period":
        """The period a key names; ValidationError when it is malformed, of a kind not in `kinds`,
        or does not start a period (a week starts on a Monday, a month on its first day)."""
        kind, _, text = (key or "").partition(":")
        if kind not in kinds:
            raise ValidationError(f"“{key}” is not a period: expected {' or '.join(kinds)}, e.g. "
                                  f"{cls.containing(kinds[-1], date(2026, 11, 1)).key}.")
        try:
            if kind == HOURLY:
                start = datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=UTC)
            else:
                start = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        except ValueError:
            raise ValidationError(f"“{key}” is not a period (expected e.g. {kind}:"
                                  f"{'2026-11-01T00' if kind == HOURLY else '2026-11-01'}).") from None
        period = cls.containing(kind, start)
        if not EARLIEST <= period.start < LATEST:
            raise ValidationError(f"“{key}” is out of range: periods run from {EARLIEST:%Y} to {LATEST.year - 1}.")
        if period.start != start:
            raise ValidationError(f"“{key}” does not start a {kind} period; it starts {period.start:%Y-%m-%d}.")
        return period

    @property
    def key(self) -> str:
        if self.kind == HOURLY:
            return f"{self.kind}:{self.start:%Y-%m-%dT%H}"
        return f"{self.kind}:{self.start:%Y-%m-%d}"

    @property
    def end(self) -> datetime:
        if self.kind == HOURLY:
            return self.start + timedelta(hours=1)
        if self.kind == DAILY:
            return self.start + timedelta(days=1)
        if self.kind == WEEKLY:
            return self.start + timedelta(days=7)
        return _next_month(self.start)

    @property
    def label(self) -> str:
        """For people: `2026-11-20 14:00`, `2026-11-20 (Fri)`, `2026-W47 (16–22 Nov)`, `November 2026`."""
        if self.kind == HOURLY:
            return f"{self.start:%Y-%m-%d %H}:00"
        if self.kind == DAILY:
            return f"{self.start:%Y-%m-%d (%a)}"
        if self.kind == WEEKLY:
            year, week, _ = self.start.isocalendar()
            last = self.end - timedelta(days=1)
            first = f"{self.start.day}" if self.start.month == last.month else f"{self.start.day} {self.start:%b}"
            return f"{year}-W{week:02d} ({first}–{last.day} {last:%b})"
        return f"{self.start:%B %Y}"

    def next(self) -> "Period":
        return Period(self.kind, self.end)

    def __str__(self):
        return self.label


def periods_between(kind: str, first: date | datetime, before: datetime) -> list[Period]:
    """Every period of `kind` from the one containing `first` that ends at or before `before`."""
    periods = []
    period = Period.containing(kind, first)
    while period.end <= before:
        periods.append(period)
        period = period.next()
    return periods
