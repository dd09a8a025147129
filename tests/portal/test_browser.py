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


@pytest.mark.browser
def test_a_contact_repoints_a_number_and_sets_its_alert_in_the_browser(staff_page):
    from alerts.services import low_balance_alert_get
    from dids.models import Did
    from tests.factories import DidFactory, RateCardFactory, SipUserFactory

    staff = get_user_model().objects.get(username="browser-staff")
    staff.user_permissions.add(Permission.objects.get(codename="portal_login"))
    customer = CustomerFactory(name="Gotham Numbers", currency="GBP")
    ContactFactory(customer=customer, name="Lucius Fox")
    card = RateCardFactory(kind="customer", direction="origination", currency="GBP")
    did = DidFactory(customer=customer, customer_card=card, number="442071838751", portal_can_edit_destination=True,
                     destination_type="uri", destination_uri="sip:100@pbx.gotham.example")
    DidFactory(customer=customer, customer_card=card, number="442071838752", destination_type="uri",
               destination_uri="sip:200@pbx.gotham.example")
    sip_user = SipUserFactory(customer=customer, extension=7100)
    page = staff_page
    page.goto(f"/customers/{customer.pk}/")
    page.click("#customer-name-menu")
    page.get_by_role("button", name="Lucius Fox").click()
    page.wait_for_url("**/portal/")

    page.goto("/portal/dids/")
    page.select_option(f"#id_did{did.pk}-destination_type", "sip_user")
    page.select_option(f"#id_did{did.pk}-sip_user", str(sip_user.pk))
    page.screenshot(path="/tmp/portal-dids.png", full_page=True)
    page.locator(f"#did-{did.pk} button[type=submit]").click()
    page.wait_for_url("**/portal/dids/")
    did.refresh_from_db()
    assert did.destination_type == Did.DestinationType.SIP_USER

    page.goto("/portal/alerts/")
    page.fill("#id_threshold", "15")
    page.fill("#id_recipients", "noc@gotham.example")
    page.screenshot(path="/tmp/portal-alerts.png", full_page=True)
    page.click("#low-balance-alert button[type=submit]")
    page.wait_for_url("**/portal/alerts/")
    assert low_balance_alert_get(customer=customer).recipients == ["noc@gotham.example"]
