"""The DID inventory: bulk upload (all or nothing), bulk assign and release, the card tab and the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dids.models import Did
from dids.services import did_assign, did_upload
from tests.factories import (
    CustomerFactory,
    DidFactory,
    ProviderFactory,
    RateCardFactory,
    StaffFactory,
    grant,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(name="Northwind")


def upload(client, text):
    return client.post("/dids/upload/", {"file": SimpleUploadedFile("dids.csv", text.encode(), "text/csv")})


def test_an_upload_with_a_bad_row_saves_nothing_and_names_the_row(admin_client, provider):
    text = ("number,provider,channels\n"
            "+442071838750,Northwind,2\n"
            "+44207183875,Northwind,2\n"   # too short for a UK number
            "+442071838751,Nobody,x\n"
            "+442071838750,Northwind,1\n")

    response = upload(admin_client, text)

    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "<td class=\"num\">3</td>" in page and "not a valid phone number" in page
    assert "unknown provider “Nobody”" in page and "channels must be a whole number" in page
    assert "number also on row 2" in page
    assert Did.objects.count() == 0


def test_a_clean_upload_adds_every_row_and_assigns_rows_with_a_customer(admin_client, provider):
    customer = CustomerFactory(name="Acme")
    RateCardFactory(name="Sell origination", kind="customer", direction="origination", currency=customer.currency)
    text = ("number,provider,customer,customer_card,destination_type,destination\n"
            "+442071838750,Northwind,,,,\n"
            "442071838751,Northwind,Acme,Sell origination,uri,sip:9@pbx.example.com\n")

    response = upload(admin_client, text)

    assert response.status_code == 302
    assert list(Did.objects.values_list("number", "customer__name", "destination_uri")) == [
        ("442071838750", None, ""), ("442071838751", "Acme", "sip:9@pbx.example.com")]


def test_a_number_already_in_the_inventory_refuses_the_file(provider):
    DidFactory(number="442071838750", provider=provider)

    result = did_upload(data=b"number,provider\n+442071838752,Northwind\n+442071838750,Northwind\n")

    assert result.errors == [(3, "number +442071838750 is already in the inventory")]
    assert Did.objects.count() == 1


def test_bulk_assign_and_release_from_the_inventory(admin_client, provider):
    customer = CustomerFactory()
    card = RateCardFactory(kind="customer", direction="origination", currency=customer.currency)
    dids = [DidFactory(provider=provider) for _ in range(3)]

    response = admin_client.post("/dids/assign/", {"pk": [d.pk for d in dids[:2]], "confirm": "yes",
                                                   "customer": customer.pk, "customer_card": card.pk})

    assert response.status_code == 302
    assert set(Did.objects.filter(customer=customer).values_list("pk", flat=True)) == {dids[0].pk, dids[1].pk}
    assert admin_client.get(f"/customers/{customer.pk}/tab/dids/").content.decode().count(">Release</button>") == 2

    admin_client.post("/dids/release/", {"pk": [dids[0].pk]})

    assert list(Did.objects.filter(customer=customer).values_list("pk", flat=True)) == [dids[1].pk]
    assert Did.objects.get(pk=dids[0].pk).customer_card is None


def test_assigning_needs_an_origination_sell_card_and_a_number_held_by_another_refuses_all(provider):
    first, second = CustomerFactory(), CustomerFactory()
    termination = RateCardFactory(kind="customer", currency=first.currency)
    card = RateCardFactory(kind="customer", direction="origination", currency=first.currency)
    free, held = DidFactory(provider=provider), DidFactory(provider=provider, customer=second)

    with pytest.raises(Exception, match="origination"):
        did_assign(dids=[free], customer=first, customer_card=termination)
    with pytest.raises(Exception, match="Already assigned"):
        did_assign(dids=[free, held], customer=first, customer_card=card)

    assert Did.objects.get(pk=free.pk).customer is None


def test_the_inventory_lists_stock_and_filters(admin_client, provider):
    DidFactory(number="442071838750", provider=provider)
    DidFactory(number="12125550100", provider=provider, customer=CustomerFactory(name="Held Inc"))

    stock = admin_client.get("/dids/?stock=in_stock").content.decode()
    assigned = admin_client.get("/dids/?stock=assigned").content.decode()

    assert "+442071838750" in stock and "+12125550100" not in stock
    assert "Held Inc" in assigned and "+442071838750" not in assigned


def test_an_account_manager_sees_stock_and_own_numbers_only(client, provider):
    manager = StaffFactory(username="am", groups=["Account manager"])
    mine, theirs = CustomerFactory(account_manager=manager), CustomerFactory()
    DidFactory(number="442071838750", provider=provider)
    DidFactory(number="442071838751", provider=provider, customer=mine)
    other = DidFactory(number="442071838752", provider=provider, customer=theirs)
    client.force_login(manager)

    page = client.get("/dids/").content.decode()

    assert "+442071838750" in page and "+442071838751" in page and "+442071838752" not in page
    assert client.get(f"/dids/{other.pk}/").status_code == 404


def test_api_creates_assigns_and_refuses_deleting_an_assigned_number(api_client, provider):
    client = api_client("dids.view_did", "dids.add_did", "dids.change_did", "dids.delete_did",
                        "customers.view_all_customers")
    customer = CustomerFactory()
    card = RateCardFactory(kind="customer", direction="origination", currency=customer.currency)

    created = client.post("/api/v1/dids/", {"number": "+44 20 7183 8750", "provider": provider.pk}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["number"] == "442071838750"
    bad = client.post("/api/v1/dids/", {"number": "12", "provider": provider.pk}, format="json")
    assert bad.status_code == 400 and "number" in bad.json()

    pk = created.json()["id"]
    assigned = client.patch(f"/api/v1/dids/{pk}/", {"customer": customer.pk, "customer_card": card.pk},
                            format="json")
    assert assigned.status_code == 200, assigned.json()
    assert client.get("/api/v1/dids/?in_stock=false").json()["results"][0]["id"] == pk
    assert client.delete(f"/api/v1/dids/{pk}/").status_code == 400


def test_grant_is_needed_for_the_inventory(client):
    user = StaffFactory(username="plain", perms=["customers.view_customer"])
    client.force_login(user)
    assert client.get("/dids/").status_code == 403
    user = grant(user, "dids.view_did")
    client.force_login(user)
    assert client.get("/dids/").status_code == 200
