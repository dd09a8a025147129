"""Staff sign-in locks out repeated failures per username and per address; administrators see and
lift lockouts. Portal sign-in takes as long for an unknown email as for a wrong password."""

from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission

from tests.factories import ContactFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def sign_in(client, path, username, password, ip="203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_ten_wrong_passwords_lock_the_username_so_the_right_one_is_refused(client, path):
    StaffFactory(username="bob", is_superuser=True)
    for _ in range(10):
        sign_in(client, path, "bob", "wrong")

    response = sign_in(client, path, "bob", PASSWORD)

    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="bob").exists()


def test_the_lockout_holds_for_the_username_from_another_address(client):
    StaffFactory(username="bob")
    for index in range(5):
        sign_in(client, "/login/", "bob", "wrong", ip=f"198.51.100.{index}")

    assert sign_in(client, "/login/", "bob", PASSWORD, ip="192.0.2.99").status_code == 429


def test_an_address_guessing_many_usernames_is_locked_out_for_all_of_them(client):
    StaffFactory(username="carol")
    for index in range(5):
        sign_in(client, "/login/", f"user{index}", "wrong")

    assert sign_in(client, "/login/", "carol", PASSWORD).status_code == 429
    assert sign_in(client, "/login/", "carol", PASSWORD, ip="192.0.2.1").status_code == 302


def test_a_few_failures_then_the_right_password_signs_in(client):
    StaffFactory(username="dave")
    for _ in range(3):
        sign_in(client, "/login/", "dave", "wrong")
    assert sign_in(client, "/login/", "dave", PASSWORD).status_code == 302


def test_administrators_see_lockouts_and_lift_them(client):
    StaffFactory(username="bob")
    for _ in range(5):
        sign_in(client, "/login/", "bob", "wrong")
    admin = StaffFactory(username="root", is_superuser=True)
    client.force_login(admin)

    page = client.get("/settings/lockouts/")
    assert page.status_code == 200
    assert "bob" in page.content.decode() and "Locked" in page.content.decode()
    assert "Sign-in lockouts" in client.get("/settings/").content.decode()

    attempt = AccessAttempt.objects.get(username="bob")
    assert client.post(f"/settings/lockouts/{attempt.pk}/unlock/").status_code == 302
    client.logout()
    assert sign_in(client, "/login/", "bob", PASSWORD).status_code == 302


def test_lockouts_need_their_permissions(client):
    StaffFactory(username="bob")
    for _ in range(5):
        sign_in(client, "/login/", "bob", "wrong")
    attempt = AccessAttempt.objects.get()
    viewer = StaffFactory(username="viewer", perms=["customers.view_customer"])
    client.force_login(viewer)
    assert client.get("/settings/lockouts/").status_code == 403
    assert client.post(f"/settings/lockouts/{attempt.pk}/unlock/").status_code == 403

    viewer.user_permissions.add(Permission.objects.get(codename="view_accessattempt"))
    page = client.get("/settings/lockouts/")
    assert page.status_code == 200 and "Unlock" not in page.content.decode()
    assert client.post(f"/settings/lockouts/{attempt.pk}/unlock/").status_code == 403
    assert AccessAttempt.objects.exists()
    client.logout()
    assert client.get("/settings/lockouts/").status_code == 302  # anonymous: to the sign-in page


def test_portal_sign_in_hashes_a_password_for_an_unknown_email_too(client):
    from django.contrib.auth.hashers import get_hasher

    ContactFactory(customer=CustomerFactory(), email="known@example.test")
    hasher = type(get_hasher())
    with mock.patch.object(hasher, "encode", autospec=True, side_effect=hasher.encode) as encode:
        client.post("/portal/login/", {"email": "nobody@example.test", "password": "guess-1234"})
    assert encode.call_count == 1
