"""Demo packages and subscriptions for `manage.py seed_demo` (idempotent)."""

from datetime import UTC, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Customer

from .models import Package, PackageSubscription
from .services import package_save, package_subscription_save


@transaction.atomic
def load_demo_packages(stdout):
    if Package.objects.exists():
        return
    monthly = package_save(package=Package(name="UK 1000 minutes", currency="USD", kind=Package.Kind.FREE_MINUTES,
                                           retail=Decimal("15.00"), cost=Decimal("6.00"), free_minutes=1000,
                                           destination_pattern="^44", frequency=Package.Frequency.MONTHLY,
                                           day_of_month=1, minimum_spend=Decimal("20.00")))
    number = package_save(package=Package(name="DID rental", currency="USD", retail=Decimal("2.00"),
                                          cost=Decimal("0.50"), setup_retail=Decimal("5.00"),
                                          frequency=Package.Frequency.MONTHLY, day_of_month=1, minimum_days=30))
    start = timezone.now().astimezone(UTC).date() - timedelta(days=40)
    for customer in Customer.objects.filter(currency="USD").order_by("pk")[:2]:
        package_subscription_save(package_subscription=PackageSubscription(customer=customer, package=monthly,
                                                                           start=start))
        did = customer.dids.first()
        if did is not None:
            package_subscription_save(package_subscription=PackageSubscription(customer=customer, package=number,
                                                                               did=did, start=start))
    stdout.write("Demo packages: a free-minutes bundle and DID rental, subscribed.\n")
