import pytest

from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_contact_signs_in_and_sees_own_dashboard(client, portal_login):
    contact = ContactFactory(customer=CustomerFactory(name="Portal Co"))
    portal_login(client, contact)
    response = client.get("/portal/")
    assert response.status_code == 200
    assert "Portal Co" in response.content.decode()


def test_wrong_password_is_refused(client):
    contact = ContactFactory()
    contact.set_password("right-password-99")
    contact.save()
    response = client.post("/portal/login/", {"email": contact.email, "password": "wrong"})
    assert "Email or password is incorrect." in response.content.decode()
    assert client.get("/portal/").status_code == 302


def test_portal_session_never_opens_panel_pages(client, portal_login):
    portal_login(client, ContactFactory())
    response = client.get("/customers/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_session_does_not_open_portal(staff_client):
    response = staff_client.get("/portal/")
    assert response.status_code == 302 and "/portal/login/" in response["Location"]


def test_password_change_ends_existing_portal_sessions(client, portal_login):
    contact = ContactFactory()
    portal_login(client, contact)
    contact.set_password("a-new-password-42")
    contact.save()
    assert client.get("/portal/").status_code == 302
