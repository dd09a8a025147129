"""Files the CSV reader chokes on are refused with the line and reason, never a 500, and an
import never stays "validating" after its validation ended."""

from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import imports
from customers.models import Customer, CustomerImport

pytestmark = pytest.mark.django_db


def upload(client, content, name="customers.csv"):
    client.raise_request_exception = True
    return client.post("/customers/import/", {"file": SimpleUploadedFile(name, content)})


def test_a_nul_byte_after_the_first_4_kb_is_refused_naming_its_line(staff_client):
    rows = "".join(f"Customer {i:04d},USD\n" for i in range(400))
    content = f"name,currency\n{rows}Bad\x00Name,USD\n".encode()
    assert content.index(b"\x00") > 4096

    response = upload(staff_client, content)

    assert response.status_code == 422
    assert "Line 402 holds a NUL byte" in response.content.decode()
    assert not Customer.objects.exists() and not CustomerImport.objects.exists()


def test_a_cell_over_128_kib_is_refused_with_the_reason(staff_client):
    content = b'name,currency,notes\nAlpha,USD,"' + b"x" * (130 * 1024) + b'"\n'

    response = upload(staff_client, content)

    assert response.status_code == 422
    assert "Line 2: a cell is longer than 128 KiB" in response.content.decode()
    assert not Customer.objects.exists()


@pytest.mark.parametrize("content", [
    b"name,currency,channels\rAlpha,USD,3\rBeta,EUR,4\r",
    b'name,currency,notes\r\nAlpha,USD,"first\rsecond"\r\nBeta,EUR,plain\r\n',
], ids=["CR line ends", "bare CR in a quoted cell"])
def test_cr_line_ends_and_crs_inside_cells_import(staff_client, content):
    response = upload(staff_client, content)

    assert response.status_code == 302
    customer_import = CustomerImport.objects.get()
    assert customer_import.state == CustomerImport.State.PREVIEW, customer_import.preview
    staff_client.post(f"/customers/import/{customer_import.pk}/")
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Alpha", "Beta"]


def test_a_bare_cr_inside_an_unquoted_cell_gives_row_errors_not_a_500(staff_client):
    response = upload(staff_client, b"name,currency\r\nAl\rpha,USD\r\n")

    assert response.status_code == 302
    assert CustomerImport.objects.get().state == CustomerImport.State.INVALID
    assert not Customer.objects.exists()


def test_an_unexpected_failure_during_validation_marks_the_import_failed(staff):
    customer_import = CustomerImport(user=staff, original_name="c.csv")
    customer_import.file.save("c.csv", ContentFile(b"name,currency\nAlpha,USD\n"), save=False)
    customer_import.save()

    with mock.patch.object(imports, "validate_rows", side_effect=RuntimeError("boom")):
        imports.customer_import_preview(customer_import=customer_import)

    customer_import.refresh_from_db()
    assert customer_import.state == CustomerImport.State.FAILED
    assert not customer_import.is_running
    assert "could not be validated" in customer_import.error


def test_a_cell_reads_as_the_same_text_typed_into_the_customer_form(staff_client):
    """One parser per field: labels, any case, yes/no words and lists read alike in both."""
    from customers.forms import CustomerForm

    content = (b"name,currency,status,country,approved_clis_only,portal_access,topup_currencies,tags,website\n"
               b"Alpha,usd,Inactive,gb,yes,Balance; cdrs,eur;gbp,VIP; vip;wholesale,example.com\n")
    upload(staff_client, content)
    staff_client.post(f"/customers/import/{CustomerImport.objects.get().pk}/")
    imported = Customer.objects.get(name="Alpha")

    form = CustomerForm(data={"name": "Beta", "currency": "usd", "status": "Inactive", "country": "gb",
                              "approved_clis_only": "yes", "portal_access": "Balance; cdrs",
                              "topup_currencies": "eur;gbp", "tag_names": "VIP; vip;wholesale",
                              "website": "example.com", "timezone": "UTC", "channels": 0, "flow_speed": 0,
                              "debit_limit": 0, "minimum_payment": 0, "tax_percent": 0, "invoice_schedule": "none",
                              "invoice_due_days": 14, "rtp_firewall": "locked", "recording_retention_days": 0,
                              "stir_shaken_attestation": "B"})
    assert form.is_valid(), form.errors
    for name in ("currency", "status", "country", "approved_clis_only", "portal_access", "topup_currencies",
                 "website"):
        assert getattr(imported, name) == form.cleaned_data[name], name
    assert sorted(tag.name for tag in imported.tags.all()) == sorted(form.cleaned_data["tag_names"]) == [
        "VIP", "wholesale"]
    assert imported.approved_clis_only is True and imported.status == "inactive" and imported.country == "GB"


def test_tag_lists_follow_one_rule_in_form_bulk_edit_and_import():
    from django.core.exceptions import ValidationError

    from customers.forms import CustomerBulkEditForm, CustomerForm
    from customers.models import tag_names_parse

    assert tag_names_parse(" Gold, gold ;Silver,, ") == ["Gold", "Silver"]
    with pytest.raises(ValidationError, match="at most 50 characters"):
        tag_names_parse("x" * 51)
    assert CustomerForm().fields["tag_names"].clean("Gold; gold, Silver") == ["Gold", "Silver"]
    bulk = CustomerBulkEditForm(data={"add_tags": "Gold; gold", "remove_tags": "x" * 51})
    bulk.is_valid()
    assert bulk.cleaned_data["add_tags"] == ["Gold"]
    assert "at most 50 characters" in bulk.errors["remove_tags"][0]
