import pytest

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_basic(page, name):
    page.click("#tab-basic")
    page.fill("#id_name", name)
    page.select_option("#id_currency", "EUR")


def test_server_error_on_hidden_tab_is_marked_and_opened(staff_page):
    page = staff_page
    page.goto("/customers/new/")
    page.click("#tab-config")
    page.fill("#id_vars", "[routing\nprofile = 1")
    fill_basic(page, "Browser Telecom")
    assert page.is_visible("#id_name") and not page.is_visible("#id_vars")
    page.click("button[value=continue]")

    page.wait_for_selector("#form-error-summary")
    config_tab = page.locator("#tab-config")
    assert "cx-tab-error" in config_tab.get_attribute("class")
    assert "active" in config_tab.get_attribute("class")
    assert page.is_visible("#id_vars")
    assert "Not valid TOML. Line 1" in page.inner_text("#pane-config")
    assert "cx-tab-error" not in page.locator("#tab-basic").get_attribute("class")
    assert not Customer.objects.exists()

    page.fill("#id_vars", '[routing]\nprofile = "gold"\n')
    page.click("button[value=continue]")
    page.wait_for_selector("#customer-header")
    assert Customer.objects.get().name == "Browser Telecom"


def test_browser_validation_on_hidden_tab_marks_and_opens_it(staff_page):
    page = staff_page
    page.goto("/customers/new/")
    page.click("#tab-config")
    page.fill("#id_paypal_email", "not-an-email")
    fill_basic(page, "Client Side Co")
    page.click("button[value=continue]")
    page.wait_for_function("document.querySelector('#tab-config').classList.contains('cx-tab-error')")
    page.wait_for_selector("#id_paypal_email", state="visible")
    assert page.url.endswith("/customers/new/")
    assert not Customer.objects.exists()


def test_top_up_currencies_are_picked_by_typing_in_a_searchable_list(staff_page):
    page = staff_page
    page.goto("/customers/new/")
    fill_basic(page, "Search Select Co")
    assert page.locator("select#id_topup_currencies.tomselected + .ts-wrapper").count() == 1
    control = page.locator("#id_topup_currencies-ts-control")
    control.click()
    control.fill("swiss")
    page.locator(".ts-dropdown .option", has_text="CHF").click()
    control.fill("yen")
    page.locator(".ts-dropdown .option", has_text="JPY").click()
    page.keyboard.press("Escape")
    page.click("button[value=continue]")
    page.wait_for_url("**/customers/*/")
    assert Customer.objects.get(name="Search Select Co").topup_currencies == ["CHF", "JPY"]
