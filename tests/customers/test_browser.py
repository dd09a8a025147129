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


def test_allowed_windows_are_drawn_by_dragging_on_the_week_grid(staff_page):
    from datetime import time

    page = staff_page
    page.goto("/customers/new/")
    fill_basic(page, "Grid Telecom")
    page.click("#tab-daytime")
    page.select_option("#id_timezone", "Asia/Tokyo")
    assert page.inner_text("#week-grid-zone") == "Asia/Tokyo"

    def drag(day, first, last):
        start = page.locator(f'#week-grid tr[data-day="{day}"] td[data-slot="{first}"]').bounding_box()
        end = page.locator(f'#week-grid tr[data-day="{day}"] td[data-slot="{last}"]').bounding_box()
        page.mouse.move(start["x"] + 3, start["y"] + 3)
        page.mouse.down()
        page.mouse.move(end["x"] + 3, end["y"] + 3, steps=12)
        page.mouse.up()

    drag(0, 18, 33)  # Monday 09:00–17:00
    drag(4, 44, 47)  # Friday 22:00–24:00
    drag(0, 24, 25)  # starting on a shaded cell clears: Monday 12:00–13:00 off
    assert page.inner_text("#week-grid-summary") == "Mon 09:00–12:00, Mon 13:00–17:00, Fri 22:00–24:00"
    # A drag over several days shades the same hours on each.
    start = page.locator('#week-grid tr[data-day="1"] td[data-slot="18"]').bounding_box()
    end = page.locator('#week-grid tr[data-day="3"] td[data-slot="19"]').bounding_box()
    page.mouse.move(start["x"] + 3, start["y"] + 3)
    page.mouse.down()
    page.mouse.move(end["x"] + 3, end["y"] + 3, steps=5)
    page.mouse.up()
    assert "Tue 09:00–10:00, Wed 09:00–10:00, Thu 09:00–10:00" in page.inner_text("#week-grid-summary")
    page.click("button[value=continue]")
    page.wait_for_selector("#customer-header")

    customer = Customer.objects.get(name="Grid Telecom")
    assert customer.timezone == "Asia/Tokyo"
    assert [(w.weekday, w.start, w.end) for w in customer.allowed_windows.order_by("weekday", "start")] == [
        (0, time(9), time(12)), (0, time(13), time(17)), (1, time(9), time(10)), (2, time(9), time(10)),
        (3, time(9), time(10)), (4, time(22), time(0))]

    page.goto(f"/customers/{customer.pk}/edit/")
    page.click("#tab-daytime")
    shaded = page.locator("#week-grid td.on")
    assert shaded.count() == 6 + 8 + 3 * 2 + 4  # half-hours
    assert page.locator('#week-grid tr[data-day="4"] td[data-slot="47"].on').count() == 1
