import pytest

from invoicing.models import InvoicingOptions
from invoicing.services import invoice_issue
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

FORM = {"invoice_number_prefix": "INV-", "invoice_line_grouping": "day"}


def test_options_page_sets_invoice_numbering_and_grouping(staff_client):
    response = staff_client.post("/settings/invoicing/", {**FORM, "invoice_next_number": "1001",
                                                        "invoice_empty_periods": "on"})
    assert response.status_code == 302
    options = InvoicingOptions.get()
    assert (options.invoice_next_number, options.invoice_line_grouping, options.invoice_empty_periods) == (
        1001, "day", True)
    issued = invoice_issue(invoice=InvoiceFactory(), render=False)
    assert issued.number == "INV-1001"


def test_next_invoice_number_cannot_go_back_to_a_number_already_issued(staff_client):
    InvoicingOptions.objects.update_or_create(pk=1, defaults={"invoice_next_number": 40})
    invoice_issue(invoice=InvoiceFactory(), render=False)  # INV-40
    response = staff_client.post("/settings/invoicing/", {**FORM, "invoice_next_number": "40"})
    assert response.status_code == 422
    assert "INV-40 has been issued already" in response.context["form"].errors["invoice_next_number"][0]
    assert InvoicingOptions.get().invoice_next_number == 41
