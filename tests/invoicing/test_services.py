import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from connex.models import AccountOptions
from customers.models import Customer
from invoicing import services
from invoicing.models import Invoice, InvoiceEvent, InvoicingOptions
from summaries.periods import Period
from tests.factories import CustomerFactory, InvoiceFactory, InvoiceTemplateFactory

from .conftest import pdf_text

pytestmark = pytest.mark.django_db
NOV1 = datetime(2026, 11, 1, tzinfo=UTC)


def day_invoice(customer, day, **kwargs):
    period = Period.from_key(f"daily:{day}")
    return services.invoice_create(customer=customer, start=period.start, end=period.end, **kwargs)


def test_lines_one_per_destination_with_minutes_and_rounded_amounts(usage):
    customer = CustomerFactory(tax_percent=Decimal("0"))
    usage(customer, date(2026, 11, 1), "Germany - Fixed", minutes=7, charge="0.333333", hours=3)
    usage(customer, date(2026, 11, 1), "United Kingdom - Mobile", minutes=1, charge="0.004999")
    usage(customer, date(2026, 11, 2), "Germany - Fixed", minutes=100, charge="9.000000")  # next day: not included
    invoice = day_invoice(customer, "2026-11-01")
    lines = list(invoice.lines.values_list("description", "quantity", "amount"))
    # 3 × 0.333333 = 0.999999 → 1.00 (half-up at the cent); 0.004999 → 0.00
    assert lines == [("Germany - Fixed", Decimal("21.00"), Decimal("1.00")),
                     ("United Kingdom - Mobile", Decimal("1.00"), Decimal("0.00"))]
    assert invoice.subtotal == Decimal("1.00")


def test_lines_one_per_day_when_the_account_option_says_so(usage):
    options = InvoicingOptions.get()
    options.invoice_line_grouping = InvoicingOptions.LineGrouping.DAY
    options.save()
    customer = CustomerFactory()
    for day in (1, 2, 3):
        usage(customer, date(2026, 11, day), "A", minutes=day, charge="0.500000")
        usage(customer, date(2026, 11, day), "B", minutes=day, charge="0.250000")
    period = Period.from_key("weekly:2026-10-26")
    invoice = services.invoice_create(customer=customer, start=period.start, end=period.end)
    assert list(invoice.lines.values_list("description", "quantity", "amount")) == [
        ("Calls on 2026-11-01", Decimal("2.00"), Decimal("0.75"))]
    services.invoice_void(invoice=invoice, reason="Regroup by month")
    period = Period.from_key("monthly:2026-11-01")
    invoice = services.invoice_create(customer=customer, start=period.start, end=period.end)
    assert [line.description for line in invoice.lines.all()] == [
        "Calls on 2026-11-01", "Calls on 2026-11-02", "Calls on 2026-11-03"]


def test_tax_and_totals_exact_to_the_cent_with_half_up_rounding(usage):
    customer = CustomerFactory(tax_percent=Decimal("17.50"))
    usage(customer, date(2026, 11, 1), "A", charge="10.005000")  # → 10.01 (half-up; banker's would give 10.00)
    usage(customer, date(2026, 11, 1), "B", charge="0.100000")
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"), render=False)
    assert invoice.subtotal == Decimal("10.11")
    assert invoice.tax_amount == Decimal("1.77")  # 10.11 × 17.5 % = 1.76925 → 1.77
    assert invoice.total == Decimal("11.88")
    assert invoice.tax_percent == Decimal("17.50")


def test_tax_rate_is_the_one_at_issue_time_and_stays_stored(usage):
    customer = CustomerFactory(tax_percent=Decimal("10"))
    usage(customer, date(2026, 11, 1), charge="100")
    draft = day_invoice(customer, "2026-11-01")
    Customer.objects.filter(pk=customer.pk).update(tax_percent=Decimal("20"))
    invoice = services.invoice_issue(invoice=draft, render=False)
    assert (invoice.tax_percent, invoice.total) == (Decimal("20.00"), Decimal("120.00"))
    Customer.objects.filter(pk=customer.pk).update(tax_percent=Decimal("5"))
    invoice.refresh_from_db()
    assert (invoice.tax_percent, invoice.total) == (Decimal("20.00"), Decimal("120.00"))


