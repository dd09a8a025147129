"""Portal self-service: the customer's DIDs (destinations where staff allow), package minutes left, and its
own low-balance alert; every change audited with the contact (and staff under Portal Login) as actor."""

from decimal import Decimal

import pytest

from alerts.services import low_balance_alert_get
from customers.models import PortalSection
from dids.models import Did
from portal.models import PortalEvent
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    DidFactory,
    IpAuthEntryFactory,
    PackageFactory,
    PackageSubscriptionFactory,
    PortalStaffFactory,
    RateCardFactory,
    SipUserFactory,
)

pytestmark = pytest.mark.django_db


def assigned_did(customer, **kwargs):
    card = RateCardFactory(kind="customer", direction="origination", currency=customer.currency)
    return DidFactory(customer=customer, customer_card=card, **kwargs)


@pytest.fixture
def customer():
    return CustomerFactory(name="Numbers Ltd")


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, name="Nina Numbers")


# DIDs and packages -------------------------------------------------------------------------------

def test_the_page_lists_the_customers_numbers_and_free_minutes_left(client, portal_login, contact, customer):
    assigned_did(customer, number="442071830001", destination_type="uri", destination_uri="sip:1@pbx.example.com")
    assigned_did(CustomerFactory(), number="442071839999")
    package = PackageFactory(name="UK 1000", currency=customer.currency, kind="free_minutes", free_minutes=1000)
    PackageSubscriptionFactory(customer=customer, package=package)
    portal_login(client, contact)
    page = client.get("/portal/dids/").content.decode()
    assert "+442071830001" in page and "sip:1@pbx.example.com" in page
    assert "+442071839999" not in page
    assert "UK 1000" in page and "1000.0" in page
    assert 'action="/portal/dids/' not in page  # staff have not let the customer edit destinations


def test_a_contact_points_an_editable_number_at_its_own_sip_user(client, portal_login, contact, customer):
    did = assigned_did(customer, portal_can_edit_destination=True)
    sip_user = SipUserFactory(customer=customer, extension=7001)
    portal_login(client, contact)
    assert f'action="/portal/dids/{did.pk}/destination/"' in client.get("/portal/dids/").content.decode()
    response = client.post(f"/portal/dids/{did.pk}/destination/",
                           {f"did{did.pk}-destination_type": "sip_user", f"did{did.pk}-sip_user": sip_user.pk})
    assert response.status_code == 302
    did.refresh_from_db()
    assert did.destination_type == Did.DestinationType.SIP_USER and did.sip_user == sip_user
    event = PortalEvent.objects.get(kind=PortalEvent.Kind.DID_DESTINATION_CHANGED)
    assert event.contact == contact and event.staff_user is None and event.detail["number"] == did.number


def test_a_number_staff_keep_is_refused(client, portal_login, contact, customer):
    did = assigned_did(customer, destination_type="uri", destination_uri="sip:1@pbx.example.com")
    portal_login(client, contact)
    response = client.post(f"/portal/dids/{did.pk}/destination/",
                           {f"did{did.pk}-destination_type": "uri", f"did{did.pk}-destination_uri": "sip:2@x.example"})
    assert response.status_code == 403
    did.refresh_from_db()
    assert did.destination_uri == "sip:1@pbx.example.com"
    assert not PortalEvent.objects.filter(kind=PortalEvent.Kind.DID_DESTINATION_CHANGED).exists()


def test_a_bad_destination_is_shown_beside_the_field_and_nothing_changes(client, portal_login, contact, customer):
    did = assigned_did(customer, portal_can_edit_destination=True, destination_type="uri",
                       destination_uri="sip:1@pbx.example.com")
    theirs = IpAuthEntryFactory(customer=CustomerFactory())
    portal_login(client, contact)
    response = client.post(f"/portal/dids/{did.pk}/destination/",
                           {f"did{did.pk}-destination_type": "uri", f"did{did.pk}-destination_uri": "not a uri"})
    assert response.status_code == 422
    assert "Enter a SIP URI" in response.content.decode()
    # Another customer's IP entry is not even a choice.
    response = client.post(f"/portal/dids/{did.pk}/destination/",
                           {f"did{did.pk}-destination_type": "ip_entry", f"did{did.pk}-ip_entry": theirs.pk})
    assert response.status_code == 422
    did.refresh_from_db()
    assert did.destination_uri == "sip:1@pbx.example.com" and did.ip_entry is None


def test_the_sections_are_hidden_unless_portal_access_shows_them(client, portal_login, contact, customer):
    customer.portal_access = [PortalSection.BALANCE]
    customer.save(update_fields=["portal_access"])
    portal_login(client, contact)
    assert client.get("/portal/dids/").status_code == 404
    assert client.get("/portal/alerts/").status_code == 404
    page = client.get("/portal/").content.decode()
    assert "/portal/dids/" not in page and "/portal/alerts/" not in page


# Alerts ------------------------------------------------------------------------------------------

def test_a_contact_sets_its_low_balance_alert(client, portal_login, contact, customer):
    portal_login(client, contact)
    assert client.get("/portal/alerts/").status_code == 200
    response = client.post("/portal/alerts/", {"enabled": "on", "threshold": "25", "reset_threshold": "40",
                                               "recipients": "ops@numbers.example, money@numbers.example"})
    assert response.status_code == 302
    alert = low_balance_alert_get(customer=customer)
    assert alert.threshold == Decimal("25") and alert.reset_threshold == Decimal("40") and alert.enabled
    assert alert.recipients == ["ops@numbers.example", "money@numbers.example"]
    page = client.get("/portal/alerts/").content.decode()
    assert "ops@numbers.example, money@numbers.example" in page
    event = PortalEvent.objects.get(kind=PortalEvent.Kind.LOW_BALANCE_ALERT_CHANGED)
    assert event.contact == contact and Decimal(event.detail["threshold"]) == Decimal("25")


def test_alert_errors_are_shown_beside_the_fields(client, portal_login, contact, customer):
    portal_login(client, contact)
    response = client.post("/portal/alerts/", {"threshold": "", "recipients": "not-an-address"})
    assert response.status_code == 422
    assert 'id="field-threshold"' in response.content.decode()
    assert response.context["form"].errors["threshold"]
    response = client.post("/portal/alerts/", {"threshold": "10", "recipients": "not-an-address"})
    assert response.status_code == 422
    assert response.context["form"].errors["recipients"]
    assert low_balance_alert_get(customer=customer) is None


def test_changes_under_portal_login_name_both_identities(client, contact, customer):
    did = assigned_did(customer, portal_can_edit_destination=True)
    staff = PortalStaffFactory(username="care")
    client.force_login(staff)
    client.post(f"/portal/impersonate/{contact.pk}/")
    client.post(f"/portal/dids/{did.pk}/destination/",
                {f"did{did.pk}-destination_type": "uri", f"did{did.pk}-destination_uri": "sip:9@pbx.example.com"})
    client.post("/portal/alerts/", {"enabled": "on", "threshold": "5"})
    for kind in (PortalEvent.Kind.DID_DESTINATION_CHANGED, PortalEvent.Kind.LOW_BALANCE_ALERT_CHANGED):
        event = PortalEvent.objects.get(kind=kind)
        assert event.contact == contact and event.staff_user == staff
