import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from customers.models import Customer
from customers.services import AdmissionReason, call_admission
from invoicing import services as invoicing
from ledger.models import DailySpend, LedgerEntry
from ledger.services import ledger_differences, ledger_post, ledger_record_opening
from summaries.services import cdr_import
from tests.factories import CustomerFactory
from tests.summaries.helpers import T0, cdr_row, csv_stream


def balance(customer):
    return Customer.objects.get(pk=customer.pk).balance


def ledger_total(customer):
    return sum(LedgerEntry.objects.filter(customer=customer).values_list("amount", flat=True), Decimal("0"))


@pytest.mark.django_db
def test_payments_post_entries_and_every_status_change_moves_balance_and_ledger_together():
    customer = CustomerFactory(balance=Decimal("0"))
    payment = invoicing.payment_record(customer=customer, amount="40", currency="USD", description="Top-up")
    invoicing.payment_set_status(payment=payment, status="cancelled")
    invoicing.payment_set_status(payment=payment, status="completed")

    kinds = list(LedgerEntry.objects.filter(customer=customer).order_by("pk").values_list("kind", "amount"))
    assert kinds == [("payment", Decimal("40")), ("payment_reversal", Decimal("-40")), ("payment", Decimal("40"))]
    assert balance(customer) == ledger_total(customer) == Decimal("40")
    entry = LedgerEntry.objects.filter(customer=customer).first()
    assert entry.source == payment and entry.description == "Top-up"
    assert ledger_differences() == []


@pytest.mark.django_db
def test_import_posts_one_call_charges_entry_per_customer_and_spend_per_call_day():
    first, second = CustomerFactory(balance=Decimal("0")), CustomerFactory(balance=Decimal("0"))
    next_day = T0 + timedelta(days=1)
    rows = [cdr_row(first.pk, "a", charge="1.250000"), cdr_row(first.pk, "b", charge="0.750000"),
            cdr_row(first.pk, "c", charge="3", start_time=next_day.isoformat(),
                    answer_time=(next_day + timedelta(seconds=2)).isoformat(),
                    end_time=(next_day + timedelta(seconds=62)).isoformat()),
            cdr_row(second.pk, "d", charge="0.000001")]

    cdr_import(stream=csv_stream(rows))
    cdr_import(stream=csv_stream(rows))  # the same file again: all duplicates, nothing posted

    entries = list(LedgerEntry.objects.order_by("customer_id").values_list("customer_id", "kind", "amount", "calls"))
    assert entries == [(first.pk, "call_charges", Decimal("-5"), 3), (second.pk, "call_charges", Decimal("-0.000001"), 1)]
    assert balance(first) == Decimal("-5") and balance(second) == Decimal("-0.000001")
    spend = dict(DailySpend.objects.filter(customer=first).values_list("day", "amount"))
    assert spend == {T0.date(): Decimal("2"), next_day.date(): Decimal("3")}
    assert ledger_differences() == []


@pytest.mark.django_db
def test_free_calls_post_no_entry():
    customer = CustomerFactory(balance=Decimal("0"))
    cdr_import(stream=csv_stream([cdr_row(customer.pk, "free", charge="0")]))
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_opening_entries_record_existing_balances_without_moving_them_and_only_once():
    customer = CustomerFactory(balance=Decimal("80.00"))
    empty = CustomerFactory(balance=Decimal("0"))
    assert ledger_differences([customer.pk, empty.pk])[0]["difference"] == Decimal("80")

    assert ledger_record_opening() >= 1
    assert ledger_record_opening() == 0

    assert balance(customer) == Decimal("80") and ledger_total(customer) == Decimal("80")
    assert not LedgerEntry.objects.filter(customer=empty).exists()
    assert ledger_differences() == []


@pytest.mark.django_db
def test_check_balances_reports_a_cache_that_drifted_from_the_ledger(capsys):
    customer = CustomerFactory(balance=Decimal("0"))
    invoicing.payment_record(customer=customer, amount="100", currency="USD")
    cdr_import(stream=csv_stream([cdr_row(customer.pk, "x", charge="1.25")]))
    call_command("check_balances")
    assert "0 balance difference(s)" in capsys.readouterr().out

    Customer.objects.filter(pk=customer.pk).update(balance=Decimal("99.75"))
    call_command("check_balances")
    out = capsys.readouterr().out
    assert f"#{customer.pk}" in out and "+1.000000" in out and "1 balance difference(s)" in out


