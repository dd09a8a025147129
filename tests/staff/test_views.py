"""Settings → Users and roles: create, disable, set roles, reset a password, edit a role."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from staff.models import StaffEvent
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_list_shows_staff_with_their_roles_and_the_roles(staff_client):
    StaffFactory(username="fiona", groups=["Finance"])
    html = staff_client.get("/settings/users/").content.decode()
    assert "fiona" in html and "Finance" in html and 'id="roles"' in html and "Only their own" in html


def test_create_staff_member_with_a_role(staff_client, staff):
    response = staff_client.post("/settings/users/new/", {"username": "nina", "email": "nina@connex.test",
                                                           "is_active": "on",
                                                           "groups": [Group.objects.get(name="Support").pk]})
    assert response.status_code == 302
    nina = get_user_model().objects.get(username="nina")
    assert nina.is_staff and nina.is_active and not nina.has_usable_password()
    assert list(nina.groups.values_list("name", flat=True)) == ["Support"]
    event = StaffEvent.objects.get(user=nina)
    assert event.kind == "created" and event.actor == staff and event.detail["groups"] == ["Support"]


def test_duplicate_username_is_refused_next_to_the_field(staff_client):
    StaffFactory(username="taken")
    response = staff_client.post("/settings/users/new/", {"username": "taken", "is_active": "on"})
    assert response.status_code == 422 and "already exists" in response.content.decode()
    assert get_user_model().objects.filter(username="taken").count() == 1


def test_disabled_staff_member_can_no_longer_use_the_panel(client, staff_client):
    sam = StaffFactory(username="sam", groups=["Support"])
    staff_client.post(f"/settings/users/{sam.pk}/", {"username": "sam", "groups": [Group.objects.get(name="Support").pk]})
    sam.refresh_from_db()
    assert not sam.is_active
    client.force_login(sam)
    assert client.get("/customers/").status_code == 302


def test_cannot_disable_oneself(staff_client, staff):
    response = staff_client.post(f"/settings/users/{staff.pk}/", {"username": staff.username})
    assert response.status_code == 422 and "your own account" in response.content.decode()
    staff.refresh_from_db()
    assert staff.is_active


def test_password_reset_is_shown_once_and_works(client, staff_client):
    sam = StaffFactory(username="sam", groups=["Support"])
    html = staff_client.post(f"/settings/users/{sam.pk}/password/").content.decode()
    password = html.split('<code class="user-select-all">', 1)[1].split("<", 1)[0]
    sam.refresh_from_db()
    assert sam.check_password(password) and not sam.check_password("correct-horse-battery")
    assert password not in staff_client.get(f"/settings/users/{sam.pk}/").content.decode()
    assert StaffEvent.objects.filter(user=sam, kind="password_reset").exists()


def test_role_with_only_my_customers_limits_its_members(client, staff_client):
    support = Group.objects.get(name="Support")
    permissions = list(support.permissions.exclude(content_type__model__endswith="event")
                       .exclude(codename="view_all_customers").values_list("pk", flat=True))
    response = staff_client.post(f"/settings/users/roles/{support.pk}/",
                                 {"permissions": permissions, "only_my_customers": "on"})
    assert response.status_code == 302
    assert not support.permissions.filter(codename="view_all_customers").exists()
    assert support.permissions.filter(codename="view_sipuserevent").exists()  # not on the form, kept
    sam = StaffFactory(username="sam", groups=["Support"])
    CustomerFactory(name="Mine Ltd", account_manager=sam)
    CustomerFactory(name="Theirs Ltd")
    client.force_login(sam)
    html = client.get("/customers/").content.decode()
    assert "Mine Ltd" in html and "Theirs Ltd" not in html
    assert StaffEvent.objects.get(group=support).detail["removed"] == ["view_all_customers"]


def test_only_administrators_manage_staff(client):
    client.force_login(StaffFactory(username="sam", groups=["Support"]))
    listing = client.get("/settings/users/").content.decode()  # every role may read who is who
    assert "New staff member" not in listing
    assert client.get("/settings/users/new/").status_code == 403
    assert client.post("/settings/users/new/", {"username": "x"}).status_code == 403
    assert not get_user_model().objects.filter(username="x").exists()
    group = Group.objects.get(name="Support")
    before = set(group.permissions.all())
    client.post(f"/settings/users/roles/{group.pk}/", {"permissions": [Permission.objects.get(codename="void_invoice").pk]})
    assert set(group.permissions.all()) == before
