"""Staff never read internal syntax: period keys, choice values, "None" as a word."""

from datetime import UTC, datetime

from invoicing.models import Invoice
from tests.factories import CustomerFactory


def test_invoices_tab_and_summary_speak_plainly_for_a_customer_without_schedule(staff_client):
    customer = CustomerFactory(invoice_schedule="none", invoice_due_days=30)
    tab = staff_client.get(f"/customers/{customer.pk}/tab/invoices/").content.decode()
    main = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "No invoice schedule · due 30 days after issue" in tab
    for text in ("None schedule", "monthly:", "none periods"):
        assert text not in tab and text not in main
    assert "Set an invoice schedule under Edit → Config first" in main


def test_draft_is_created_from_a_period_length_and_a_day_in_it(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/draft/", {"kind": "monthly", "day": "2026-10-14"})
    invoice = Invoice.objects.get(customer=customer)
    assert response.status_code == 302
    assert (invoice.period_start, invoice.period_end) == (datetime(2026, 10, 1, tzinfo=UTC),
                                                          datetime(2026, 11, 1, tzinfo=UTC))


def test_draft_without_a_day_says_so_and_creates_nothing(staff_client):
    customer = CustomerFactory()
    page = staff_client.post(f"/invoicing/customer/{customer.pk}/draft/", {"kind": "weekly", "day": ""},
                             follow=True).content.decode()
    assert "Draft not created: Pick a day in the period." in page
    assert not Invoice.objects.exists()
