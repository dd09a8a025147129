"""Settings → Switches on the generic pages and /api/v1/switches/: validated, audited, default deny."""

import pytest
from pghistory.models import Events

from calls.models import Switch
from tests.api_cases import audit_actors
from tests.factories import StaffFactory, SwitchFactory

pytestmark = pytest.mark.django_db


def test_staff_add_a_switch_and_a_taken_address_is_refused_beside_the_field(staff_client):
    taken = SwitchFactory(name="Edge A", address="192.0.2.10")
    page = staff_client.post("/settings/switches/new/", {"name": "Edge B", "address": "192.0.2.10",
                                                         "rpc_url": "http://192.0.2.10:5071/RPC"})
    assert page.status_code == 422
    assert "Switch with this Address already exists." in page.content.decode()
    assert Switch.objects.count() == 1

    saved = staff_client.post("/settings/switches/new/", {"name": "Edge B", "address": "192.0.2.11",
                                                          "rpc_url": "192.0.2.11:5071/RPC"})
    assert saved.status_code == 302 and saved["Location"] == "/settings/switches/"
    switch = Switch.objects.get(name="Edge B")
    assert switch.rpc_url == "http://192.0.2.11:5071/RPC"  # scheme assumed
    listing = staff_client.get("/settings/switches/").content.decode()
    assert "Edge A" in listing and "Edge B" in listing and taken.address in listing


def test_edit_page_links_the_delete_confirmation_which_deletes_and_is_audited(staff_client):
    switch = SwitchFactory(name="Old edge")
    edit = staff_client.get(f"/settings/switches/{switch.pk}/").content.decode()
    assert f'href="/settings/switches/{switch.pk}/delete/"' in edit
    confirm = staff_client.get(f"/settings/switches/{switch.pk}/delete/")
    assert confirm.status_code == 200 and "Old edge" in confirm.content.decode()
    gone = staff_client.post(f"/settings/switches/{switch.pk}/delete/")
    assert gone.status_code == 302 and not Switch.objects.filter(pk=switch.pk).exists()
    assert list(Events.objects.filter(pgh_obj_model="calls.Switch", pgh_obj_id=switch.pk)
                .order_by("pgh_created_at").values_list("pgh_label", flat=True)) == ["switch.created", "switch.deleted"]


def test_support_without_the_right_sees_no_delete_link(client):
    switch = SwitchFactory()
    client.force_login(StaffFactory(perms=["calls.view_switch", "calls.change_switch"]))
    edit = client.get(f"/settings/switches/{switch.pk}/")
    assert edit.status_code == 200 and "/delete/" not in edit.content.decode()
    assert client.post(f"/settings/switches/{switch.pk}/delete/").status_code == 403
    assert Switch.objects.filter(pk=switch.pk).exists()


def test_api_creates_lists_updates_and_deletes_switches(api_client):
    api = api_client("calls.view_switch", "calls.add_switch", "calls.change_switch", "calls.delete_switch")
    created = api.post("/api/v1/switches/", {"name": "Core 1", "address": "198.51.100.5",
                                             "rpc_url": "http://198.51.100.5:5071/RPC"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    listed = api.get("/api/v1/switches/?name=core").json()
    assert [row["address"] for row in listed["results"]] == ["198.51.100.5"]
    renamed = api.patch(f"/api/v1/switches/{pk}/", {"name": "  Core one "}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Core one"
    assert audit_actors(Switch.objects.get(pk=pk)) == [api.user.get_username()] * 2
    assert api.delete(f"/api/v1/switches/{pk}/").status_code == 204
    assert not Switch.objects.filter(pk=pk).exists()


def test_api_refuses_bad_input_by_field_and_callers_without_the_permission(api_client):
    SwitchFactory(name="Taken", address="198.51.100.9")
    api = api_client("calls.view_switch", "calls.add_switch")
    bad = api.post("/api/v1/switches/", {"name": "Taken", "address": "not-an-ip", "rpc_url": "ftp://x"},
                   format="json")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"address", "rpc_url"}
    duplicate = api.post("/api/v1/switches/", {"name": "Taken", "address": "198.51.100.10",
                                               "rpc_url": "http://198.51.100.10/RPC"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    reader = api_client("calls.view_switch")
    assert reader.post("/api/v1/switches/", {"name": "X", "address": "198.51.100.11",
                                             "rpc_url": "http://198.51.100.11/RPC"}, format="json").status_code == 403
    assert api_client().get("/api/v1/switches/").status_code == 403
    assert Switch.objects.count() == 1


def test_switches_are_in_the_api_schema(staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    assert "/api/v1/switches/" in schema and "/api/v1/switches/{id}/" in schema


def test_api_address_filter_refuses_a_malformed_address(api_client):
    SwitchFactory(address="198.51.100.20")
    api = api_client("calls.view_switch")
    assert [row["address"] for row in api.get("/api/v1/switches/?address=198.51.100.20").json()["results"]] == [
        "198.51.100.20"]
    bad = api.get("/api/v1/switches/?address=not-an-address")
    assert bad.status_code == 400 and "address" in bad.json()
