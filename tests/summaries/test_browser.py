from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from summaries.services import summary_resum_days
from tests.factories import CustomerFactory, HourlySummaryFactory


@pytest.mark.browser
def test_selecting_cells_in_a_column_shows_their_sum_and_average(staff_page):
    customer = CustomerFactory(name="Selection Co")
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    hours = [HourlySummaryFactory(customer=customer, hour=day - timedelta(days=days_ago), charge=Decimal(charge)).hour
             for days_ago, charge in [(1, "1.5"), (2, "2.25"), (3, "4")]]
    with connection.cursor() as cursor:
        summary_resum_days(customer_ids=[customer.pk], hours=hours, cursor=cursor)

    staff_page.goto(f"/customers/{customer.pk}/")
    staff_page.click('#section-summary [data-period="daily"]')
    staff_page.wait_for_selector('#summary-selection[data-kind="daily"]')
    cells = staff_page.locator('#summary-table tbody td[data-col="charge"]')
    cells.nth(0).click()
    cells.nth(2).click(modifiers=["Shift"])

    status = staff_page.locator("#section-summary .cx-selection-status")
    assert status.locator('[data-stat="cells"]').inner_text() == "3 cells"
    assert status.locator('[data-stat="sum"]').inner_text() == "Sum 7.7500"
    assert status.locator('[data-stat="average"]').inner_text() == "Average of shown values 2.5833"

    cells.nth(1).click(modifiers=["Control"])  # drop the middle one
    assert status.locator('[data-stat="sum"]').inner_text() == "Sum 5.5000"

    staff_page.locator('#summary-table thead th[data-col="asr"]').click()  # a whole ratio column
    assert status.locator('[data-stat="sum"]').inner_text() == "Sum n/a"
    assert status.locator('[data-stat="average"]').inner_text() == "Average of shown values 60.00"
