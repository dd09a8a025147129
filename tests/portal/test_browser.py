import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tests.factories import ContactFactory, CustomerFactory


@pytest.mark.browser
def test_staff_portal_login_from_card_and_back(staff_page):
    staff = get_user_model().objects.get(username="browser-staff")
    staff.user_permissions.add(Permission.objects.get(codename="portal_login"))
    customer = CustomerFactory(name="Wayne Telecom", balance="321.00", currency="GBP")
    ContactFactory(customer=customer, name="Bruce Ops", public_notes="Your NOC line: +44 20 7183 8750")
    page = staff_page

    page.goto(f"/customers/{customer.pk}/")
    page.click("#customer-name-menu")
    page.get_by_role("button", name="Bruce Ops").click()
    page.wait_for_url("**/portal/")
    banner = page.locator("#impersonation-banner")
    assert "Viewing as Bruce Ops of Wayne Telecom" in banner.inner_text()
    assert "321.00 GBP" in page.locator("#portal-figures").inner_text()
    assert "Your NOC line" in page.content()
    page.screenshot(path="/tmp/issue4-portal-login.png", full_page=True)

    page.click("#impersonation-end")
    page.wait_for_url(f"**/customers/{customer.pk}/")
    assert page.locator("#section-contacts").is_visible()
    page.goto("/portal/")
    assert "/portal/login/" in page.url
