import pytest

from customers.models import ApprovedCLI
from tests.api_cases import audit_actors, results
from tests.factories import ApprovedCLIFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

ALL = ("customers.view_approvedcli", "customers.add_approvedcli", "customers.change_approvedcli",
       "customers.delete_approvedcli", "customers.view_all_customers")


@pytest.fixture
def api(api_client):
    return api_client(*ALL, user=StaffFactory(perms=(), username="provisioner"))


def test_approve_revoke_and_delete_a_cli(api):
    customer = CustomerFactory(country="GB")
    response = api.post("/api/v1/approved-clis/", {"customer": customer.pk, "number": "020 7183 8750"},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "+442071838750" and body["is_active"] is True
    cli = ApprovedCLI.objects.get(pk=body["id"])
    revoked = api.post(f"/api/v1/approved-clis/{cli.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    again = api.post("/api/v1/approved-clis/", {"customer": customer.pk, "number": "+442071838750"}, format="json")
    assert again.status_code == 201 and again.json()["id"] == cli.pk and again.json()["is_active"] is True
    assert api.delete(f"/api/v1/approved-clis/{cli.pk}/").status_code == 204
    assert not ApprovedCLI.objects.exists()
    assert set(audit_actors(cli)) == {"provisioner"}


@pytest.mark.parametrize("number", ["", "12", "not a number"])
def test_an_invalid_number_is_a_400_beside_it(api, number):
    response = api.post("/api/v1/approved-clis/", {"customer": CustomerFactory().pk, "number": number}, format="json")
    assert response.status_code == 400 and "number" in response.json(), response.json()
    assert not ApprovedCLI.objects.exists()


def test_an_active_cli_is_not_approved_twice(api):
    cli = ApprovedCLIFactory(number="+442071838750")
    response = api.post("/api/v1/approved-clis/", {"customer": cli.customer_id, "number": "+442071838750"},
                        format="json")
    assert response.status_code == 400 and "already approved" in response.json()["number"][0]


def test_clis_need_permission_scope_and_the_customer(api_client):
    cli = ApprovedCLIFactory()
    viewer = api_client("customers.view_approvedcli", "customers.view_all_customers")
    assert viewer.post(f"/api/v1/approved-clis/{cli.pk}/revoke/").status_code == 403
    reader = api_client(*ALL, scopes=["read"])
    assert reader.delete(f"/api/v1/approved-clis/{cli.pk}/").status_code == 403
    manager_api = api_client(*ALL[:-1])
    assert results(manager_api.get("/api/v1/approved-clis/")) == []
    assert manager_api.post(f"/api/v1/approved-clis/{cli.pk}/revoke/").status_code == 404
    response = manager_api.post("/api/v1/approved-clis/", {"customer": cli.customer_id, "number": "+15551234567"},
                                format="json")
    assert response.status_code == 400 and "customer" in response.json()
    cli.refresh_from_db()
    assert cli.is_active and ApprovedCLI.objects.count() == 1
