"""The shipped roles: what each may do, "only my customers", and re-applying the table."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from staff.roles import ROLES, roles_apply
from tests.factories import CustomerFactory, InvoiceFactory, StaffFactory

pytestmark = pytest.mark.django_db


def holds(role, key):
    app_label, codename = key.split(".")
    return Group.objects.get(name=role).permissions.filter(
        content_type__app_label=app_label, codename=codename).exists()


def test_every_role_exists_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


@pytest.mark.parametrize(("role", "key", "expected"), [
    ("Administrator", "invoicing.void_invoice", True),
    ("Administrator", "auth.change_user", True),
    ("Read-only", "customers.view_customer", True),
    ("Read-only", "customers.view_all_customers", True),
    ("Read-only", "customers.change_customer", False),
    ("Read-only", "invoicing.void_invoice", False),
    ("Finance", "invoicing.void_invoice", True),
    ("Finance", "invoicing.record_payment", True),
    ("Finance", "customers.portal_login", False),
    ("Finance", "messaging.edit_messaging_settings", False),
    ("Support", "customers.portal_login", True),
    ("Support", "sipauth.change_sipuser", True),
    ("Support", "contacts.add_contact", True),
    ("Support", "invoicing.void_invoice", False),
    ("Support", "customers.delete_customer", False),
    ("Support", "auth.change_user", False),
    ("Account manager", "customers.view_all_customers", False),
    ("Account manager", "messaging.send_broadcast", True),
    ("Account manager", "customers.portal_login", True),
    ("Account manager", "invoicing.record_payment", False),
])
def test_role_permissions(role, key, expected):
    assert holds(role, key) is expected


def test_account_manager_sees_only_their_customers_on_the_board(client):
    manager = StaffFactory(username="am", groups=["Account manager"])
    CustomerFactory(name="Mine Telecom", account_manager=manager)
    CustomerFactory(name="Someone Elses Ltd")
    client.force_login(manager)
    html = client.get("/customers/").content.decode()
    assert "Mine Telecom" in html and "Someone Elses Ltd" not in html


def test_read_only_user_sees_no_buttons_for_changes(client):
    invoice = InvoiceFactory()
    client.force_login(StaffFactory(username="ro", groups=["Read-only"]))
    board = client.get("/customers/").content.decode()
    assert "New customer" not in board and "Import" not in board and "Delete (" not in board
    detail = client.get(invoice.get_absolute_url()).content.decode()
    assert "Issue</button>" not in detail and "Void</button>" not in detail
    assert client.post(f"/invoicing/{invoice.pk}/issue/").status_code == 403


def test_roles_sync_grants_missing_permissions_and_reset_removes_extra_ones():
    support = Group.objects.get(name="Support")
    support.permissions.remove(Permission.objects.get(codename="portal_login"))
    support.permissions.add(Permission.objects.get(codename="void_invoice"))
    call_command("roles_sync")
    assert holds("Support", "customers.portal_login") and holds("Support", "invoicing.void_invoice")
    call_command("roles_sync", "--reset")
    assert holds("Support", "customers.portal_login") and not holds("Support", "invoicing.void_invoice")


def test_new_permissions_land_in_the_roles_matching_them():
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get(app_label="invoicing", model="invoice")
    new = Permission.objects.create(codename="view_invoice_margin", name="Can see margins", content_type=content_type)
    roles_apply(only_permission_ids={new.pk})
    assert holds("Read-only", "invoicing.view_invoice_margin")
    assert holds("Administrator", "invoicing.view_invoice_margin")
