import os

import pytest

from numberblocks.models import NumberRangeOptions
from sipauth.models import SipUser
from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("CONNEX_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_staff_assigns_block_then_adds_sip_user_in_it(staff_page):
    customer = CustomerFactory(name="Browser Telecom")
    page = staff_page
    page.goto(f"/customers/{customer.pk}/")
    page.click("#block-assign")
    page.wait_for_selector("#block-options-undefined.show")
    shot(page, "blocks-undefined")
    assert page.locator("#block-options-undefined a").get_attribute("href") == "/settings/number-blocks/"

    NumberRangeOptions.objects.update_or_create(pk=1, defaults={"number_range_start": 1000, "block_size": 100})
    page.reload()
    page.click("#block-assign")
    page.wait_for_selector("#number-blocks tr[data-block='1000']")
    shot(page, "blocks-assigned")

    page.click("[data-tab=auth]")
    page.click("#sip-user-add")
    page.wait_for_selector("#sip-user-edit-form")
    assert page.input_value("#id_extension") == "1000"
    page.fill("#id_extension", "2000")
    page.click("#sip-user-edit-form button[type=submit]")
    page.wait_for_selector("#sip-user-edit-form .invalid-feedback")
    assert "allowed: 1000–1099" in page.inner_text("#sip-user-edit-form")
    shot(page, "sip-user-form-error")
    page.fill("#id_extension", "1000")
    page.click("#sip-user-edit-form button[type=submit]")
    page.wait_for_selector("#sip-user-table tr[data-extension='1000']")
    password = page.inner_text("#sip-password")
    assert SipUser.objects.get(extension=1000).check_password(password)
    page.click("#ip-entry-add")
    page.fill("#id_address", "sbc.browser.test")
    page.fill("#id_codecs", "PCMA, G729")
    page.fill("#id_tech_prefix", "12")
    page.click("#ip-entry-edit-form button[type=submit]")
    page.wait_for_selector("#ip-entry-table tr[data-address='sbc.browser.test']")
    shot(page, "auth-tab")
    assert SipUser.objects.get().customer == customer
    page.goto("/settings/number-blocks/")
    shot(page, "options")
