import io
from datetime import date
from decimal import Decimal

import pytest

from customers.demo import load_demo_customers
from dids.demo import load_demo_dids
from dids.models import Did
from ledger.models import DailySpend
from packages.demo import load_demo_packages
from packages.models import Package, PackageCharge, PackageSubscription
from packages.services import package_charge_run
from providers.demo import load_demo_routing
from tests.factories import CustomerFactory, PackageFactory, PackageSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_the_demo_loads_dids_packages_and_subscriptions_once():
    out = io.StringIO()
    for loader in (load_demo_customers, load_demo_routing, load_demo_dids, load_demo_packages):
        loader(out)
    counts = (Did.objects.count(), Package.objects.count(), PackageSubscription.objects.count())
    load_demo_dids(out)
    load_demo_packages(out)

    assert counts[0] == 10 and counts[1] == 2 and counts[2] >= 2
    assert (Did.objects.count(), Package.objects.count(), PackageSubscription.objects.count()) == counts
    assert Did.objects.filter(customer__isnull=False).exists()


def test_a_minimum_spend_shortfall_is_charged_after_the_period():
    customer = CustomerFactory(balance=Decimal("100"))
    package = PackageFactory(kind=Package.Kind.FREE_MINUTES, free_minutes=10, retail=Decimal("0"),
                             minimum_spend=Decimal("5"), frequency=Package.Frequency.DAILY)
    PackageSubscriptionFactory(customer=customer, package=package, start=date(2026, 3, 1))
    DailySpend.objects.create(customer=customer, day=date(2026, 3, 1), amount=Decimal("2"), calls=3)
    DailySpend.objects.create(customer=customer, day=date(2026, 3, 2), amount=Decimal("9"), calls=9)

    package_charge_run(today=date(2026, 3, 3))

    assert list(PackageCharge.objects.values_list("kind", "period_start", "amount")) == [
        ("shortfall", date(2026, 3, 1), Decimal("3"))]


def test_adding_a_package_on_the_card_refuses_another_currency_next_to_the_field(admin_client):
    customer = CustomerFactory(currency="EUR")
    usd, eur = PackageFactory(currency="USD"), PackageFactory(currency="EUR")

    htmx = {"HTTP_HX_REQUEST": "true"}  # the card's inline form
    refused = admin_client.post(f"/packages/customer/{customer.pk}/subscriptions/new/",
                                {"package": usd.pk, "quantity": 1, "start": "2026-01-01", "auto_decrement": "on"}, **htmx)
    added = admin_client.post(f"/packages/customer/{customer.pk}/subscriptions/new/",
                              {"package": eur.pk, "quantity": 1, "start": "2026-01-01", "auto_decrement": "on"}, **htmx)

    assert refused.status_code == 422 and "Select a valid choice" in refused.content.decode()
    assert added.status_code == 200 and "saved" in added.content.decode()
    assert list(PackageSubscription.objects.values_list("package", flat=True)) == [eur.pk]


def test_the_package_catalogue_refuses_a_bad_pattern_and_saves_nothing(admin_client):
    response = admin_client.post("/packages/new/", {"name": "UK", "currency": "USD", "kind": "free_minutes",
                                                    "free_minutes": 10, "destination_pattern": "^(44",
                                                    "frequency": "monthly", "day_of_month": 1, "minimum_days": 0,
                                                    "cost": 0, "retail": 1, "setup_cost": 0, "setup_retail": 0})

    assert response.status_code == 422
    assert "Not a valid regular expression" in response.content.decode()
    assert not Package.objects.exists()
