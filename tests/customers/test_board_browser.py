"""Board selection in the browser."""

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def test_all_matching_counts_every_matching_customer_and_marks_rows_selected(staff_page):
    for index in range(60):
        CustomerFactory(name=f"Match {index:02d}", status="active")
    CustomerFactory(name="Other", status="inactive")
    page = staff_page
    page.goto("/customers/?status=active")
    buttons = page.locator("#selection-form button[data-needs-selection]")
    assert "(0)" in buttons.first.inner_text()

    page.check("#select-all-matching")
    assert page.inner_text("label[for=select-all-matching]") == "All 60 matching"
    assert "Delete (60)" in page.locator("#selection-form button", has_text="Delete").inner_text()
    assert "Edit (60)" in page.locator("#selection-form button", has_text="Edit").inner_text()
    rows = page.locator("#customer-table tbody tr")
    assert rows.count() == 50
    assert page.locator("#customer-table tbody tr.cx-row-selected").count() == 50
    assert page.locator("#customer-table tbody input[name=pk]:checked").count() == 50

    page.uncheck("#select-all-matching")
    assert page.locator("#customer-table tbody tr.cx-row-selected").count() == 0
    assert "Edit (0)" in page.locator("#selection-form button", has_text="Edit").inner_text()
    page.locator("#customer-table tbody input[name=pk]").nth(2).check()
    assert "Edit (1)" in page.locator("#selection-form button", has_text="Edit").inner_text()
    assert page.locator("#customer-table tbody tr.cx-row-selected").count() == 1
