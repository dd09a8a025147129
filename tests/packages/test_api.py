from decimal import Decimal

import pytest

from packages.models import Package
from tests.factories import CustomerFactory, DidFactory, PackageFactory

pytestmark = pytest.mark.django_db


def test_packages_and_subscriptions_through_the_api(api_client):
    client = api_client("packages.view_package", "packages.add_package", "packages.view_packagesubscription",
                        "packages.add_packagesubscription", "customers.view_all_customers")
    customer = CustomerFactory(currency="USD")
    did = DidFactory(customer=customer)

    bad = client.post("/api/v1/packages/", {"name": "UK", "currency": "USD", "kind": "free_minutes",
                                            "destination_pattern": "^(44"}, format="json")
    assert bad.status_code == 400 and {"free_minutes", "destination_pattern"} <= set(bad.json())
    made = client.post("/api/v1/packages/", {"name": "UK", "currency": "USD", "kind": "free_minutes",
                                             "free_minutes": 100, "destination_pattern": "^44",
                                             "retail": "3.50"}, format="json")
    assert made.status_code == 201, made.json()
    subscribed = client.post("/api/v1/package-subscriptions/", {
        "customer": customer.pk, "package": made.json()["id"], "did": did.pk, "quantity": 2,
        "start": "2026-01-01"}, format="json")
    assert subscribed.status_code == 201, subscribed.json()
    assert client.get(f"/api/v1/package-subscriptions/?customer={customer.pk}").json()["results"][0]["quantity"] == 2
    assert Package.objects.get().retail == Decimal("3.5")


def test_a_subscription_in_another_currency_or_to_anothers_did_is_refused(api_client):
    client = api_client("packages.view_packagesubscription", "packages.add_packagesubscription",
                        "customers.view_all_customers")
    customer = CustomerFactory(currency="EUR")
    usd = PackageFactory(currency="USD")
    foreign = DidFactory(customer=CustomerFactory(currency="EUR"))

    answer = client.post("/api/v1/package-subscriptions/", {"customer": customer.pk, "package": usd.pk,
                                                            "did": foreign.pk, "start": "2026-01-01"}, format="json")

    assert answer.status_code == 400
    assert {"package", "did"} <= set(answer.json())
