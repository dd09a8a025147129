"""Headless screenshots of the main pages for docs/screenshots/, against a running server with demo data.

    python scripts/screenshots.py http://127.0.0.1:8000 STAFF_USER STAFF_PASSWORD CONTACT_EMAIL CONTACT_PASSWORD
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main(base, user, password, contact_email, contact_password, customer_id="1"):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"])
        page = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=base).new_page()
        page.goto("/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/customers/")
        page.goto("/customers/?group=account_manager&group=status")
        page.screenshot(path=OUT / "board-grouped.png")
        page.goto(f"/customers/{customer_id}/")
        page.screenshot(path=OUT / "card.png")
        page.click('#section-summary [data-period="daily"]')
        page.wait_for_selector('#summary-selection[data-kind="daily"]')
        rows = page.locator("#summary-table tbody tr")
        rows.nth(1).locator('td[data-col="attempts"]').click()
        rows.nth(5).locator('td[data-col="charge"]').click(modifiers=["Shift"])
        box = rows.nth(5).locator('td[data-col="charge"]').bounding_box()
        page.mouse.click(box["x"] + 10, box["y"] + 8, button="right")
        page.locator("#section-summary").screenshot(path=OUT / "summary-selection.png")
        page.keyboard.press("Escape")
        page.goto("/customers/new/")
        page.screenshot(path=OUT / "customer-form.png")
        page.goto("/customers/999999/")
        page.screenshot(path=OUT / "404.png")
        portal = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=base).new_page()
        portal.goto("/portal/login/")
        portal.fill("input[name=email]", contact_email)
        portal.fill("input[name=password]", contact_password)
        portal.click("button[type=submit]")
        portal.wait_for_url("**/portal/")
        portal.wait_for_timeout(500)
        portal.screenshot(path=OUT / "portal-dashboard.png")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
