import io

import pytest

from ledger.models import LedgerEntry
from summaries import demo
from summaries.models import CdrImport
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_cdrs_come_in_as_a_named_file_import_that_the_call_charges_point_to(monkeypatch):
    customers = CustomerFactory.create_batch(2)
    rows = demo.demo_cdr_rows
    monkeypatch.setattr(demo, "demo_cdr_rows", lambda customers, **kwargs: rows(customers, days=2))

    demo.load_demo_cdrs(io.StringIO())

    record = CdrImport.objects.get()
    assert (record.origin, record.name) == (CdrImport.Origin.FILE, "demo-cdrs-30-days.csv")
    assert record.inserted == record.rows > 0
    entries = list(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CALL_CHARGES))
    assert {entry.source for entry in entries} == {record}
    assert {entry.customer_id for entry in entries} == {customer.pk for customer in customers}
    assert -sum(entry.amount for entry in entries) == record.charged
