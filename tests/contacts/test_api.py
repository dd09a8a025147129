import pytest
from django.core import mail

from contacts.models import Contact
from tests.api_cases import audit_actors, results
from tests.factories import ContactFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

ALL = ("contacts.view_contact", "contacts.add_contact", "contacts.change_contact", "contacts.delete_contact",
       "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*ALL)


def test_create_a_contact_with_a_password(api):
    customer = CustomerFactory(country="GB")
    response = api.post("/api/v1/contacts/", {
        "customer": customer.pk, "name": "Jane", "email": "jane@acme.test", "phone": "020 7183 8750",
        "contact_type": "billing", "password": "a-Strong-passphrase-42"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+442071838750" and body["has_password"] is True and "password" not in body
    assert Contact.objects.get(pk=body["id"]).check_password("a-Strong-passphrase-42")


def test_change_a_contact_clears_verification_of_a_new_email(api):
    contact = ContactFactory(email="old@acme.test", email_verified=True)
    response = api.patch(f"/api/v1/contacts/{contact.pk}/", {"email": "new@acme.test"}, format="json")
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.email, contact.email_verified) == ("new@acme.test", False)


def test_the_customer_of_a_contact_is_fixed(api):
    contact = ContactFactory()
    other = CustomerFactory()
    api.patch(f"/api/v1/contacts/{contact.pk}/", {"customer": other.pk}, format="json")
    contact.refresh_from_db()
    assert contact.customer_id != other.pk


def test_delete_a_contact(api):
    contact = ContactFactory()
    assert api.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("body, field", [
    ({"name": "J", "email": "not-an-email"}, "email"),
    ({"name": "J", "email": "taken@acme.test"}, "email"),
    ({"name": "J", "email": "j@acme.test", "phone": "12"}, "phone"),
    ({"name": "J", "email": "j@acme.test", "ip_whitelist": ["10.0.0.300"]}, "ip_whitelist"),
    ({"name": "J", "email": "j@acme.test", "password": "123"}, "password"),
])
def test_invalid_contacts_are_400_beside_the_field_and_not_saved(api, body, field):
    ContactFactory(email="taken@acme.test")
    customer = CustomerFactory()
    response = api.post("/api/v1/contacts/", {"customer": customer.pk, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Contact.objects.filter(customer=customer).exists()


def test_set_a_password_or_reset_it_by_email(api, django_capture_on_commit_callbacks):
    contact = ContactFactory(email="jane@acme.test")
    response = api.post(f"/api/v1/contacts/{contact.pk}/set-password/", {"password": "An0ther-good-one!"},
                        format="json")
    assert response.json() == {"generated": False}
    contact.refresh_from_db()
    assert contact.check_password("An0ther-good-one!")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/contacts/{contact.pk}/set-password/", {}, format="json")
    assert response.json() == {"generated": True}
    contact.refresh_from_db()
    assert not contact.check_password("An0ther-good-one!")
    assert any("jane@acme.test" in m.to for m in mail.outbox)


def test_a_weak_password_is_refused_and_the_old_one_kept(api):
    contact = ContactFactory()
    contact.set_password("Original-pass-99")
    contact.save()
    response = api.post(f"/api/v1/contacts/{contact.pk}/set-password/", {"password": "password"}, format="json")
    assert response.status_code == 400 and "password" in response.json()
    contact.refresh_from_db()
    assert contact.check_password("Original-pass-99")


def test_without_permission_or_scope_nothing_changes(api_client):
    contact = ContactFactory(name="Before")
    viewer = api_client("contacts.view_contact", "customers.view_all_customers")
    assert viewer.patch(f"/api/v1/contacts/{contact.pk}/", {"name": "After"}, format="json").status_code == 403
    assert viewer.post(f"/api/v1/contacts/{contact.pk}/set-password/", {}, format="json").status_code == 403
    reader = api_client(*ALL, scopes=["read"])
    assert reader.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 403
    contact.refresh_from_db()
    assert contact.name == "Before"


def test_an_account_manager_reaches_only_their_customers_contacts(api_client):
    manager = StaffFactory(perms=())
    api = api_client(*ALL[:-1], user=manager)
    mine = ContactFactory(customer=CustomerFactory(account_manager=manager))
    other = ContactFactory()
    assert [r["id"] for r in results(api.get("/api/v1/contacts/"))] == [mine.pk]
    assert api.patch(f"/api/v1/contacts/{other.pk}/", {"name": "x"}, format="json").status_code == 404
    response = api.post("/api/v1/contacts/", {"customer": other.customer_id, "name": "x", "email": "x@x.test"},
                        format="json")
    assert response.status_code == 400 and "customer" in response.json()


def test_the_audit_actor_is_the_token_s_user(api_client):
    api = api_client(*ALL, user=StaffFactory(perms=(), username="crm-sync"))
    contact = ContactFactory()
    api.patch(f"/api/v1/contacts/{contact.pk}/", {"name": "Renamed"}, format="json")
    api.post(f"/api/v1/contacts/{contact.pk}/set-password/", {"password": "An0ther-good-one!"}, format="json")
    assert audit_actors(contact)[1:] == ["crm-sync", "crm-sync"]  # the edit, then contact.password_set
