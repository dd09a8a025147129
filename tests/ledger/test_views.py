import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from ledger.models import LedgerEntry
from ledger.services import ledger_post
from tests.factories import CustomerFactory, StaffFactory
from tests.summaries.helpers import T0, cdr_row, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    customer = CustomerFactory(balance=Decimal("0"))
    for day, amount, kind in [(1, "100", "payment"), (2, "-12.5", "call_charges"), (3, "-7.25", "call_charges"),
                              (4, "5", "adjustment")]:
        ledger_post(customer_id=customer.pk, amount=Decimal(amount), kind=kind, description=f"entry {day}",
                    posted_at=datetime(2026, 11, day, 12, tzinfo=UTC))
    return customer


def client_with(client, perm=True):
    perms = ["customers.view_customer", "customers.view_all_customers", "invoicing.view_payment"]
    user = StaffFactory(perms=perms + (["ledger.view_ledgerentry"] if perm else []))
    client.force_login(user)
    return client


def test_statement_shows_every_entry_with_its_running_balance_newest_first(client, customer):
    response = client_with(client).get(f"/ledger/customers/{customer.pk}/statement/")
    assert response.status_code == 200
    rows = [(line.amount, line.running_balance) for line in response.context["statement"].data]
    assert rows == [(Decimal("5"), Decimal("85.25")), (Decimal("-7.25"), Decimal("80.25")),
                    (Decimal("-12.5"), Decimal("87.5")), (Decimal("100"), Decimal("100"))]


def test_filtered_statement_keeps_the_true_running_balance(client, customer):
    response = client_with(client).get(f"/ledger/customers/{customer.pk}/statement/",
                                       {"kind": "call_charges", "posted_min": "2026-11-03"})
    rows = [(line.description, line.running_balance) for line in response.context["statement"].data]
    assert rows == [("entry 3", Decimal("80.25"))]


def test_statement_exports_the_filtered_entries_as_csv(client, customer):
    response = client_with(client).get(f"/ledger/customers/{customer.pk}/statement/",
                                       {"kind": "call_charges", "_export": "csv"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["Posted", "Kind", "Description", "Calls", "Amount", "Balance"]
    assert [row[4:] for row in rows[1:]] == [["-7.250000", "80.250000"], ["-12.500000", "87.500000"]]


def test_statement_needs_the_view_permission(client, customer):
    assert client_with(client, perm=False).get(f"/ledger/customers/{customer.pk}/statement/").status_code == 403
    client.logout()
    assert client.get(f"/ledger/customers/{customer.pk}/statement/").status_code == 302


def test_payments_tab_shows_the_statement_to_staff_allowed_to_see_it(client, customer):
    page = client_with(client).get(f"/customers/{customer.pk}/tab/payments/").content.decode()
    assert 'id="statement"' in page and "entry 4" in page and "85.2500" in page
    client.logout()
    page = client_with(client, perm=False).get(f"/customers/{customer.pk}/tab/payments/").content.decode()
    assert 'id="statement"' not in page and LedgerEntry.objects.count() == 4


def test_statement_names_the_file_and_call_days_a_call_charge_came_from(client, customer, tmp_path):
    path = tmp_path / "switch-a-1120.csv"
    path.write_bytes(csv_bytes([
        cdr_row(customer.pk, "d1"),
        cdr_row(customer.pk, "d2", start_time=(T0 + timedelta(days=1)).isoformat(),
                answer_time=(T0 + timedelta(days=1, seconds=2)).isoformat(),
                end_time=(T0 + timedelta(days=1, seconds=62)).isoformat())]))
    call_command("import_cdrs", str(path), "--no-progress")

    response = client_with(client).get(f"/ledger/customers/{customer.pk}/statement/")
    entry = LedgerEntry.objects.get(customer=customer, calls=2)
    assert entry.amount == Decimal("-0.062") and entry.source.name == "switch-a-1120.csv"
    assert (f"Call charges of 2026-11-20 – 2026-11-21, CDR file switch-a-1120.csv (import {entry.source_id})"
            in response.content.decode())
