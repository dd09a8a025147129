import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def test_staff_add_cli_rules_and_move_one_up_on_the_cli_tab(staff_page):
    customer = CustomerFactory()
    page = staff_page
    page.goto(f"/customers/{customer.pk}/?tab=cli")
    assert "No CLI rules" in page.inner_text("#cli-restriction-note")

    for pattern in ("^44", "^33"):
        page.click("#cli-rule-add")
        page.wait_for_selector("#cli-rule-edit-form")
        page.fill("#id_cli_pattern", pattern)
        page.click("#cli-rule-edit-form button[type=submit]")
        page.wait_for_selector(f"#cli-rule-table code:text-is('{pattern}')")
    assert "CLI restriction is on" in page.inner_text("#cli-restriction-note")

    page.click("#cli-rule-add")
    page.fill("#id_cli_pattern", "(")
    page.click("#cli-rule-edit-form button[type=submit]")
    page.wait_for_selector("#cli-rule-edit-form .invalid-feedback")
    assert "Not a valid regular expression" in page.inner_text("#cli-rule-edit-form")

    page.click("button[aria-label='Move rule 2 up']")
    page.wait_for_selector("text=moved up")
    first = page.locator("#cli-rule-table tbody tr").first.inner_text()
    assert "^33" in first
