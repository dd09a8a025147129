"""Portal Login: staff with the dedicated permission open the portal as a contact."""

import pytest
from django.contrib.auth.models import Permission

from customers.models import ApprovedCLI
from portal.models import PortalEvent
from tests.factories import ContactFactory, CustomerFactory, PortalStaffFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return ContactFactory(name="Nora Ops", customer=CustomerFactory(name="Acme Telecom", approved_clis_only=True),
                          ip_whitelist=["10.9.9.9"])


@pytest.fixture
def operator(client):
    user = PortalStaffFactory(username="olivia")
    client.force_login(user)
    return user


def start(client, contact, ip="192.0.2.44"):
    return client.post(f"/portal/impersonate/{contact.pk}/", REMOTE_ADDR=ip)


def test_staff_with_permission_sees_banner_and_customers_dashboard(client, operator, contact):
    response = start(client, contact)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    html = client.get("/portal/").content.decode()
    assert "Viewing as Nora Ops of Acme Telecom" in html
    assert 'action="/portal/impersonate/end/"' in html and "Back to panel" in html
    assert "Acme Telecom" in html.split('id="portal-figures"')[1]


def test_start_is_audited_with_staff_contact_time_and_address(client, operator, contact):
    start(client, contact)
    event = PortalEvent.objects.get(kind=PortalEvent.Kind.IMPERSONATION_START)
    assert (event.staff_user, event.contact, event.customer, event.ip) == (operator, contact, contact.customer,
                                                                          "192.0.2.44")
    assert event.created is not None


def test_contact_ip_whitelist_does_not_apply_to_impersonating_staff(client, operator, contact):
    # The contact may only sign in from 10.9.9.9; the staff member comes from elsewhere.
    start(client, contact, ip="203.0.113.50")
    assert client.get("/portal/", REMOTE_ADDR="203.0.113.50").status_code == 200


def test_end_returns_to_the_card_and_is_audited(client, operator, contact):
    start(client, contact)
    response = client.post("/portal/impersonate/end/", REMOTE_ADDR="192.0.2.45")
    assert response.status_code == 302 and response["Location"] == f"/customers/{contact.customer_id}/"
    end = PortalEvent.objects.get(kind=PortalEvent.Kind.IMPERSONATION_END)
    assert (end.staff_user, end.contact, end.ip) == (operator, contact, "192.0.2.45")
    assert client.get("/portal/").status_code == 302  # the portal session is over
    assert client.get(f"/customers/{contact.customer_id}/").status_code == 200  # the panel session is not


def test_changes_while_impersonating_record_both_identities(client, operator, contact):
    start(client, contact)
    client.post("/portal/clis/", {"number": "+442071838750"})
    event = ApprovedCLI.pgh_event_model.objects.get(pgh_label="approved_cli.created")
    metadata = event.pgh_context.metadata
    assert metadata["actor_type"] == "impersonation"
    assert metadata["impersonator"] == "olivia" and metadata["user"] == operator.pk
    assert metadata["contact_id"] == contact.pk and metadata["actor"] == contact.email


def test_staff_without_permission_is_refused(client, contact):
    client.force_login(StaffFactory(username="finance", groups=["Finance"]))
    response = client.post(f"/portal/impersonate/{contact.pk}/")
    assert response.status_code == 403
    assert client.get("/portal/").status_code == 302
    assert not PortalEvent.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "contact"])
def test_non_staff_cannot_impersonate(client, portal_login, contact, who):
    if who == "contact":
        portal_login(client, ContactFactory(customer=contact.customer))
    assert start(client, contact).status_code == 404
    assert not PortalEvent.objects.filter(kind=PortalEvent.Kind.IMPERSONATION_START).exists()


def test_get_does_not_start_impersonation(client, operator, contact):
    assert client.get(f"/portal/impersonate/{contact.pk}/").status_code == 405


def test_portal_login_ends_when_permission_is_withdrawn(client, operator, contact):
    start(client, contact)
    operator.user_permissions.remove(Permission.objects.get(codename="portal_login"))
    assert client.get("/portal/").status_code == 302


def test_portal_login_ends_with_the_panel_session(client, operator, contact):
    start(client, contact)
    client.post("/logout/")
    assert client.get("/portal/").status_code == 302


def test_contact_own_sign_in_shows_no_banner(client, portal_login, contact):
    contact.ip_whitelist = []
    contact.save()
    portal_login(client, contact)
    assert "Viewing as" not in client.get("/portal/").content.decode()


def test_sign_out_while_impersonating_ends_portal_login(client, operator, contact):
    start(client, contact)
    response = client.post("/portal/logout/")
    assert response["Location"] == f"/customers/{contact.customer_id}/"
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.IMPERSONATION_END, staff_user=operator).exists()
