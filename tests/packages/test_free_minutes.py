"""Free minutes are used before money when calls are rated: in order, per period, exactly once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ledger.models import LedgerEntry
from packages.models import Package, PackageUsage
from routing.recalc import RERATE, cdr_recalc
from summaries.models import CallDetailRecord
from summaries.services import CDR_COLUMNS, cdr_import
from tests.factories import PackageFactory, PackageSubscriptionFactory
from tests.routing.helpers import customer_with_route
from tests.summaries.helpers import T0, cdr_row, csv_stream

pytestmark = pytest.mark.django_db
UNPRICED = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]
RATES = {"44": {"rate": "0.6000", "mcd": 0, "pulse": 1}, "33": {"rate": "0.6000", "mcd": 0, "pulse": 1}}


def call(customer, call_id, seconds, start, number="441234567"):
    return cdr_row(customer.pk, call_id, dialed_number=number, duration=seconds, start_time=start.isoformat(),
                   answer_time=start.isoformat(), end_time=(start + timedelta(seconds=seconds)).isoformat())


def run(rows):
    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))
    assert not result.rejects, result.rejects
    return result


def charges():
    return dict(CallDetailRecord.objects.values_list("call_id", "charge"))


@pytest.fixture
def bundle():
    """Two free minutes a day to UK numbers; calls cost 0.60 a minute, per second."""
    customer, _ = customer_with_route(rows=RATES, balance="0")
    package = PackageFactory(kind=Package.Kind.FREE_MINUTES, free_minutes=2, destination_pattern="^44",
                             frequency=Package.Frequency.DAILY, retail=Decimal("0"))
    subscription = PackageSubscriptionFactory(customer=customer, package=package, start=date(2026, 11, 1))
    return customer, subscription


def test_free_minutes_are_used_in_call_order_and_the_rest_is_charged(bundle):
    customer, subscription = bundle
    rows = [call(customer, "c3", 60, T0 + timedelta(minutes=2)), call(customer, "c2", 60, T0 + timedelta(minutes=1)),
            call(customer, "c1", 90, T0), call(customer, "fr", 60, T0, number="33123456")]

    result = run(rows)

    assert charges() == {"c1": Decimal("0"), "c2": Decimal("0.3"), "c3": Decimal("0.6"), "fr": Decimal("0.6")}
    assert dict(PackageUsage.objects.values_list("call_id", "seconds")) == {"c1": 90, "c2": 30}
    assert LedgerEntry.objects.get(customer=customer).amount == Decimal("-1.5")
    assert result.charged == Decimal("1.5")


def test_each_period_has_its_own_minutes(bundle):
    customer, subscription = bundle
    run([call(customer, "day1", 150, T0)])
    run([call(customer, "day2", 150, T0 + timedelta(days=1))])

    assert charges() == {"day1": Decimal("0.3"), "day2": Decimal("0.3")}
    assert sorted(PackageUsage.objects.values_list("period_start", "seconds")) == [
        (T0.date(), 120), (T0.date() + timedelta(days=1), 120)]


def test_a_retried_import_and_a_recalc_never_use_minutes_twice(bundle):
    customer, subscription = bundle
    rows = [call(customer, "c1", 90, T0), call(customer, "c2", 60, T0 + timedelta(minutes=1))]
    run(rows)
    before = (charges(), list(PackageUsage.objects.values_list("call_id", "seconds")))

    again = run(rows)
    recalc = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=RERATE, apply=True)
    later = run([call(customer, "c3", 60, T0 + timedelta(minutes=5))])

    assert again.inserted == 0
    assert (recalc.calls, recalc.delta) == (0, Decimal("0"))
    assert (charges() | {}, list(PackageUsage.objects.values_list("call_id", "seconds"))) == (
        before[0] | {"c3": Decimal("0.6")}, before[1])
    assert later.charged == Decimal("0.6")
    assert sum(LedgerEntry.objects.filter(customer=customer).values_list("amount", flat=True)) == Decimal("-0.9")


def test_quantity_multiplies_the_minutes_and_a_did_package_covers_only_its_number(bundle):
    customer, subscription = bundle
    type(subscription).objects.filter(pk=subscription.pk).update(quantity=2)

    run([call(customer, "long", 300, T0)])

    assert charges() == {"long": Decimal("0.6")}  # 240 s free, 60 s paid


def test_remaining_minutes_show_on_the_packages_tab(admin_client, bundle):
    customer, subscription = bundle
    run([call(customer, "c1", 90, T0)])

    from packages.selectors import free_minutes_remaining

    state = free_minutes_remaining(customer=customer, today=T0.date())[0]
    assert (state.free_seconds, state.used_seconds, state.remaining_seconds) == (120, 90, 30)
    page = admin_client.get(f"/customers/{customer.pk}/tab/packages/").content.decode()
    assert 'data-remaining=' in page
