"""Deleting one customer from its card: a confirmation page, refused with financial history."""

import pytest

from contacts.models import Contact
from customers.models import Customer
from tests.factories import ContactFactory, CustomerFactory, InvoiceFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_card_menu_offers_delete_only_with_the_permission(client):
    customer = CustomerFactory()
    client.force_login(StaffFactory(username="admin", groups=["Administrator"]))
    assert f'href="/customers/{customer.pk}/delete/"' in client.get(f"/customers/{customer.pk}/").content.decode()
    client.force_login(StaffFactory(username="support", groups=["Support"]))
    assert f"/customers/{customer.pk}/delete/" not in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.post(f"/customers/{customer.pk}/delete/").status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_delete_asks_first_then_removes_the_customer_with_its_contacts(staff_client):
    customer = CustomerFactory(name="Leaving Ltd")
    ContactFactory(customer=customer)
    page = staff_client.get(f"/customers/{customer.pk}/delete/").content.decode()
    assert "Delete customer “Leaving Ltd”?" in page and Customer.objects.exists()
    response = staff_client.post(f"/customers/{customer.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/customers/"
    assert "Customer “Leaving Ltd” deleted." in response.content.decode()
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_customer_with_invoices_is_not_deleted_and_the_page_says_why(staff_client):
    customer = CustomerFactory(name="Billed Co")
    InvoiceFactory(customer=customer)
    page = staff_client.get(f"/customers/{customer.pk}/delete/").content.decode()
    assert "It cannot be deleted: has invoices." in page and 'type="submit">Delete<' not in page
    response = staff_client.post(f"/customers/{customer.pk}/delete/")
    assert response.status_code == 422 and "has invoices" in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()
