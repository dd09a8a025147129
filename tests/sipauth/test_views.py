import pytest

from sipauth.models import IpAuthEntry, SipUser
from tests.factories import CustomerFactory, IpAuthEntryFactory, NumberBlockFactory, SipUserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_authentication_tab_lists_sip_users_and_ip_entries(staff_client):
    customer = CustomerFactory()
    SipUserFactory(customer=customer, extension=4321, allowed_ips=["10.1.0.0/16"])
    IpAuthEntryFactory(customer=customer, address="sbc.acme.test", tech_prefix="77")
    response = staff_client.get(f"/customers/{customer.pk}/tab/auth/", HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="card-tab")
    body = response.content.decode()
    assert 'data-extension="4321"' in body and "10.1.0.0/16" in body
    assert 'data-address="sbc.acme.test"' in body
    assert 'data-tab="auth"' in staff_client.get(f"/customers/{customer.pk}/").content.decode()


def test_add_form_suggests_next_free_extension(staff_client):
    customer = CustomerFactory()
    NumberBlockFactory(customer=customer, start=2000, end=2099)
    SipUserFactory(customer=customer, extension=2000)
    form = staff_client.get(f"/sipauth/customer/{customer.pk}/sip-users/new/", **HTMX).context["form"]
    assert form.initial["extension"] == 2001
    assert "Next free: 2001." in form.fields["extension"].help_text


def test_adding_sip_user_generates_password_shown_once(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(f"/sipauth/customer/{customer.pk}/sip-users/new/",
                                 {"extension": "1001", "password": "", "channels": "4", "flow_speed": "2",
                                  "allowed_ips": "192.0.2.1, 10.0.0.0/8"}, **HTMX)
    assert response["HX-Retarget"] == "#sip-users"
    body = response.content.decode()
    sip_user = SipUser.objects.get()
    password = body.split('id="sip-password">', 1)[1].split("<", 1)[0]
    assert len(password) == 16 and sip_user.check_password(password)
    assert sip_user.allowed_ips == ["192.0.2.1", "10.0.0.0/8"]
    listing = staff_client.get(f"/customers/{customer.pk}/tab/auth/", HTTP_HX_REQUEST="true",
                               HTTP_HX_TARGET="card-tab").content.decode()
    assert password not in listing
    event = sip_user.events.get()
    assert event.pgh_context.metadata["actor"] == "alice"
    assert not hasattr(event, "ha1")


def test_sip_user_form_errors_stay_in_the_form(staff_client):
    customer = CustomerFactory()
    NumberBlockFactory(customer=customer, start=3000, end=3009)
    response = staff_client.post(f"/sipauth/customer/{customer.pk}/sip-users/new/",
                                 {"extension": "4000", "password": "long-enough-pw", "channels": "1",
                                  "flow_speed": "1", "allowed_ips": "not-an-ip"}, **HTMX)
    assert "HX-Retarget" not in response
    errors = response.context["form"].errors
    assert "allowed_ips" in errors
    response = staff_client.post(f"/sipauth/customer/{customer.pk}/sip-users/new/",
                                 {"extension": "4000", "password": "long-enough-pw", "channels": "1",
                                  "flow_speed": "1", "allowed_ips": ""}, **HTMX)
    assert "allowed: 3000–3009" in response.context["form"].errors["extension"][0]
    assert "allowed: 3000–3009" in response.content.decode()
    assert not SipUser.objects.exists()


def test_editing_sip_user_keeps_password_when_left_empty(staff_client):
    sip_user = SipUserFactory(extension=1500, password="original-pass")
    staff_client.post(f"/sipauth/sip-users/{sip_user.pk}/edit/",
                      {"extension": "1500", "password": "", "channels": "9", "flow_speed": "3", "allowed_ips": ""},
                      **HTMX)
    sip_user.refresh_from_db()
    assert sip_user.channels == 9
    assert sip_user.check_password("original-pass")
    assert sip_user.events.filter(pgh_label="sipuser.updated").exists()


def test_deleting_sip_user(staff_client):
    sip_user = SipUserFactory(extension=1500)
    body = staff_client.post(f"/sipauth/sip-users/{sip_user.pk}/delete/", **HTMX).content.decode()
    assert "SIP user 1500 deleted." in body
    assert not SipUser.objects.exists()
    assert SipUser.pgh_event_model.objects.filter(pgh_label="sipuser.deleted", extension=1500).exists()


def ip_form(**overrides):
    data = {"address": "203.0.113.10", "channels": "10", "flow_speed": "5", "protocol": "udp", "port": "5060",
            "tech_prefix": "", "strip_digits": "0", "dial_pattern": "", "cli_prefix": "", "codecs": "pcma g729",
            "direction": "ingress"}
    data.update(overrides)
    return data


def test_add_edit_delete_ip_entry(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(f"/sipauth/customer/{customer.pk}/ip-entries/new/", ip_form(), **HTMX)
    assert response["HX-Retarget"] == "#ip-entries"
    entry = IpAuthEntry.objects.get()
    assert entry.codecs == ["PCMA", "G729"]
    staff_client.post(f"/sipauth/ip-entries/{entry.pk}/edit/", ip_form(port="5080", protocol="tls"), **HTMX)
    entry.refresh_from_db()
    assert (entry.port, entry.protocol) == (5080, "tls")
    staff_client.post(f"/sipauth/ip-entries/{entry.pk}/delete/", **HTMX)
    assert not IpAuthEntry.objects.exists()
    labels = list(IpAuthEntry.pgh_event_model.objects.order_by("pgh_id").values_list("pgh_label", flat=True))
    assert labels == ["ipauth.created", "ipauth.updated", "ipauth.deleted"]


def test_ip_entry_errors_next_to_fields_and_duplicate_refused(staff_client):
    customer = CustomerFactory()
    url = f"/sipauth/customer/{customer.pk}/ip-entries/new/"
    response = staff_client.post(url, ip_form(address="bad host", port="0", tech_prefix="9x", codecs="opus mp3"),
                                 **HTMX)
    errors = response.context["form"].errors
    assert set(errors) >= {"address", "port", "tech_prefix", "codecs"}
    assert "Unknown codec: mp3" in errors["codecs"][0]
    staff_client.post(url, ip_form(), **HTMX)
    response = staff_client.post(url, ip_form(), **HTMX)
    assert "already has an entry with this address" in response.content.decode()
    assert IpAuthEntry.objects.count() == 1


def test_auth_pages_require_staff(client):
    customer = CustomerFactory()
    response = client.post(f"/sipauth/customer/{customer.pk}/ip-entries/new/", ip_form())
    assert response["Location"].startswith("/login/")
    assert not IpAuthEntry.objects.exists()


def test_signed_in_non_staff_user_cannot_delete_sip_users(client):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="bob", is_staff=False))
    sip_user = SipUserFactory(extension=1500)
    response = client.post(f"/sipauth/sip-users/{sip_user.pk}/delete/", **HTMX)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert SipUser.objects.filter(pk=sip_user.pk).exists()