@time_machine.travel(datetime(2026, 11, 3, 9, 0, tzinfo=UTC), tick=False)
def test_due_date_is_issue_date_plus_customer_due_days():
    customer = CustomerFactory(invoice_due_days=30)
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"), render=False)
    assert invoice.issue_date == date(2026, 11, 3)
    assert invoice.due_date == date(2026, 12, 3)


def test_number_assigned_at_issue_from_options_and_not_before():
    options = InvoicingOptions.get()
    options.invoice_number_prefix, options.invoice_next_number = "CX-", 41
    options.save()
    customer = CustomerFactory()
    draft = day_invoice(customer, "2026-11-01")
    assert draft.number is None
    invoice = services.invoice_issue(invoice=draft, render=False)
    assert invoice.number == "CX-41"
    assert InvoicingOptions.get().invoice_next_number == 42


def test_overlapping_period_is_refused_naming_the_invoice():
    customer = CustomerFactory()
    month = Period.from_key("monthly:2026-10-01")
    october = services.invoice_issue(invoice=services.invoice_create(
        customer=customer, start=month.start, end=month.end), render=False)
    with pytest.raises(ValidationError) as error:
        day_invoice(customer, "2026-10-15")
    assert october.number in error.value.messages[0]
    assert Invoice.objects.filter(customer=customer).count() == 1
    day_invoice(customer, "2026-11-01")  # adjacent (end exclusive) is fine
    day_invoice(CustomerFactory(), "2026-10-15")  # another customer is fine


def test_database_refuses_overlap_even_without_the_python_check():
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, period_start=NOV1, period_end=NOV1 + timedelta(days=7))
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Invoice.objects.create(customer=customer, currency="USD", period_start=NOV1 + timedelta(days=3),
                               period_end=NOV1 + timedelta(days=4))
    assert "invoice_period_no_overlap" in str(error.value)


def test_void_invoice_frees_its_period():
    customer = CustomerFactory()
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"), render=False)
    with pytest.raises(ValidationError):
        services.invoice_void(invoice=invoice, reason=" ")
    services.invoice_void(invoice=invoice, reason="Wrong rates")
    replacement = day_invoice(customer, "2026-11-01")
    assert replacement.pk != invoice.pk
    assert InvoiceEvent.objects.filter(invoice=invoice, type="voided", parameters__reason="Wrong rates").exists()


def test_draft_lines_can_be_edited_with_a_reason_and_are_audited(usage, staff):
    customer = CustomerFactory(tax_percent=Decimal("10"))
    usage(customer, date(2026, 11, 1), charge="5")
    invoice = day_invoice(customer, "2026-11-01")
    with pytest.raises(ValidationError) as error:
        services.invoice_line_add(invoice=invoice, description="Setup fee", quantity=0, amount="20", reason="")
    assert "reason" in error.value.message_dict
    line = services.invoice_line_add(invoice=invoice, description="Setup fee", quantity=0, amount="20",
                                     reason="Agreed in contract", user=staff)
    services.invoice_line_change(line=line, description="Setup fee", quantity=0, amount="25", reason="Typo",
                                 user=staff)
    invoice.refresh_from_db()
    assert invoice.subtotal == Decimal("30.00") and invoice.total == Decimal("33.00")
    services.invoice_line_remove(line=invoice.lines.get(description="United States - Fixed"), reason="Disputed")
    invoice.refresh_from_db()
    assert invoice.subtotal == Decimal("25.00")
    types = list(invoice.events.values_list("type", flat=True))
    assert types == ["created", "line_added", "line_changed", "line_removed"]
    changed = invoice.events.get(type="line_changed")
    assert changed.parameters["before"]["amount"] == "20.00" and changed.parameters["after"]["amount"] == "25.00"
    assert changed.user == staff


