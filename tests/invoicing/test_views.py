import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from invoicing import services
from invoicing.models import Invoice, InvoiceTemplate, Payment
from messaging.models import Message
from summaries.periods import Period
from tests.factories import ContactFactory, CustomerFactory, InvoiceTemplateFactory

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def issue_day(customer, day):
    period = Period.from_key(f"daily:{day}")
    return services.invoice_issue(invoice=services.invoice_create(customer=customer, start=period.start,
                                                                  end=period.end))


def test_generate_invoice_makes_one_issued_invoice_per_selected_period(staff_client, usage):
    customer = CustomerFactory()
    usage(customer, date(2026, 11, 1), charge="3")
    usage(customer, date(2026, 11, 2), charge="4")
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/generate/",
                                 {"periods": ["daily:2026-11-01", "daily:2026-11-02"]}, follow=True)
    invoices = Invoice.objects.filter(customer=customer).order_by("period_start")
    assert [(i.status, i.total) for i in invoices] == [("issued", Decimal("3.00")), ("issued", Decimal("4.00"))]
    assert all(i.pdf for i in invoices)
    assert "Generated 2 invoices" in response.content.decode()


def test_generate_refuses_overlap_naming_the_invoice_and_saves_nothing(staff_client):
    customer = CustomerFactory()
    existing = issue_day(customer, "2026-11-03")
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/generate/",
                                 {"periods": ["daily:2026-11-01", "weekly:2026-11-02"]}, follow=True)
    assert f"overlaps invoice {existing.number} (2026-11-03 to 2026-11-03, issued)" in response.content.decode()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/generate/",
                                 {"periods": ["daily:2026-11-10", "weekly:2026-11-09"]}, follow=True)
    assert "2026-11-10 (Tue) overlaps the selected 2026-W46 (9–15 Nov)." in response.content.decode()
    assert Invoice.objects.filter(customer=customer).count() == 1


def test_generate_rejects_a_bad_period_value(staff_client):
    customer = CustomerFactory()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/generate/",
                                 {"periods": ["weekly:2026-11-03"]}, follow=True)
    assert "does not start a weekly period" in response.content.decode()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/generate/",
                                 {"periods": ["hourly:2026-11-03T10"]}, follow=True)
    assert "expected daily or weekly or monthly" in response.content.decode()
    assert not Invoice.objects.exists()


def test_generate_drafts_then_edit_and_issue(staff_client, usage):
    customer = CustomerFactory()
    usage(customer, date(2026, 11, 1), charge="3")
    staff_client.post(f"/invoicing/customer/{customer.pk}/generate/?draft=1", {"periods": ["daily:2026-11-01"]})
    draft = Invoice.objects.get(customer=customer)
    assert draft.status == "draft" and draft.number is None
    response = staff_client.post(f"/invoicing/{draft.pk}/lines/", {"description": "Porting fee", "quantity": "0",
                                                                     "amount": "10", "reason": ""}, follow=True)
    assert "Reason: This field is required." in response.content.decode()
    staff_client.post(f"/invoicing/{draft.pk}/lines/", {"description": "Porting fee", "quantity": "0",
                                                         "amount": "10", "reason": "Ported 2 numbers"})
    staff_client.post(f"/invoicing/{draft.pk}/issue/")
    draft.refresh_from_db()
    assert draft.status == "issued" and draft.total == Decimal("13.00")
    response = staff_client.get(f"/invoicing/{draft.pk}/")
    assert "Ported 2 numbers" in response.content.decode()


def test_auto_generate_button(staff_client, usage):
    customer = CustomerFactory(invoice_schedule="daily")
    usage(customer, date(2026, 11, 1))
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/auto-generate/", follow=True)
    assert "Generated 1 missing invoice" in response.content.decode()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/auto-generate/", follow=True)
    assert "No invoices missing" in response.content.decode()
    assert Invoice.objects.filter(customer=customer).count() == 1


