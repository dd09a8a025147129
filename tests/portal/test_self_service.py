"""Portal self-service: SIP users within the customer's blocks, its live rates, and contacts
managed by the customer's administrators; every change audited with the contact (and staff) as actor."""

import csv
import io
from decimal import Decimal

import pghistory.models
import pytest
from django.core import mail

from contacts.models import Contact
from customers.models import PortalSection
from portal.models import PortalEvent
from sipauth.models import SipUser, digest_ha1
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    IngressRouteFactory,
    IpAuthEntryFactory,
    NumberBlockFactory,
    PortalStaffFactory,
    RateRevisionFactory,
    RateRowFactory,
    SipUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = CustomerFactory(name="Self Service Ltd")
    NumberBlockFactory(customer=customer, start=5000, end=5009)
    return customer


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, portal_admin=True, name="Ada Admin")


# SIP users ---------------------------------------------------------------------------------------

def test_a_contact_adds_a_sip_user_in_its_block_and_sees_the_password_once(client, portal_login, contact):
    portal_login(client, contact)
    page = client.get("/portal/sip-users/").content.decode()
    assert 'value="5000"' in page  # the next free extension is suggested
    response = client.post("/portal/sip-users/", {"extension": "5003"})
    assert response.status_code == 200
    sip_user = SipUser.objects.get(extension=5003, customer=contact.customer)
    password = response.context["shown_password"][1]
    assert sip_user.ha1 == digest_ha1("5003", sip_user.realm, password)
    assert password in response.content.decode()
    assert password not in client.get("/portal/sip-users/").content.decode()  # shown once


def test_a_sip_user_outside_the_customers_blocks_is_refused(client, portal_login, contact):
    other_block = NumberBlockFactory(start=6000, end=6009)
    portal_login(client, contact)
    for extension in ("4999", "5010", "6001"):
        response = client.post("/portal/sip-users/", {"extension": extension})
        assert response.status_code == 422
        assert "outside your number blocks (5000–5009)" in response.content.decode()
    assert not SipUser.objects.exists() and other_block.customer_id != contact.customer_id


def test_a_customer_without_blocks_cannot_add_sip_users_from_the_portal(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory())
    portal_login(client, contact)
    response = client.post("/portal/sip-users/", {"extension": "123"})
    assert response.status_code == 422 and "no number blocks" in response.content.decode()


def test_a_contact_changes_and_deletes_its_sip_users_and_sees_ip_entries(client, portal_login, contact):
    sip_user = SipUserFactory(customer=contact.customer, extension=5001)
    IpAuthEntryFactory(customer=contact.customer, address="198.51.100.7")
    portal_login(client, contact)
    page = client.get("/portal/sip-users/").content.decode()
    assert "198.51.100.7" in page and "/portal/ip" not in page  # read-only: no actions on entries
    old = sip_user.ha1
    response = client.post(f"/portal/sip-users/{sip_user.pk}/password/")
    sip_user.refresh_from_db()
    assert sip_user.ha1 != old and response.context["shown_password"][1] in response.content.decode()
    client.post(f"/portal/sip-users/{sip_user.pk}/delete/")
    assert not SipUser.objects.filter(pk=sip_user.pk).exists()
    kinds = list(PortalEvent.objects.filter(contact=contact).values_list("kind", flat=True))
    assert {"sip_user_password", "sip_user_deleted"} <= set(kinds)


def test_sip_changes_are_audited_with_the_contact_and_under_portal_login_with_both(client, contact):
    staff = PortalStaffFactory(username="care")
    client.force_login(staff)
    client.post(f"/portal/impersonate/{contact.pk}/")
    client.post("/portal/sip-users/", {"extension": "5004"})
    event = PortalEvent.objects.get(kind=PortalEvent.Kind.SIP_USER_ADDED)
    assert event.contact == contact and event.staff_user == staff
    history = pghistory.models.Events.objects.filter(pgh_label="sipuser.created").last()
    assert history.pgh_context["actor"] == contact.email and history.pgh_context["impersonator"] == "care"


def test_the_sip_users_page_follows_portal_access(client, portal_login, contact):
    contact.customer.portal_access = [PortalSection.BALANCE]
    contact.customer.save()
    portal_login(client, contact)
    assert client.get("/portal/sip-users/").status_code == 404
    assert "SIP users" not in client.get("/portal/").content.decode()


# Rates -------------------------------------------------------------------------------------------

