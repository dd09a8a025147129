"""An issued invoice and its lines are fixed for every writer, not only for save()."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing.models import Invoice, InvoiceLine
from invoicing.services import invoice_create, invoice_issue, invoice_void
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued():
    invoice = InvoiceFactory()
    InvoiceLine.objects.create(invoice=invoice, description="Calls", quantity=Decimal("10"), amount=Decimal("3.00"))
    return invoice_issue(invoice=invoice, render=False)


def refused(sql, params, message):
    with pytest.raises(IntegrityError, match=message), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_lines_of_an_issued_invoice_cannot_be_changed_added_or_deleted(issued):
    line = issued.lines.get()
    with pytest.raises(IntegrityError, match="Only lines of a draft invoice can change."), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).update(amount=Decimal("0.01"))
    with pytest.raises(IntegrityError, match="Only lines of a draft invoice can change."), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(IntegrityError, match="Only lines of a draft invoice can change."), transaction.atomic():
        InvoiceLine.objects.bulk_create([InvoiceLine(invoice=issued, description="Extra", amount=Decimal("1"))])
    refused("UPDATE invoicing_invoiceline SET description = 'Changed' WHERE id = %s", [line.pk],
            "Only lines of a draft invoice can change.")
    line.refresh_from_db()
    assert (line.description, line.amount, issued.lines.count()) == ("Calls", Decimal("3.00"), 1)


def test_a_line_cannot_be_moved_from_an_issued_invoice_to_a_draft(issued):
    draft = InvoiceFactory(customer=issued.customer)
    line = issued.lines.get()
    with pytest.raises(IntegrityError, match="Only lines of a draft invoice can change."), transaction.atomic():
        InvoiceLine.objects.filter(pk=line.pk).update(invoice=draft)


def test_lines_of_a_draft_change_freely():
    draft = InvoiceFactory()
    line = InvoiceLine.objects.create(invoice=draft, description="Calls", amount=Decimal("3.00"))
    InvoiceLine.objects.filter(pk=line.pk).update(amount=Decimal("4.00"))
    InvoiceLine.objects.filter(pk=line.pk).delete()
    assert not draft.lines.exists()


def test_amounts_number_and_period_of_an_issued_invoice_are_fixed(issued):
    message = f"Invoice {issued.number} is issued: its customer, period, number and amounts cannot change."
    for values in ({"total": Decimal("0.01")}, {"number": "INV-999"}, {"customer": CustomerFactory()},
                   {"period_end": issued.period_end.replace(year=2030)}):
        with pytest.raises(IntegrityError, match=message), transaction.atomic():
            Invoice.objects.filter(pk=issued.pk).update(**values)
    refused("UPDATE invoicing_invoice SET subtotal = 0, total = 0 WHERE id = %s", [issued.pk], message)
    issued.refresh_from_db()
    assert issued.total == Decimal("3.00")


def test_an_issued_invoice_is_still_paid_voided_and_given_its_pdf(issued):
    Invoice.objects.filter(pk=issued.pk).update(amount_paid=Decimal("1.00"), status=Invoice.Status.PARTLY_PAID,
                                                pdf="invoices/x.pdf")
    Invoice.objects.filter(pk=issued.pk).update(amount_paid=Decimal("0"), status=Invoice.Status.ISSUED)
    assert invoice_void(invoice=issued, reason="Wrong period").status == Invoice.Status.VOID


def test_invoice_currency_is_fixed_even_on_a_draft():
    draft = invoice_create(customer=CustomerFactory(currency="USD"), start=datetime(2026, 3, 1, tzinfo=UTC),
                           end=datetime(2026, 4, 1, tzinfo=UTC), lines=[])
    with pytest.raises(IntegrityError, match=rf"The currency of an invoice cannot change \(invoice {draft.pk}\)"), \
            transaction.atomic():
        Invoice.objects.filter(pk=draft.pk).update(currency="EUR")
