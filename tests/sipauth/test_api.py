import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories import (
    ApiTokenFactory,
    CustomerFactory,
    IpAuthEntryFactory,
    SipUserFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


SWITCH_PERMS = ("sipauth.view_sipuser", "sipauth.view_ipauthentry", "sipauth.read_sip_secret",
                "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*SWITCH_PERMS, scopes=["switch"])


def test_lookup_requires_a_token():
    SipUserFactory(extension=1001)
    response = APIClient().get("/api/v1/auth/sip-users/1001/")
    assert response.status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert bad.get("/api/v1/auth/sip-users/1001/").status_code == 401


def test_lookup_refuses_tokens_of_non_staff_users():
    SipUserFactory(extension=1001)
    client = APIClient()
    token = ApiTokenFactory(user=StaffFactory(perms=(), username="outsider"), scopes=["switch"])
    type(token.user).objects.filter(pk=token.user_id).update(is_staff=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert client.get("/api/v1/auth/sip-users/1001/").status_code == 403


def test_lookup_is_read_only(api):
    SipUserFactory(extension=1001)
    assert api.post("/api/v1/auth/sip-users/1001/", {}).status_code == 405
    assert api.delete("/api/v1/auth/sip-users/1001/").status_code == 405


def test_sip_user_lookup_gives_customer_digest_and_admission(api):
    customer = CustomerFactory(name="Acme VoIP", status=Customer.Status.ACTIVE, channels=30)
    sip_user = SipUserFactory(customer=customer, extension=1001, password="pass-word-1", allowed_ips=["10.0.0.0/8"])
    body = api.get("/api/v1/auth/sip-users/1001/").json()
    assert body["username"] == "1001"
    assert body["realm"] == "connex"
    assert body["ha1"] == sip_user.ha1
    assert body["allowed_ips"] == ["10.0.0.0/8"]
    assert body["customer"]["id"] == customer.pk
    assert body["customer"]["name"] == "Acme VoIP"
    assert body["admission"] == {"allowed": True, "reasons": []}


def test_sip_user_lookup_reports_why_calls_are_refused(api):
    customer = CustomerFactory(status=Customer.Status.INACTIVE, email_verification_required=True)
    SipUserFactory(customer=customer, extension=2002)
    admission = api.get("/api/v1/auth/sip-users/2002/").json()["admission"]
    assert admission["allowed"] is False
    assert "status not active (Inactive)" in admission["reasons"]
    assert "verification pending (email)" in admission["reasons"]


def test_unknown_sip_user_is_404(api):
    assert api.get("/api/v1/auth/sip-users/9999/").status_code == 404
    assert api.get("/api/v1/auth/sip-users/alice/").status_code == 404


def test_ip_lookup_matches_address_and_narrows_by_tech_prefix(api):
    good = CustomerFactory(name="Good Co")
    bad = CustomerFactory(name="Blocked Co", status=Customer.Status.PENALTY)
    IpAuthEntryFactory(customer=good, address="203.0.113.5", tech_prefix="11")
    IpAuthEntryFactory(customer=bad, address="203.0.113.5", tech_prefix="22")
    IpAuthEntryFactory(customer=good, address="203.0.113.99")

    both = api.get("/api/v1/auth/ip-entries/", {"address": "203.0.113.5"}).json()["matches"]
    assert {m["customer"]["name"] for m in both} == {"Good Co", "Blocked Co"}

    only = api.get("/api/v1/auth/ip-entries/", {"address": "203.0.113.5", "tech_prefix": "22"}).json()["matches"]
    assert len(only) == 1
    assert only[0]["customer"]["name"] == "Blocked Co"
    assert only[0]["admission"] == {"allowed": False, "reasons": ["status not active (Penalty)"]}


def test_ip_lookup_by_hostname_is_case_insensitive_and_filters_port(api):
    IpAuthEntryFactory(address="sbc.example.com", port=5080, protocol="tls")
    assert len(api.get("/api/v1/auth/ip-entries/", {"address": "SBC.Example.com"}).json()["matches"]) == 1
    assert api.get("/api/v1/auth/ip-entries/", {"address": "sbc.example.com", "port": 5060}).status_code == 404
    found = api.get("/api/v1/auth/ip-entries/", {"address": "sbc.example.com", "port": 5080, "protocol": "tls"})
    assert found.json()["matches"][0]["protocol"] == "tls"


def test_ip_lookup_validates_its_query(api):
    assert api.get("/api/v1/auth/ip-entries/").status_code == 400
    response = api.get("/api/v1/auth/ip-entries/", {"address": "1.2.3.4", "port": 70000})
    assert response.status_code == 400
    assert "port" in response.json()


def test_lookup_endpoints_are_in_the_openapi_schema(staff_client):
    schema = staff_client.get("/api/schema/").content.decode()
    assert "/api/v1/auth/sip-users/{username}/" in schema
    assert "/api/v1/auth/ip-entries/" in schema


def test_ha1_goes_only_to_switch_tokens_whose_user_may_read_secrets(api, api_client, client):
    SipUserFactory(extension=1001)
    assert "ha1" in api.get("/api/v1/auth/sip-users/1001/").json()
    no_secret = api_client(*[p for p in SWITCH_PERMS if p != "sipauth.read_sip_secret"], scopes=["switch"])
    body = no_secret.get("/api/v1/auth/sip-users/1001/").json()
    assert body["username"] == "1001" and "ha1" not in body
    read_write = api_client(*SWITCH_PERMS, scopes=["read", "write"])
    assert read_write.get("/api/v1/auth/sip-users/1001/").status_code == 403
    client.force_login(api.user)  # the same user, signed in to the panel: never the digest
    response = client.get("/api/v1/auth/sip-users/1001/")
    assert response.status_code == 200 and "ha1" not in response.json()


def test_lookups_are_scoped_to_the_customers_the_token_user_may_see(api_client):
    manager = StaffFactory(perms=(), username="am")
    api = api_client(*[p for p in SWITCH_PERMS if p != "customers.view_all_customers"], scopes=["switch"],
                     user=manager)
    SipUserFactory(extension=1001, customer=CustomerFactory(account_manager=manager))
    SipUserFactory(extension=1002)
    assert api.get("/api/v1/auth/sip-users/1001/").status_code == 200
    assert api.get("/api/v1/auth/sip-users/1002/").status_code == 404
