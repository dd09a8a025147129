"""A package's periods: a UTC day, a Monday–Sunday week (as summaries.periods), or a month starting
on the package's day of month (29–31 fall on the month's end in shorter months).

`PERIOD_START_SQL` is the same rule in SQL (the function cx_package_period_start, created by the
migration) for the set-based free-minutes pass; tests hold the two equal.
"""

import calendar
from datetime import date, timedelta

from summaries.periods import DAILY, WEEKLY, Period


def _anchor(year: int, month: int, day_of_month: int) -> date:
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def period_start(frequency: str, day_of_month: int, day: date) -> date:
    if frequency in (DAILY, WEEKLY):
        return Period.containing(frequency, day).start.date()
    anchor = _anchor(day.year, day.month, day_of_month)
    if day >= anchor:
        return anchor
    return _anchor(*_shift(day.year, day.month, -1), day_of_month)


def period_end(frequency: str, day_of_month: int, start: date) -> date:
    """The first day of the next period."""
    if frequency == DAILY:
        return start + timedelta(days=1)
    if frequency == WEEKLY:
        return start + timedelta(days=7)
    return _anchor(*_shift(start.year, start.month, 1), day_of_month)


def period_of(package, day: date) -> tuple[date, date]:
    start = period_start(package.frequency, package.day_of_month, day)
    return start, period_end(package.frequency, package.day_of_month, start)


# IMMUTABLE: it reads only its arguments, so the planner may inline it per row.
PERIOD_START_SQL = """
CREATE OR REPLACE FUNCTION cx_package_period_start(frequency text, day_of_month int, d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE frequency
    WHEN 'daily' THEN d
    WHEN 'weekly' THEN date_trunc('week', d::timestamp)::date
    ELSE CASE
      WHEN d >= date_trunc('month', d::timestamp)::date + least(day_of_month,
             extract(day FROM date_trunc('month', d::timestamp) + interval '1 month' - interval '1 day')::int) - 1
      THEN date_trunc('month', d::timestamp)::date + least(day_of_month,
             extract(day FROM date_trunc('month', d::timestamp) + interval '1 month' - interval '1 day')::int) - 1
      ELSE (date_trunc('month', d::timestamp) - interval '1 month')::date + least(day_of_month,
             extract(day FROM date_trunc('month', d::timestamp) - interval '1 day')::int) - 1
    END
  END
$$;
"""