@pytest.mark.django_db
def test_posted_entries_cannot_be_edited_or_deleted():
    customer = CustomerFactory(balance=Decimal("0"))
    entry = ledger_post(customer_id=customer.pk, amount=Decimal("5"), kind=LedgerEntry.Kind.ADJUSTMENT)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("50"))
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert ledger_total(customer) == balance(customer) == Decimal("5")


@pytest.mark.django_db
def test_zero_and_unknown_postings_are_refused_or_skipped():
    customer = CustomerFactory(balance=Decimal("0"))
    assert ledger_post(customer_id=customer.pk, amount=Decimal("0"), kind="adjustment") is None
    with pytest.raises(ValueError):
        ledger_post(customer_id=customer.pk, amount=Decimal("1"), kind="gift")
    assert not LedgerEntry.objects.exists() and balance(customer) == 0


@pytest.mark.django_db
def test_daily_spend_limit_reads_the_day_total_of_imported_charges():
    customer = CustomerFactory(balance=Decimal("100"), daily_spend_limit=Decimal("2"))
    ledger_record_opening(customer_ids=[customer.pk])
    at = T0 + timedelta(hours=1)
    assert AdmissionReason.DAILY_SPEND not in call_admission(customer, at).reasons

    cdr_import(stream=csv_stream([cdr_row(customer.pk, "a", charge="1.5"), cdr_row(customer.pk, "b", charge="0.5")]))

    customer.refresh_from_db()
    assert AdmissionReason.DAILY_SPEND in call_admission(customer, at).reasons
    assert AdmissionReason.DAILY_SPEND not in call_admission(customer, at + timedelta(days=1)).reasons


def _import_in_thread(customer_ids, prefix, count, errors, barrier):
    try:
        barrier.wait()
        rows = [cdr_row(customer_ids[n % len(customer_ids)], f"{prefix}-{n}", charge=f"0.{n % 97 + 1:06d}",
                        start_time=(T0 + timedelta(minutes=n)).isoformat(),
                        answer_time=(T0 + timedelta(minutes=n, seconds=1)).isoformat(),
                        end_time=(T0 + timedelta(minutes=n, seconds=61)).isoformat())
                for n in range(count)]
        # Overlapping call ids between threads: each CDR must be charged exactly once.
        rows += [cdr_row(customer_ids[0], "shared-1", charge="1"), cdr_row(customer_ids[1], "shared-2", charge="2")]
        cdr_import(stream=csv_stream(rows))
        invoicing.payment_record(customer=Customer.objects.get(pk=customer_ids[0]), amount="10", currency="USD")
    except Exception as exc:  # reported to the main thread
        errors.append(exc)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_and_payments_on_separate_connections_keep_ledger_and_cache_equal():
    customers = [CustomerFactory(balance=Decimal("25")), CustomerFactory(balance=Decimal("0"))]
    ledger_record_opening()
    ids = [c.pk for c in customers]
    errors, threads = [], []
    barrier = threading.Barrier(4)
    for n in range(4):
        threads.append(threading.Thread(target=_import_in_thread, args=(ids, f"t{n}", 150, errors, barrier)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ledger_differences() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_id, sum(charge) FROM summaries_calldetailrecord GROUP BY 1")
        charged = dict(cursor.fetchall())
        cursor.execute("SELECT customer_id, (start_time AT TIME ZONE 'UTC')::date, sum(charge) "
                       "FROM summaries_calldetailrecord GROUP BY 1, 2")
        by_day = {(c, d): s for c, d, s in cursor.fetchall()}
    assert balance(customers[0]) == Decimal("25") + 4 * Decimal("10") - charged[ids[0]]
    assert balance(customers[1]) == -charged[ids[1]]
    assert dict(((s.customer_id, s.day), s.amount) for s in DailySpend.objects.all()) == by_day
    assert LedgerEntry.objects.filter(kind="call_charges").count() == 8  # 4 imports x 2 customers
