from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from summaries.periods import DAILY, HOURLY, KINDS, MONTHLY, WEEKLY, Period, periods_between


@pytest.mark.parametrize(("kind", "key", "start", "end", "label"), [
    (HOURLY, "hourly:2026-11-20T14", datetime(2026, 11, 20, 14, tzinfo=UTC), datetime(2026, 11, 20, 15, tzinfo=UTC),
     "2026-11-20 14:00"),
    (DAILY, "daily:2026-11-20", datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC),
     "2026-11-20 (Fri)"),
    (WEEKLY, "weekly:2026-11-16", datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC),
     "2026-W47 (16–22 Nov)"),
    (WEEKLY, "weekly:2026-12-28", datetime(2026, 12, 28, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC),
     "2026-W53 (28 Dec–3 Jan)"),
    (MONTHLY, "monthly:2026-12-01", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC),
     "December 2026"),
])
def test_a_period_and_its_key_round_trip(kind, key, start, end, label):
    # The period of that kind around a moment inside it, seen from another timezone.
    inside = (start + (end - start) / 2).astimezone(timezone(timedelta(hours=-5)))
    period = Period.containing(kind, inside)
    assert (period.key, period.start, period.end, period.label) == (key, start, end, label)
    assert Period.from_key(key) == period


@pytest.mark.parametrize(("key", "kinds", "message"), [
    ("weekly:2026-11-17", KINDS, "“weekly:2026-11-17” does not start a weekly period; it starts 2026-11-16."),
    ("monthly:2026-11-02", KINDS, "“monthly:2026-11-02” does not start a monthly period; it starts 2026-11-01."),
    ("daily:2026-13-01", KINDS, "“daily:2026-13-01” is not a period (expected e.g. daily:2026-11-01)."),
    ("hourly:2026-11-20", KINDS, "“hourly:2026-11-20” is not a period (expected e.g. hourly:2026-11-01T00)."),
    ("yearly:2026-01-01", KINDS, "“yearly:2026-01-01” is not a period: expected hourly or daily or weekly or "
                                 "monthly, e.g. monthly:2026-11-01."),
    ("hourly:2026-11-20T14", (DAILY, WEEKLY, MONTHLY), "“hourly:2026-11-20T14” is not a period: expected daily or "
                                                        "weekly or monthly, e.g. monthly:2026-11-01."),
    ("", KINDS, "“” is not a period: expected hourly or daily or weekly or monthly, e.g. monthly:2026-11-01."),
])
def test_malformed_keys_are_refused_with_the_reason(key, kinds, message):
    with pytest.raises(ValidationError) as error:
        Period.from_key(key, kinds)
    assert error.value.messages == [message]


def test_completed_periods_run_from_the_one_containing_the_first_day_to_before():
    weeks = periods_between(WEEKLY, date(2026, 11, 4), datetime(2026, 11, 30, tzinfo=UTC))
    assert [p.key for p in weeks] == ["weekly:2026-11-02", "weekly:2026-11-09", "weekly:2026-11-16",
                                      "weekly:2026-11-23"]
    assert periods_between(MONTHLY, date(2026, 11, 4), datetime(2026, 11, 30, tzinfo=UTC)) == []