def test_issued_invoice_is_immutable(usage):
    customer = CustomerFactory()
    usage(customer, date(2026, 11, 1), charge="5")
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"), render=False)
    line = invoice.lines.get()
    with pytest.raises(ValidationError):
        services.invoice_line_change(line=line, description="x", quantity=1, amount=1, reason="try")
    with pytest.raises(ValidationError):
        services.invoice_line_add(invoice=invoice, description="x", quantity=1, amount=1, reason="try")
    with pytest.raises(ValidationError):
        services.invoice_line_remove(line=line, reason="try")
    with pytest.raises(ValidationError):
        line.delete()
    with pytest.raises(ValidationError):
        services.invoice_issue(invoice=invoice)
    line.refresh_from_db()
    assert line.amount == Decimal("5.00")
    assert invoice.lines.count() == 1


def test_pdf_contains_number_customer_lines_and_total(usage):
    options = AccountOptions.get()
    options.company_name, options.company_address = "Connex Carrier Ltd", "1 Switch Road\nLondon"
    options.save()
    customer = CustomerFactory(name="Globex Telecom", tax_percent=Decimal("20"), address_line1="9 Market St",
                               city="Springfield")
    usage(customer, date(2026, 11, 1), "Germany - Fixed", minutes=30, charge="12.345")
    usage(customer, date(2026, 11, 1), "France - Mobile", minutes=5, charge="1000.00")
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"))
    assert invoice.pdf.name.endswith(".pdf")
    text = pdf_text(invoice.pdf.read())
    for expected in (invoice.number, "Globex Telecom", "9 Market St", "Connex Carrier Ltd", "Germany - Fixed",
                     "France - Mobile", "12.35", "1,012.35", "202.47", "1,214.82"):
        assert expected in text, expected


def test_broken_template_falls_back_to_default_and_records_the_error(usage):
    customer = CustomerFactory(invoice_template=InvoiceTemplateFactory(html="{% for x in %}"))
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"))
    assert invoice.number in pdf_text(invoice.pdf.read())
    event = invoice.events.get(type="rendered")
    assert "Template error" in event.parameters["template_error"]


def test_customer_template_is_used_and_rerender_is_explicit():
    template = InvoiceTemplateFactory(html="<p>CUSTOM {{ invoice.number }} for {{ customer.name }}</p>")
    customer = CustomerFactory(name="Initech", invoice_template=template)
    invoice = services.invoice_issue(invoice=day_invoice(customer, "2026-11-01"))
    assert "CUSTOM" in pdf_text(invoice.pdf.read())
    template.html = "<p>NEWER {{ invoice.number }}</p>"
    template.save()
    invoice.refresh_from_db()
    assert "CUSTOM" in pdf_text(invoice.pdf.read())  # stored PDF unchanged until re-rendered
    services.invoice_render_pdf(invoice=invoice, explicit=True)
    invoice.refresh_from_db()
    assert "NEWER" in pdf_text(invoice.pdf.read())
    assert invoice.events.filter(type="rendered", parameters__explicit=True).exists()


def test_templates_cannot_reach_settings_or_load_tags():
    from invoicing.rendering import render_html

    assert "SECRET" not in render_html("{{ settings.SECRET_KEY }}{{ invoice.customer.delete }}", "", {}).html
    for source in ("{% load static %}", "{% debug %}", "{% include 'base.html' %}", "{% extends 'base.html' %}"):
        assert render_html(source, "", {}).error, source


