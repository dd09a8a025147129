from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.models import PortalEvent
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Granite-Lantern-42"


@pytest.fixture
def contact():
    contact = ContactFactory(email="ops@acme.test")
    contact.set_password(PASSWORD)
    contact.save()
    return contact


def sign_in(client, email="ops@acme.test", password=PASSWORD, ip="192.0.2.10"):
    return client.post("/portal/login/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_records_event_and_last_login(client, contact):
    response = sign_in(client, email="OPS@acme.test")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    event = PortalEvent.objects.get(kind=PortalEvent.Kind.LOGIN)
    assert event.contact == contact and event.ip == "192.0.2.10" and event.customer == contact.customer
    contact.refresh_from_db()
    assert contact.last_login is not None


@pytest.mark.parametrize(("whitelist", "ip", "allowed"), [
    (["192.0.2.10"], "192.0.2.10", True),
    (["192.0.2.10"], "192.0.2.11", False),
    (["198.51.100.0/24"], "198.51.100.77", True),
    (["198.51.100.0/24"], "198.51.99.77", False),
    (["2001:db8::10"], "2001:db8::10", True),
    (["2001:db8::10"], "2001:db8::11", False),
    (["2001:db8:1::/48"], "2001:db8:1:ff::1", True),
    (["2001:db8:1::/48"], "2001:db8:2::1", False),
])
def test_ip_whitelist_allows_and_refuses_sign_in(client, contact, whitelist, ip, allowed):
    contact.ip_whitelist = whitelist
    contact.save()
    response = sign_in(client, ip=ip)
    if allowed:
        assert response.status_code == 302
        assert client.get("/portal/").status_code == 200
    else:
        html = response.content.decode()
        assert response.status_code == 200
        assert f"Signing in from your address ({ip}) is not allowed" in html
        assert client.get("/portal/").status_code == 302
        refused = PortalEvent.objects.get(kind=PortalEvent.Kind.LOGIN_REFUSED_IP)
        assert refused.contact == contact and refused.ip == ip


def test_repeated_failures_are_throttled_per_email_and_address(client, contact):
    for _ in range(5):
        assert "Email or password is incorrect." in sign_in(client, password="wrong").content.decode()
    html = sign_in(client).content.decode()
    assert "Too many failed sign-ins from your address. Try again in 15 minutes." in html
    assert client.get("/portal/").status_code == 302
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.LOGIN_THROTTLED).count() == 1
    # Another address is not locked out by someone else's guesses.
    assert sign_in(client, ip="192.0.2.99").status_code == 302


def test_throttle_lifts_when_failures_leave_the_window(client, contact):
    for _ in range(5):
        sign_in(client, password="wrong")
    assert sign_in(client).status_code == 200
    PortalEvent.objects.update(created=timezone.now() - timedelta(minutes=16))
    assert sign_in(client).status_code == 302


def test_success_resets_the_failure_count(client, contact):
    for _ in range(4):
        sign_in(client, password="wrong")
    assert sign_in(client).status_code == 302
    for _ in range(4):
        sign_in(client, password="wrong")
    assert sign_in(client).status_code == 302


def test_unknown_emails_are_throttled_too(client):
    for _ in range(5):
        sign_in(client, email="nobody@acme.test", password="x")
    assert "Too many failed" in sign_in(client, email="nobody@acme.test", password="x").content.decode()


def test_password_reset_by_email_link(client, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/password-reset/", {"email": "Ops@Acme.test"})
    assert "a link to choose a new password is on its way" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@acme.test"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/portal/password-reset/" in line)
    path = link.split("testserver", 1)[1]

    weak = client.post(path, {"password": "password", "confirm": "password"})
    assert "This password is too common." in weak.content.decode()
    response = client.post(path, {"password": "Fresh-Meadow-2026", "confirm": "Fresh-Meadow-2026"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.check_password("Fresh-Meadow-2026")
    assert PortalEvent.objects.filter(kind=PortalEvent.Kind.PASSWORD_RESET, contact=contact).exists()
    # The link works once: the password it was issued for has changed.
    used = client.get(path)
    assert used.status_code == 400 and "invalid, expired or already used" in used.content.decode()


def test_password_reset_reveals_nothing_for_unknown_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/password-reset/", {"email": "ghost@acme.test"})
    assert "a link to choose a new password is on its way" in response.content.decode()
    assert not mail.outbox


def test_tampered_reset_link_is_refused(client, contact):
    from portal.services import password_reset_token

    token = password_reset_token(contact)
    assert client.get(f"/portal/password-reset/{token[:-2]}xx/").status_code == 400


def test_client_address_read_behind_trusted_proxy(client, contact, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    contact.ip_whitelist = ["198.51.100.7"]
    contact.save()
    # The client forged the first entry; the proxy appended the real address last.
    forged = client.post(
        "/portal/login/", {"email": contact.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9")
    assert "(203.0.113.9) is not allowed" in forged.content.decode()
    response = client.post("/portal/login/", {"email": contact.email, "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302
