"""Helpers shared by the summaries tests: CSV building and the summary invariant."""

import csv
import io
from datetime import UTC, datetime, timedelta

from django.db import connection

from summaries.services import CDR_COLUMNS

T0 = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)


def cdr_row(customer_id, call_id="c-1", **overrides):
    """A valid answered call as CSV values; overrides replace single cells."""
    row = {
        "call_id": call_id, "customer_id": str(customer_id), "start_time": T0.isoformat(),
        "answer_time": (T0 + timedelta(seconds=2)).isoformat(), "end_time": (T0 + timedelta(seconds=62)).isoformat(),
        "duration": "60", "billed_duration": "60", "cli": "+442071838750", "dialed_number": "+447700900123",
        "destination": "United Kingdom - Mobile", "sip_code": "200", "pdd_ms": "2000", "charge": "0.031000",
        "cost": "0.022000",
    }
    row.update({key: str(value) for key, value in overrides.items()})
    return row


def csv_bytes(rows, columns=CDR_COLUMNS):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(name, "") for name in columns])
    return buffer.getvalue().encode()


def csv_stream(rows, columns=CDR_COLUMNS):
    return io.BytesIO(csv_bytes(rows, columns))


SUMMARY_COLUMNS = "customer_id, hour, destination, attempts, answered, duration, billed_duration, pdd_ms_total, charge, cost"
EXPECTED = """
SELECT customer_id, date_trunc('hour', start_time, 'UTC'), destination, count(*), count(answer_time),
       sum(duration), sum(billed_duration), sum(pdd_ms), sum(charge), sum(cost)
FROM summaries_calldetailrecord GROUP BY 1, 2, 3
"""


DAILY_COLUMNS = "customer_id, day, attempts, answered, duration, billed_duration, pdd_ms_total, charge, cost"
EXPECTED_DAILY = """
SELECT customer_id, date_trunc('day', start_time, 'UTC'), count(*), count(answer_time),
       sum(duration), sum(billed_duration), sum(pdd_ms), sum(charge), sum(cost)
FROM summaries_calldetailrecord GROUP BY 1, 2
"""


def summary_differences():
    """Rows where the hourly or daily summaries and the sums over the CDRs disagree (both directions);
    [] when they are equal."""
    with connection.cursor() as cursor:
        cursor.execute(f"(SELECT {SUMMARY_COLUMNS} FROM summaries_hourlysummary EXCEPT {EXPECTED}) UNION ALL "
                       f"({EXPECTED} EXCEPT SELECT {SUMMARY_COLUMNS} FROM summaries_hourlysummary)")
        hourly = cursor.fetchall()
        cursor.execute(f"(SELECT {DAILY_COLUMNS} FROM summaries_dailysummary EXCEPT {EXPECTED_DAILY}) UNION ALL "
                       f"({EXPECTED_DAILY} EXCEPT SELECT {DAILY_COLUMNS} FROM summaries_dailysummary)")
        return hourly + [("daily", *row) for row in cursor.fetchall()]


def summary_count():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM summaries_hourlysummary")
        return cursor.fetchone()[0]
