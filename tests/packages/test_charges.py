"""Recurring package fees: each period charged once, on the ledger and on the next invoice."""

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection

from invoicing.services import invoice_create
from ledger.models import LedgerEntry
from packages.models import Package, PackageCharge
from packages.periods import period_start
from packages.services import package_charge_run, package_charges_due
from tests.factories import CustomerFactory, PackageFactory, PackageSubscriptionFactory

TODAY = date(2026, 3, 5)


def month_end_subscription(**extra):
    customer = CustomerFactory(balance=Decimal("100"))
    package = PackageFactory(retail=Decimal("10"), setup_retail=Decimal("5"), frequency=Package.Frequency.MONTHLY,
                             day_of_month=31, currency=customer.currency)
    return PackageSubscriptionFactory(customer=customer, package=package, start=date(2026, 1, 15), **extra)


@pytest.mark.django_db
def test_started_periods_are_charged_once_with_the_setup_fee_first():
    subscription = month_end_subscription(quantity=2)

    assert package_charge_run(today=TODAY) == 4
    assert package_charge_run(today=TODAY) == 0

    charges = list(PackageCharge.objects.order_by("period_start", "kind").values_list("kind", "period_start",
                                                                                      "amount"))
    # Day 31 falls on the month's end: periods start 31 Dec, 31 Jan, 28 Feb.
    assert charges == [("recurring", date(2025, 12, 31), Decimal("20")), ("setup", date(2025, 12, 31), Decimal("10")),
                       ("recurring", date(2026, 1, 31), Decimal("20")), ("recurring", date(2026, 2, 28), Decimal("20"))]
    entries = LedgerEntry.objects.filter(customer=subscription.customer, kind=LedgerEntry.Kind.PACKAGE_FEE)
    assert sorted(entries.values_list("amount", flat=True)) == [Decimal("-20")] * 3 + [Decimal("-10")]
    subscription.customer.refresh_from_db()
    assert subscription.customer.balance == Decimal("30")


@pytest.mark.django_db
def test_invoice_only_subscriptions_leave_the_balance_and_the_invoice_shows_the_fees():
    subscription = month_end_subscription(auto_decrement=False)
    package_charge_run(today=TODAY)

    invoice = invoice_create(customer=subscription.customer, start=datetime(2026, 2, 1, tzinfo=UTC),
                             end=datetime(2026, 3, 1, tzinfo=UTC))

    assert not LedgerEntry.objects.filter(customer=subscription.customer, kind=LedgerEntry.Kind.PACKAGE_FEE).exists()
    assert [(line.description, line.amount) for line in invoice.lines.all()] == [
        (f"{subscription.package}: 2026-02-28 to 2026-03-30", Decimal("10.00"))]
    assert invoice.total >= Decimal("10.00")


@pytest.mark.django_db
def test_the_preview_lists_what_the_next_run_charges(admin_client):
    subscription = month_end_subscription()

    due = package_charges_due(subscription=subscription, today=TODAY)
    page = admin_client.get(f"/packages/subscriptions/{subscription.pk}/preview/").content.decode()

    assert [c.kind for c in due] == ["setup", "recurring", "recurring", "recurring"]
    assert "Due now" in page and "setup" in page
    assert not PackageCharge.objects.exists()


@pytest.mark.django_db
def test_an_ended_subscription_is_charged_up_to_its_end_only():
    month_end_subscription(end=date(2026, 1, 31))

    package_charge_run(today=TODAY)

    assert sorted(PackageCharge.objects.filter(kind="recurring").values_list("period_start", flat=True)) == [
        date(2025, 12, 31), date(2026, 1, 31)]


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_charge_each_period_exactly_once():
    subscriptions = [month_end_subscription() for _ in range(3)]
    barrier, errors = threading.Barrier(4), []

    def worker():
        try:
            barrier.wait()
            package_charge_run(today=TODAY)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert PackageCharge.objects.count() == 12
    for subscription in subscriptions:
        subscription.customer.refresh_from_db()
        assert subscription.customer.balance == Decimal("100") - Decimal("35")
        assert LedgerEntry.objects.filter(customer=subscription.customer, kind="package_fee").count() == 4


@pytest.mark.django_db
def test_the_sql_period_rule_equals_the_python_one():
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 400, 3)] + [date(2024, 2, 29), date(2026, 3, 1)]
    cases = [(frequency, dom, day) for frequency in ("daily", "weekly", "monthly") for dom in (1, 15, 29, 31)
             for day in days]
    with connection.cursor() as cursor:
        cursor.execute("SELECT cx_package_period_start(f, d, t) FROM unnest(%s::text[], %s::int[], %s::date[]) "
                       "AS x(f, d, t)", [[c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases]])
        sql = [row[0] for row in cursor.fetchall()]
    assert sql == [period_start(*case) for case in cases]


@pytest.mark.django_db
def test_a_subscription_that_cannot_be_charged_does_not_hold_back_the_others():
    from ledger import services as ledger_services

    broken, fine = month_end_subscription(), month_end_subscription()
    real = ledger_services.ledger_post_many

    def post_many(*, postings, **kwargs):
        if postings[0].customer_id == broken.customer_id:
            raise ArithmeticError("numeric field overflow")
        return real(postings=postings, **kwargs)

    with mock.patch.object(ledger_services, "ledger_post_many", post_many):
        assert package_charge_run(today=TODAY) == 4

    assert PackageCharge.objects.filter(subscription=fine).count() == 4
    assert not PackageCharge.objects.filter(subscription=broken).exists()  # nothing half charged
    broken.customer.refresh_from_db()
    assert broken.customer.balance == Decimal("100")
    assert package_charge_run(today=TODAY) == 4  # the next run charges it once it can