@pytest.fixture
def deck(customer):
    route = IngressRouteFactory(customer=customer)
    revision = RateRevisionFactory(card=route.rate_card)
    RateRowFactory(revision=revision, prefix="44", name="United Kingdom", rate=Decimal("0.0100"))
    RateRowFactory(revision=revision, prefix="447", name="United Kingdom mobile", rate=Decimal("0.0300"))
    RateRowFactory(revision=revision, prefix="33", name="=France", rate=Decimal("0.0200"))
    other = IngressRouteFactory()  # another customer's card never shows
    RateRowFactory(revision=RateRevisionFactory(card=other.rate_card), prefix="49", name="Secret Germany")
    return revision


def test_a_contact_searches_its_live_rates_by_prefix_and_by_number(client, portal_login, contact, deck):
    portal_login(client, contact)
    page = client.get("/portal/rates/").content.decode()
    assert "United Kingdom mobile" in page and "Secret Germany" not in page
    page = client.get("/portal/rates/?q=44").content.decode()
    assert "United Kingdom" in page and "France" not in page
    page = client.get("/portal/rates/?q=%2B447911123456").content.decode()
    assert "priced by prefix <strong>447</strong>" in page


def test_the_rates_csv_holds_the_whole_deck_safely(client, portal_login, contact, deck):
    portal_login(client, contact)
    response = client.get("/portal/rates/?_export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["card", "prefix", "destination"]
    assert sorted(row[1] for row in rows[1:]) == ["33", "44", "447"]
    assert "'=France" in [row[2] for row in rows]  # a formula is defused


# Contacts ----------------------------------------------------------------------------------------

def test_an_administrator_invites_resets_and_removes_contacts(client, portal_login, contact,
                                                              django_capture_on_commit_callbacks):
    portal_login(client, contact)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/contacts/", {"name": "Bob New", "email": "bob@self.example"})
    assert response.status_code == 302
    bob = Contact.objects.get(email="bob@self.example")
    assert bob.customer == contact.customer and bob.has_password and not bob.portal_admin
    assert mail.outbox[-1].to == ["bob@self.example"]
    old = bob.password
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portal/contacts/{bob.pk}/reset/")
    bob.refresh_from_db()
    assert bob.password != old and len(mail.outbox) == 2
    client.post(f"/portal/contacts/{bob.pk}/remove/")
    assert not Contact.objects.filter(pk=bob.pk).exists()
    kinds = set(PortalEvent.objects.filter(contact=contact).values_list("kind", flat=True))
    assert {"contact_invited", "contact_reset", "contact_removed"} <= kinds


def test_an_invitation_with_a_taken_email_is_refused_beside_the_field(client, portal_login, contact):
    ContactFactory(email="taken@example.test")
    portal_login(client, contact)
    response = client.post("/portal/contacts/", {"name": "Dup", "email": "taken@example.test"})
    assert response.status_code == 422 and "Another contact already uses this email" in response.content.decode()
    assert Contact.objects.filter(email__iexact="taken@example.test").count() == 1


def test_the_last_administrator_cannot_be_removed_or_demoted(client, portal_login, contact):
    helper = ContactFactory(customer=contact.customer)
    portal_login(client, contact)
    response = client.post(f"/portal/contacts/{contact.pk}/admin/", {"portal_admin": "0"}, follow=True)
    assert "needs at least one administrator" in response.content.decode()
    contact.refresh_from_db()
    assert contact.portal_admin
    client.post(f"/portal/contacts/{helper.pk}/admin/", {"portal_admin": "1"})
    helper.refresh_from_db()
    assert helper.portal_admin
    client.post(f"/portal/contacts/{contact.pk}/admin/", {"portal_admin": "0"})
    contact.refresh_from_db()
    assert not contact.portal_admin  # another administrator remains


def test_removing_the_last_administrator_is_refused(customer):
    from django.core.exceptions import ValidationError

    from portal.selfservice import contact_remove

    admin_a = ContactFactory(customer=customer, portal_admin=True)
    admin_b = ContactFactory(customer=customer, portal_admin=True)
    contact_remove(actor=admin_a, contact=admin_b)
    with pytest.raises(ValidationError):
        contact_remove(actor=admin_a, contact=admin_a)
    assert Contact.objects.filter(pk=admin_a.pk, portal_admin=True).exists()


def test_a_contact_who_is_not_administrator_only_reads_the_list(client, portal_login, contact):
    plain = ContactFactory(customer=contact.customer)
    portal_login(client, plain)
    page = client.get("/portal/contacts/").content.decode()
    assert contact.name in page and "Invite a contact" not in page
    assert client.post("/portal/contacts/", {"name": "X", "email": "x@x.example"}).status_code == 403
    assert client.post(f"/portal/contacts/{contact.pk}/remove/").status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()
