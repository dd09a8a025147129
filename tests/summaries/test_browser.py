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


def _three_days(name):
    customer = CustomerFactory(name=name)
    day = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    hours = [HourlySummaryFactory(customer=customer, hour=day - timedelta(days=days_ago), charge=Decimal(charge)).hour
             for days_ago, charge in [(1, "1.5"), (2, "2.25"), (3, "4")]]
    with connection.cursor() as cursor:
        summary_resum_days(customer_ids=[customer.pk], hours=hours, cursor=cursor)
    return customer


@pytest.mark.browser
def test_a_rectangle_across_columns_and_rows_is_copied_from_the_right_click_menu(staff_page):
    customer = _three_days("Rectangle Co")
    page = staff_page
    page.goto(f"/customers/{customer.pk}/")
    page.click('#section-summary [data-period="daily"]')
    page.wait_for_selector('#summary-selection[data-kind="daily"]')
    rows = page.locator("#summary-table tbody tr")
    labels = [rows.nth(i).locator('td[data-col="period"]').inner_text() for i in range(2)]

    # Drag from Attempts of the first row to Answered of the second: 2 rows × 2 columns.
    rows.nth(0).locator('td[data-col="attempts"]').hover()
    page.mouse.down()
    rows.nth(1).locator('td[data-col="answered"]').hover()
    page.mouse.up()
    status = page.locator("#section-summary .cx-selection-status")
    assert status.locator('[data-stat="cells"]').inner_text() == "4 cells"
    assert status.locator('[data-stat="columns"]').inner_text() == "2 columns"

    def menu(action):
        rows.nth(0).locator('td[data-col="attempts"]').click(button="right")
        page.click(f'.cx-context-menu [data-context-action="{action}"]')
        return page.evaluate("window.cxLastCopied")

    assert menu("copy") == "10\t6\n10\t6"
    assert menu("copy-headers") == f"Day (UTC)\tAttempts\tAnswered\n{labels[0]}\t10\t6\n{labels[1]}\t10\t6"
    assert menu("copy-groups").split("\n")[0] == "Period\tTraffic\tTraffic"

    # Shift-click extends from the anchor to a rectangle reaching the Charge column of the third row.
    rows.nth(0).locator('td[data-col="attempts"]').click()
    rows.nth(2).locator('td[data-col="charge"]').click(modifiers=["Shift"])
    assert status.locator('[data-stat="cells"]').inner_text() == "24 cells"  # 3 rows × 8 columns
    with page.expect_download() as download:
        rows.nth(1).locator('td[data-col="asr"]').click(button="right")
        page.click('.cx-context-menu [data-context-action="csv"]')
    text = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert text[0].startswith("Day (UTC),Attempts,Answered,ASR %") and text[0].endswith("Charge (USD)")
    assert len(text) == 4 and text[3].endswith(",4.0000")
