import re

import pytest
from django.core import mail

from contacts.models import Contact
from messaging.models import Message
from tests.factories import ContactFactory, CustomerFactory, PortalStaffFactory, StaffFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "contact-form-slot"}


def contact_data(**overrides):
    data = {"name": "Nora Ops", "email": "nora@acme.test", "phone": "+442071838750", "mobile": "+447911123456",
            "contact_type": "noc", "public_notes": "", "private_notes": "", "ip_whitelist": "",
            "auto_password": "on", "password": "", "action": "continue"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_card_main_tab_lists_contacts_with_add_button(staff_client):
    customer = CustomerFactory()
    ContactFactory(customer=customer, name="Ada Billing")
    html = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="section-contacts"' in html and "Ada Billing" in html
    assert f'hx-get="/contacts/customer/{customer.pk}/new/"' in html


def test_add_form_opens_in_place(staff_client):
    customer = CustomerFactory()
    response = staff_client.get(f"/contacts/customer/{customer.pk}/new/", **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="contact-form"' in html
    assert "Save &amp; Continue" in html and "Save &amp; Stay" in html
    assert re.search(r'<input[^>]*name="auto_password"[^>]*checked', html)


def test_save_and_continue_adds_contact_and_emails_generated_password(staff_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory(name="Acme")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/contacts/customer/{customer.pk}/new/", contact_data(), **HTMX)
    html = response.content.decode()
    contact = Contact.objects.get(email="nora@acme.test")
    assert contact.customer == customer and contact.has_password
    assert "Contact “Nora Ops” added" in html and 'id="contact-form"' not in html
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    password = body.split("Password: ")[1].split()[0]
    assert contact.check_password(password)
    assert password not in html and contact.password not in body
    assert Message.objects.get(contact=contact).kind == "password"


def test_save_and_stay_keeps_a_fresh_form_open(staff_client):
    customer = CustomerFactory()
    html = staff_client.post(f"/contacts/customer/{customer.pk}/new/", contact_data(action="stay"),
                             **HTMX).content.decode()
    assert Contact.objects.filter(customer=customer).count() == 1
    assert 'id="contact-form"' in html and "New contact" in html and 'value="Nora Ops"' not in html


def test_manual_password_is_validated_and_nothing_saved(staff_client):
    customer = CustomerFactory()
    html = staff_client.post(f"/contacts/customer/{customer.pk}/new/",
                             contact_data(auto_password=None, password="12345678"), **HTMX).content.decode()
    assert "This password is too common." in html or "entirely numeric" in html
    assert not Contact.objects.exists()
    assert not mail.outbox


def test_manual_password_is_hashed_and_not_emailed(staff_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/contacts/customer/{customer.pk}/new/",
                          contact_data(auto_password=None, password="Tangerine-Harbour-91"), **HTMX)
    contact = Contact.objects.get()
    assert contact.password.startswith(("pbkdf2_", "argon2", "bcrypt")) and "Tangerine" not in contact.password
    assert contact.check_password("Tangerine-Harbour-91")
    assert not mail.outbox


def test_duplicate_email_error_next_to_field(staff_client):
    ContactFactory(email="taken@acme.test")
    customer = CustomerFactory()
    html = staff_client.post(f"/contacts/customer/{customer.pk}/new/", contact_data(email="TAKEN@acme.test"),
                             **HTMX).content.decode()
    field = html.split('id="field-email"')[1].split('id="field-')[0]
    assert "Another contact already uses this email" in field
    assert Contact.objects.count() == 1


def test_bad_phone_and_whitelist_errors_next_to_fields(staff_client):
    customer = CustomerFactory()
    html = staff_client.post(f"/contacts/customer/{customer.pk}/new/",
                             contact_data(phone="abc", ip_whitelist="10.0.0.1\n300.1.1.1"), **HTMX).content.decode()
    assert "is not a phone number" in html.split('id="field-phone"')[1].split('id="field-')[0]
    assert "300.1.1.1" in html.split('id="field-ip_whitelist"')[1].split('id="field-')[0]
    assert not Contact.objects.exists()


def test_notes_holding_a_password_warn_but_save(staff_client):
    customer = CustomerFactory()
    html = staff_client.post(f"/contacts/customer/{customer.pk}/new/",
                             contact_data(private_notes="portal password: Summer2026!"), **HTMX).content.decode()
    assert Contact.objects.get().private_notes == "portal password: Summer2026!"
    assert "look like they contain a password" in html


def test_edit_in_place_normalises_and_keeps_password(staff_client):
    contact = ContactFactory(phone="")
    contact.set_password("Kept-Password-77")
    contact.save()
    staff_client.post(f"/contacts/{contact.pk}/card/edit/", contact_data(
        name="Renamed", email=contact.email, phone="+1 415 555 0123", ip_whitelist="2001:db8::/32, 192.0.2.1",
        auto_password=None), **HTMX)
    contact.refresh_from_db()
    assert contact.name == "Renamed" and contact.phone == "+14155550123"
    assert contact.ip_whitelist == ["2001:db8::/32", "192.0.2.1"]
    assert contact.check_password("Kept-Password-77")


def test_change_password_generates_and_emails(staff_client, django_capture_on_commit_callbacks):
    contact = ContactFactory()
    contact.set_password("Old-Password-123")
    contact.save()
    with django_capture_on_commit_callbacks(execute=True):
        html = staff_client.post(f"/contacts/{contact.pk}/card/password/", {"auto_password": "on"}, **HTMX).content.decode()
    contact.refresh_from_db()
    assert not contact.check_password("Old-Password-123")
    new = mail.outbox[0].body.split("Password: ")[1].split()[0]
    assert contact.check_password(new) and new not in html


def test_change_password_typed_is_validated(staff_client):
    contact = ContactFactory()
    contact.set_password("Old-Password-123")
    contact.save()
    html = staff_client.post(f"/contacts/{contact.pk}/card/password/", {"password": "short"}, **HTMX).content.decode()
    assert "too short" in html
    contact.refresh_from_db()
    assert contact.check_password("Old-Password-123")


def test_global_contacts_page_filters_and_searches(staff_client):
    acme, globex = CustomerFactory(name="Acme"), CustomerFactory(name="Globex")
    ContactFactory(customer=acme, name="Ada", email="ada@acme.test", contact_type="billing", email_verified=True)
    ContactFactory(customer=globex, name="Bob", email="bob@globex.test", contact_type="noc", mobile="+447911123456")
    html = staff_client.get("/contacts/").content.decode()
    assert "Ada" in html and "Bob" in html
    assert "Bob" not in staff_client.get(f"/contacts/?customer={acme.pk}").content.decode()
    html = staff_client.get("/contacts/?contact_type=noc").content.decode()
    assert "Bob" in html and "ada@acme.test" not in html
    assert "Bob" not in staff_client.get("/contacts/?email_verified=true").content.decode()
    assert "Ada" not in staff_client.get("/contacts/?q=7911123").content.decode()
    assert "Bob" not in staff_client.get("/contacts/?q=ada@acme").content.decode()
    csv = staff_client.get("/contacts/?_export=csv").content.decode()
    assert "ada@acme.test" in csv and "bob@globex.test" in csv


def test_edit_from_global_page(staff_client):
    contact = ContactFactory(name="Old")
    page = staff_client.get(f"/contacts/{contact.pk}/edit/")
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = staff_client.post(f"/contacts/{contact.pk}/edit/", contact_data(name="New", email=contact.email))
    assert response.status_code == 302 and response["Location"] == "/contacts/"
    contact.refresh_from_db()
    assert contact.name == "New"


def test_board_search_matches_contact_names_and_emails(staff_client):
    CustomerFactory(name="Hidden Co")
    ContactFactory(customer=CustomerFactory(name="Visible Co"), name="Zed Quinn", email="zq@visible.test")
    for query in ("Zed Qu", "zq@visible"):
        html = staff_client.get(f"/customers/?q={query}").content.decode()
        assert "Visible Co" in html and "Hidden Co" not in html


def test_contact_menu_offers_portal_login_only_with_permission(client):
    contact = ContactFactory()
    url = f"/customers/{contact.customer_id}/"
    client.force_login(StaffFactory(username="finance", groups=["Finance"]))
    assert f"/portal/impersonate/{contact.pk}/" not in client.get(url).content.decode()
    client.force_login(PortalStaffFactory())
    html = client.get(url).content.decode()
    # Once on the contact's menu, once on the customer-name dropdown.
    assert html.count(f'action="/portal/impersonate/{contact.pk}/"') == 2


def test_contact_pages_need_staff(client):
    contact = ContactFactory()
    for url in ("/contacts/", f"/contacts/{contact.pk}/edit/", f"/contacts/{contact.pk}/password/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_empty_whitelist_renders_as_an_empty_box(staff_client):
    customer = CustomerFactory()
    html = staff_client.get(f"/contacts/customer/{customer.pk}/new/", **HTMX).content.decode()
    assert re.search(r'name="ip_whitelist"[^>]*>\s*</textarea>', html)


def test_changed_email_and_mobile_need_verifying_again(staff_client):
    contact = ContactFactory(email="a@acme.test", mobile="+447911123456", email_verified=True, mobile_verified=True)
    staff_client.post(f"/contacts/{contact.pk}/card/edit/", contact_data(
        name=contact.name, email="b@acme.test", mobile="+447911123457", email_verified="on", mobile_verified="on",
        phone=""), **HTMX)
    contact.refresh_from_db()
    assert contact.email == "b@acme.test" and not contact.email_verified and not contact.mobile_verified


def test_unchanged_details_keep_their_verification(staff_client):
    contact = ContactFactory(email="a@acme.test", mobile="+447911123456", email_verified=True, mobile_verified=True)
    staff_client.post(f"/contacts/{contact.pk}/card/edit/", contact_data(
        name="Renamed", email="A@acme.test", mobile="+447911123456", email_verified="on", mobile_verified="on",
        phone=""), **HTMX)
    contact.refresh_from_db()
    assert contact.name == "Renamed" and contact.email_verified and contact.mobile_verified


def test_password_change_is_in_history_without_the_password(staff_client):
    contact = ContactFactory()
    staff_client.post(f"/contacts/{contact.pk}/card/password/", {"password": "Velvet-Compass-808"}, **HTMX)
    event = Contact.pgh_event_model.objects.get(pgh_obj=contact, pgh_label="contact.password_set")
    assert event.pgh_context.metadata["actor"] == "alice"
    assert not hasattr(event, "password")


def test_add_from_global_page_chooses_the_customer(staff_client):
    customer = CustomerFactory(name="Chosen Co")
    page = staff_client.get("/contacts/new/").content.decode()
    assert 'name="customer"' in page and "Chosen Co" in page
    response = staff_client.post("/contacts/new/", contact_data(customer=customer.pk))
    assert response.status_code == 302
    assert Contact.objects.get().customer == customer
    missing = staff_client.post("/contacts/new/", contact_data(email="x@acme.test"))
    assert missing.status_code == 422 and Contact.objects.count() == 1