def test_auto_generation_creates_missing_completed_periods_only(usage):
    customer = CustomerFactory(invoice_schedule="daily")
    for day in (1, 2, 4):
        usage(customer, date(2026, 11, day))
    usage(customer, date(2026, 11, 5))  # today: not complete
    now = datetime(2026, 11, 5, 12, tzinfo=UTC)
    day_invoice(customer, "2026-11-02")  # already invoiced (draft)
    created = services.invoice_auto_generate(now=now)
    assert sorted(i.period_start.date().day for i in created) == [1, 4]  # day 3 had no usage
    assert services.invoice_auto_generate(now=now) == []
    options = InvoicingOptions.get()
    options.invoice_empty_periods = True
    options.save()
    Customer.objects.filter(pk=customer.pk).update(created=datetime(2026, 11, 1, tzinfo=UTC))
    assert [i.period_start.date().day for i in services.invoice_auto_generate(now=now)] == [3]


def test_auto_generation_weekly_and_monthly_periods(usage):
    weekly = CustomerFactory(invoice_schedule="weekly")
    monthly = CustomerFactory(invoice_schedule="monthly")
    for customer in (weekly, monthly):
        usage(customer, date(2026, 10, 28))
        usage(customer, date(2026, 11, 3))
    created = services.invoice_auto_generate(now=datetime(2026, 11, 10, tzinfo=UTC))
    periods = sorted((i.customer_id, i.period_start.date(), i.period_end.date()) for i in created)
    assert periods == [(weekly.pk, date(2026, 10, 26), date(2026, 11, 2)),
                       (weekly.pk, date(2026, 11, 2), date(2026, 11, 9)),
                       (monthly.pk, date(2026, 10, 1), date(2026, 11, 1))]


def _run_in_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait()
            results.append(target(index))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_numbering_gapless_under_concurrent_issuing():
    options = InvoicingOptions.get()
    options.invoice_number_prefix, options.invoice_next_number = "G-", 100
    options.save()
    drafts = [day_invoice(CustomerFactory(), f"2026-11-{day:02d}") for day in range(1, 25)]
    chunks = [drafts[i::4] for i in range(4)]

    def issue(index):
        return [services.invoice_issue(invoice=draft, render=False).number for draft in chunks[index]]

    results, errors = _run_in_threads(4, issue)
    assert errors == []
    numbers = sorted(int(n.removeprefix("G-")) for chunk in results for n in chunk)
    assert numbers == list(range(100, 124))
    assert InvoicingOptions.get().invoice_next_number == 124


@pytest.mark.django_db(transaction=True)
def test_failed_issue_does_not_consume_a_number():
    customer = CustomerFactory()
    draft = day_invoice(customer, "2026-11-01")
    before = InvoicingOptions.get().invoice_next_number
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_issue(invoice=draft, render=False)
        raise RuntimeError("the surrounding work failed")
    assert InvoicingOptions.get().invoice_next_number == before
    assert services.invoice_issue(invoice=draft, render=False).number.endswith(str(before))


@pytest.mark.django_db(transaction=True)
def test_auto_generation_idempotent_under_two_overlapping_runs(usage):
    customers = [CustomerFactory(invoice_schedule="daily") for _ in range(3)]
    for customer in customers:
        for day in range(1, 6):
            usage(customer, date(2026, 11, day))
    start = InvoicingOptions.get().invoice_next_number
    now = datetime(2026, 11, 6, 1, tzinfo=UTC)
    results, errors = _run_in_threads(2, lambda index: services.invoice_auto_generate(now=now))
    assert errors == []
    assert sum(len(result) for result in results) == 15
    invoices = Invoice.objects.filter(customer__in=customers)
    assert invoices.count() == 15
    for customer in customers:
        days = sorted(invoices.filter(customer=customer).values_list("period_start__day", flat=True))
        assert days == [1, 2, 3, 4, 5]
    numbers = sorted(int(n.removeprefix("INV-")) for n in invoices.values_list("number", flat=True))
    assert numbers == list(range(start, start + 15))
