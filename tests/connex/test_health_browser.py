"""System health in the browser: failing checks stand out and long errors wrap inside the table."""

import os
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import MessageFactory

pytestmark = [pytest.mark.browser]


def test_the_health_page_lists_failing_checks_with_their_details(staff_page):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO summaries_setasiderolluphour (hour, error) VALUES "
                       "('2026-11-20 10:00+00', 'DataError: numeric field overflow DETAIL: A field with precision 18, "
                       "scale 6 must round to an absolute value less than 10^12.')")
    MessageFactory(state="failed", error="Permanent: 550 5.1.1 mailbox unavailable")

    staff_page.goto("/settings/health/")

    row = staff_page.locator('#health-table tr[data-check="rollup_set_aside"]')
    assert "Failing" in row.inner_text() and "numeric field overflow" in row.inner_text()
    table = staff_page.locator("#health-table").bounding_box()
    assert table["width"] <= staff_page.viewport_size["width"]  # long errors wrap, no sideways scrolling
    if os.environ.get("SCREENSHOTS"):
        staff_page.screenshot(path=Path(os.environ["SCREENSHOTS"]) / "system-health.png", full_page=True)
