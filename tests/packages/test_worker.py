"""The periodic charge task through a real Celery worker against Redis."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from packages.models import PackageCharge
from packages.tasks import package_charge_run_task
from tests.factories import CustomerFactory, PackageFactory, PackageSubscriptionFactory


@pytest.mark.worker
def test_the_periodic_task_charges_started_periods_once_through_a_worker(worker):
    customer = CustomerFactory(balance=Decimal("50"))
    PackageSubscriptionFactory(customer=customer, package=PackageFactory(retail=Decimal("7"), frequency="daily"),
                               start=datetime.now(UTC).date())

    first, second = package_charge_run_task.delay(), package_charge_run_task.delay()
    results = sorted([first.get(timeout=60), second.get(timeout=60)])

    assert results == [0, 1]
    assert PackageCharge.objects.count() == 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        customer.refresh_from_db()
        if customer.balance == Decimal("43"):
            break
        time.sleep(0.1)
    assert customer.balance == Decimal("43")
