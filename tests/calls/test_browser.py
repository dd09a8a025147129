import os

import pytest

from tests.routing.helpers import customer_with_route, provider

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("CONNEX_SCREENSHOTS")


def test_staff_simulates_a_call_from_the_card_and_reads_the_trace(staff_page):
    from routing.cache import routing_cache

    routing_cache.clear()
    provider({"4479": "0.0600"}, name="Cheap Carrier")
    provider({"4479": "0.2000"}, name="Dear Carrier")
    customer, _ = customer_with_route(profit_assurance=True)
    page = staff_page
    page.goto(f"/customers/{customer.pk}/?tab=calls")
    page.fill("#id_dialed", "447911123456")
    page.fill("#id_cli", "442071234567")
    page.click("#simulate-run")
    page.wait_for_selector(".trace-steps")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/simulate-trace.png", full_page=True)

    steps = page.locator(".trace-step").all_inner_texts()
    assert any("Cheap Carrier" in s and "kept" in s for s in steps)
    assert any("Dear Carrier" in s and "profit assurance" in s for s in steps)
    assert page.locator("#attempt-table tr[data-attempt]").count() == 1
    assert "200 allowed" in page.inner_text("#attempt-trace")