def test_invoice_list_filters_totals_per_currency_and_csv(staff_client):
    usd, eur = CustomerFactory(currency="USD"), CustomerFactory(currency="EUR")
    for customer, lines in ((usd, ["10", "5.5"]), (eur, ["7"])):
        for day, amount in enumerate(lines, start=1):
            period = Period.from_key(f"daily:2026-11-0{day}")
            invoice = services.invoice_create(customer=customer, start=period.start, end=period.end)
            services.invoice_line_add(invoice=invoice, description="Fee", quantity=0, amount=amount, reason="test")
            services.invoice_issue(invoice=invoice, render=False)
    response = staff_client.get("/invoicing/")
    totals = response.context["currency_totals"]
    assert [(r["currency"], r["count"], r["total"]) for r in totals] == [("EUR", 1, Decimal("7.00")),
                                                                         ("USD", 2, Decimal("15.50"))]
    response = staff_client.get("/invoicing/", {"currency": "EUR"})
    assert [r.record.customer_id for r in response.context["table"].page.object_list] == [eur.pk]
    response = staff_client.get("/invoicing/", {"customer": usd.pk, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 3 and "Total" in rows[0]
    assert sorted(row[rows[0].index("Total")] for row in rows[1:]) == ["10.00", "5.50"]
    response = staff_client.get("/invoicing/", {"overdue": "true"})
    assert len(response.context["table"].page.object_list) == 0
    late = Invoice.objects.get(customer=eur)
    Invoice.objects.filter(pk=late.pk).update(due_date=date(2020, 1, 1))
    response = staff_client.get("/invoicing/", {"overdue": "true"})
    assert [r.record.pk for r in response.context["table"].page.object_list] == [late.pk]
    assert "overdue" in response.content.decode()


def test_list_and_card_tab_download_pdf(staff_client):
    customer = CustomerFactory(name="Vandelay Voice")
    invoice = issue_day(customer, "2026-11-01")
    tab = staff_client.get(f"/customers/{customer.pk}/tab/invoices/")
    assert f"/invoicing/{invoice.pk}/pdf/" in tab.content.decode()
    response = staff_client.get(f"/invoicing/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert invoice.number in pdf_text(b"".join(response.streaming_content))


def test_send_emails_pdf_to_billing_contacts_and_records_it(staff_client, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    billing = ContactFactory(customer=customer, contact_type="billing", email="billing@globex.test")
    ContactFactory(customer=customer, contact_type="technical", email="noc@globex.test")
    invoice = issue_day(customer, "2026-11-01")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/invoicing/{invoice.pk}/send/")
    message = Message.objects.get(kind="invoice")
    assert (message.to, message.contact_id) == ("billing@globex.test", billing.pk)
    assert [m.to for m in mail.outbox] == [["billing@globex.test"]]
    name, content, mimetype = mail.outbox[0].attachments[0]
    assert name == f"{invoice.number}.pdf" and invoice.number in pdf_text(content)
    assert invoice.events.get(type="emailed").parameters["to"] == ["billing@globex.test"]


def test_send_goes_to_all_contacts_when_none_is_billing():
    customer = CustomerFactory()
    ContactFactory(customer=customer, contact_type="technical", email="a@x.test")
    ContactFactory(customer=customer, contact_type="sales", email="b@x.test")
    invoice = issue_day(customer, "2026-11-01")
    services.invoice_send(invoice=invoice)
    assert sorted(Message.objects.values_list("to", flat=True)) == ["a@x.test", "b@x.test"]


def test_template_editor_shows_template_errors_instead_of_raising(staff_client):
    template = InvoiceTemplateFactory()
    response = staff_client.post(f"/invoicing/templates/{template.pk}/", {
        "name": template.name, "html": "<p>{% if %}</p>", "css": ""})
    assert response.status_code == 422
    assert "Template error on line 1" in response.content.decode()
    template.refresh_from_db()
    assert "{% if %}" not in template.html
    preview = staff_client.post("/invoicing/templates/preview/", {"html": "{{ lines|nosuchfilter }}", "css": ""})
    assert preview.status_code == 200 and "Invalid filter" in preview.content.decode()


def test_template_preview_renders_sample_data_and_default_ships(staff_client):
    staff_client.get("/invoicing/templates/")
    default = InvoiceTemplate.objects.get(is_default=True)
    preview = staff_client.post("/invoicing/templates/preview/", {"html": default.html, "css": default.css})
    body = preview.content.decode()
    assert "Sample Customer Ltd" in body and "United Kingdom - Mobile" in body and "INV-1042" in body
    pdf = staff_client.post("/invoicing/templates/preview/?format=pdf", {"html": default.html, "css": default.css,
                                                                          "format": "pdf"})
    assert "Sample Customer Ltd" in pdf_text(pdf.content)


def test_payments_tab_form_errors_next_to_fields(staff_client):
    customer = CustomerFactory(minimum_payment=Decimal("10"), balance=Decimal("0"))
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/payments/add/", {
        "amount": "5", "currency": "USD", "method": "manual", "status": "completed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Below the minimum payment" in response.content.decode()
    assert not Payment.objects.exists()
    response = staff_client.post(f"/invoicing/customer/{customer.pk}/payments/add/", {
        "amount": "15", "currency": "USD", "method": "card", "status": "completed", "description": "Top-up"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.balance == Decimal("15")
    tab = staff_client.get(f"/customers/{customer.pk}/tab/payments/")
    assert "Top-up" in tab.content.decode()


@pytest.mark.parametrize("path", ["/invoicing/", "/invoicing/templates/"])
def test_panel_pages_need_staff(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login/" in response["Location"]
