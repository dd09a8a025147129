"""The customer's account is kept in process between decisions: every way it changes reaches the
next decision, and a decision on a warm cache reads nothing from PostgreSQL."""

import random
from datetime import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from alerts.services import alerts_evaluate
from customers.models import Customer
from customers.services import customer_bulk_update
from ledger.models import LedgerEntry
from ledger.services import ledger_post
from routing import cache
from routing.engine import CallRequest, account_read, decide
from tests.factories import AlertFactory, AllowedWindowFactory, ApprovedCLIFactory, ContactFactory
from tests.routing.helpers import NOW, customer_with_route, provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_versions")]
CLI = "442071234567"


def call(customer):
    return decide(CallRequest(dialed="447911123456", cli=CLI, customer_id=customer.pk, at=NOW),
                  rng=random.Random(7))


@pytest.fixture
def customer():
    provider({"4479": "0.0600"}, name="A")
    customer, _ = customer_with_route()
    assert call(customer).allowed  # the account is now cached
    return customer


def sql(statement, *params):
    """A write no signal announces."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def save_status(customer):
    customer.status = Customer.Status.INACTIVE
    customer.save()


@pytest.mark.parametrize(("change", "reason"), [
    (save_status, "status not active (Inactive)"),
    (lambda c: Customer.objects.filter(pk=c.pk).update(status="inactive"), "status not active (Inactive)"),
    (lambda c: customer_bulk_update(customer_ids=[c.pk], values={"status": "inactive"}),
     "status not active (Inactive)"),
    (lambda c: ledger_post(customer_id=c.pk, amount=Decimal("-11"), kind=LedgerEntry.Kind.ADJUSTMENT),
     "balance below debit limit"),
    (lambda c: ledger_post(customer_id=c.pk, amount=Decimal("-9.995"), kind=LedgerEntry.Kind.ADJUSTMENT),
     "insufficient credit"),
    (lambda c: AllowedWindowFactory(customer=c, start=time(1), end=time(2)), "outside allowed time"),
    (lambda c: Customer.objects.filter(pk=c.pk).update(email_verification_required=True),
     "verification pending (email)"),
    (lambda c: Customer.objects.filter(pk=c.pk).update(approved_clis_only=True), "CLI not approved"),
])
def test_a_change_to_the_account_reaches_the_next_decision(customer, change, reason):
    change(customer)

    decision = call(customer)

    assert (decision.allowed, decision.reasons) == (False, [reason])


def test_a_payment_lifts_a_refusal_cached_before_it(customer):
    ledger_post(customer_id=customer.pk, amount=Decimal("-11"), kind=LedgerEntry.Kind.ADJUSTMENT)
    assert call(customer).reasons == ["balance below debit limit"]

    ledger_post(customer_id=customer.pk, amount=Decimal("5"), kind=LedgerEntry.Kind.PAYMENT)

    assert call(customer).allowed


def test_a_verified_contact_and_an_approved_cli_reach_the_next_decision(customer):
    Customer.objects.filter(pk=customer.pk).update(email_verification_required=True, approved_clis_only=True)
    assert call(customer).reasons == ["verification pending (email)", "CLI not approved"]

    contact = ContactFactory(customer=customer, email_verified=True)
    assert call(customer).reasons == ["CLI not approved"]

    approved = ApprovedCLIFactory(customer=customer, number=f"+{CLI}")
    assert call(customer).allowed

    approved.revoked_at = NOW
    approved.save()
    contact.delete()
    assert call(customer).reasons == ["verification pending (email)", "CLI not approved"]


def test_a_penalty_applied_by_an_alert_reaches_the_next_decision(customer):
    AlertFactory(customer=customer, threshold=Decimal("10"), penalty=True)
    Customer.objects.filter(pk=customer.pk).update(balance=Decimal("5"))
    assert call(customer).allowed  # cached again, at the new balance

    alerts_evaluate(now=NOW, sync_defaults=False)

    assert call(customer).reasons == ["status not active (Penalty)"]


def test_after_redis_loses_its_keys_no_account_cached_before_is_trusted(customer):
    sql("UPDATE customers_customer SET status = 'inactive' WHERE id = %s", customer.pk)
    assert call(customer).allowed  # nothing announced the change: the cached account still decides
    cache.redis_client().delete(cache.ACCOUNTS_KEY, f"{cache.ACCOUNT_KEY}{customer.pk}")

    assert call(customer).reasons == ["status not active (Inactive)"]


def test_without_redis_every_decision_reads_the_account(customer, monkeypatch):
    monkeypatch.setattr(cache, "versions_read", lambda customer_id=None: None)
    monkeypatch.setattr("routing.engine.versions_read", lambda customer_id=None: None)
    sql("UPDATE customers_customer SET status = 'inactive' WHERE id = %s", customer.pk)

    assert call(customer).reasons == ["status not active (Inactive)"]


def test_a_decision_on_a_warm_cache_reads_nothing_from_postgresql(customer):
    with CaptureQueriesContext(connection) as queries:
        decision = call(customer)

    assert decision.allowed and len(queries) == 0


def test_the_account_is_read_by_a_statement_the_driver_prepares_never_by_sql_prepare(customer, monkeypatch):
    """A pooler in transaction mode carries protocol-level statements between its server connections
    (PgBouncer 1.21+); a statement from SQL PREPARE stays on one and fails on the next."""
    monkeypatch.setattr("routing.engine.versions_read", lambda customer_id=None: None)  # read every time
    with CaptureQueriesContext(connection) as queries:
        assert call(customer).allowed and call(customer).allowed

    assert sum("FROM customers_customer c WHERE c.id" in q["sql"] for q in queries.captured_queries) == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, from_sql FROM pg_prepared_statements")
        statements = cursor.fetchall()
    mine = [from_sql for statement, from_sql in statements if "FROM customers_customer c WHERE c.id" in statement]
    assert mine == [False]  # one statement for both reads, prepared by the protocol


def test_a_daily_spend_limit_is_checked_on_the_day_spend_read_for_each_call(customer):
    Customer.objects.filter(pk=customer.pk).update(daily_spend_limit=Decimal("1"))
    assert call(customer).allowed

    sql("INSERT INTO ledger_dailyspend (customer_id, day, amount, calls) VALUES (%s, %s, 1, 1)",
        customer.pk, NOW.date())

    assert call(customer).reasons == ["daily spend limit reached"]


@pytest.mark.django_db(transaction=True)
def test_the_account_query_is_prepared_once_per_session_and_survives_a_rollback(customer):
    connection.close()  # a new session: the statement is prepared again
    with pytest.raises(RuntimeError), transaction.atomic():
        assert account_read(customer.pk).balance == Decimal("10")
        raise RuntimeError  # the statement was prepared in this rolled-back transaction

    Customer.objects.filter(pk=customer.pk).update(status="inactive")
    assert call(customer).reasons == ["status not active (Inactive)"]
    connection.close()
    assert account_read(customer.pk).status == "inactive"
