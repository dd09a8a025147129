import pytest

from numberblocks.models import NumberBlock
from sipauth.models import IpAuthEntry, SipUser
from tests.api_cases import audit_actors, results
from tests.factories import (
    CustomerFactory,
    IpAuthEntryFactory,
    NumberBlockFactory,
    SipUserFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

SIP = ("sipauth.view_sipuser", "sipauth.add_sipuser", "sipauth.change_sipuser", "sipauth.delete_sipuser")
IP = ("sipauth.view_ipauthentry", "sipauth.add_ipauthentry", "sipauth.change_ipauthentry",
      "sipauth.delete_ipauthentry")
SEE_ALL = "customers.view_all_customers"


@pytest.fixture
def api(api_client):
    return api_client(*SIP, *IP, SEE_ALL, user=StaffFactory(perms=(), username="provisioner"))


# SIP users ---------------------------------------------------------------------------------

def test_create_change_and_delete_a_sip_user(api):
    customer = CustomerFactory()
    response = api.post("/api/v1/sip-users/", {"customer": customer.pk, "extension": 4001, "password": "s3cret-pw",
                                               "channels": 4, "allowed_ips": ["10.0.0.0/8"]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "4001" and "ha1" not in body and "password" not in body
    sip_user = SipUser.objects.get(pk=body["id"])
    assert sip_user.check_password("s3cret-pw")

    assert api.patch(f"/api/v1/sip-users/{sip_user.pk}/", {"channels": 9}, format="json").status_code == 200
    sip_user.refresh_from_db()
    assert sip_user.channels == 9 and sip_user.check_password("s3cret-pw")

    assert api.delete(f"/api/v1/sip-users/{sip_user.pk}/").status_code == 204
    assert not SipUser.objects.filter(pk=sip_user.pk).exists()
    assert audit_actors(sip_user) == ["provisioner", "provisioner", "provisioner"]


def test_an_extension_outside_the_customer_s_blocks_is_refused(api):
    customer = CustomerFactory()
    NumberBlockFactory(customer=customer, start=5000, end=5099)
    response = api.post("/api/v1/sip-users/", {"customer": customer.pk, "extension": 6000, "password": "pw-123456"},
                        format="json")
    assert response.status_code == 400 and "outside" in response.json()["extension"][0]
    assert not SipUser.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"extension": 4002}, "password"),
    ({"extension": -1, "password": "x"}, "extension"),
    ({"extension": 99999999999, "password": "x"}, "extension"),
    ({"extension": 4003, "password": "x", "allowed_ips": ["nonsense"]}, "allowed_ips"),
])
def test_invalid_sip_users_are_400_beside_the_field(api, body, field):
    response = api.post("/api/v1/sip-users/", {"customer": CustomerFactory().pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not SipUser.objects.exists()


def test_changing_the_extension_needs_the_password_again(api):
    sip_user = SipUserFactory(extension=4100)
    response = api.patch(f"/api/v1/sip-users/{sip_user.pk}/", {"extension": 4101}, format="json")
    assert response.status_code == 400 and "password" in response.json()
    sip_user.refresh_from_db()
    assert sip_user.extension == 4100


def test_sip_users_need_permission_and_scope(api_client):
    sip_user = SipUserFactory(channels=2)
    viewer = api_client("sipauth.view_sipuser", SEE_ALL)
    assert viewer.patch(f"/api/v1/sip-users/{sip_user.pk}/", {"channels": 8}, format="json").status_code == 403
    reader = api_client(*SIP, SEE_ALL, scopes=["read"])
    assert reader.delete(f"/api/v1/sip-users/{sip_user.pk}/").status_code == 403
    sip_user.refresh_from_db()
    assert sip_user.channels == 2


def test_an_account_manager_provisions_only_their_customers(api_client):
    manager = StaffFactory(perms=())
    api = api_client(*SIP, user=manager)
    mine = SipUserFactory(customer=CustomerFactory(account_manager=manager))
    other = SipUserFactory()
    assert [r["id"] for r in results(api.get("/api/v1/sip-users/"))] == [mine.pk]
    assert api.delete(f"/api/v1/sip-users/{other.pk}/").status_code == 404
    response = api.post("/api/v1/sip-users/", {"customer": other.customer_id, "extension": 4200, "password": "pw"},
                        format="json")
    assert response.status_code == 400 and "customer" in response.json()
    assert SipUser.objects.filter(pk=other.pk).exists()


# IP entries ----------------------------------------------------------------------------------

def test_create_change_and_delete_an_ip_entry(api):
    customer = CustomerFactory()
    response = api.post("/api/v1/ip-entries/", {"customer": customer.pk, "address": "SBC.Example.com", "port": 5080,
                                                "protocol": "tls", "tech_prefix": "11", "codecs": ["PCMA", "G729"]},
                        format="json")
    assert response.status_code == 201, response.content
    entry = IpAuthEntry.objects.get(pk=response.json()["id"])
    assert entry.address == "sbc.example.com"
    assert api.patch(f"/api/v1/ip-entries/{entry.pk}/", {"channels": 7}, format="json").status_code == 200
    entry.refresh_from_db()
    assert entry.channels == 7
    assert api.delete(f"/api/v1/ip-entries/{entry.pk}/").status_code == 204
    assert audit_actors(entry) == ["provisioner", "provisioner", "provisioner"]


@pytest.mark.parametrize("body, field", [
    ({"address": "not a host!"}, "address"),
    ({"address": "10.0.0.1", "port": 70000}, "port"),
    ({"address": "10.0.0.1", "dial_pattern": "(["}, "dial_pattern"),
    ({"address": "10.0.0.1", "codecs": ["PCMA", "PCMA"]}, "codecs"),
    ({"address": "10.0.0.1", "tech_prefix": "12a"}, "tech_prefix"),
])
def test_invalid_ip_entries_are_400_beside_the_field(api, body, field):
    response = api.post("/api/v1/ip-entries/", {"customer": CustomerFactory().pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not IpAuthEntry.objects.exists()


def test_a_duplicate_ip_entry_is_refused(api):
    entry = IpAuthEntryFactory(address="10.0.0.1", port=5060)
    response = api.post("/api/v1/ip-entries/", {"customer": entry.customer_id, "address": "10.0.0.1"}, format="json")
    assert response.status_code == 400 and response.json()["non_field_errors"]
    assert IpAuthEntry.objects.count() == 1


def test_ip_entries_need_permission_scope_and_the_customer(api_client):
    entry = IpAuthEntryFactory(channels=1)
    viewer = api_client("sipauth.view_ipauthentry", SEE_ALL)
    assert viewer.delete(f"/api/v1/ip-entries/{entry.pk}/").status_code == 403
    switch = api_client(*IP, SEE_ALL, scopes=["switch"])
    assert switch.patch(f"/api/v1/ip-entries/{entry.pk}/", {"channels": 5}, format="json").status_code == 403
    manager_api = api_client(*IP)
    assert manager_api.patch(f"/api/v1/ip-entries/{entry.pk}/", {"channels": 5}, format="json").status_code == 404
    entry.refresh_from_db()
    assert entry.channels == 1 and NumberBlock.objects.count() == 0
