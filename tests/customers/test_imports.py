from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import imports
from customers.models import Customer, CustomerImport
from tests.factories import CustomerFactory, ResellerGroupFactory, StaffFactory, TagFactory

pytestmark = pytest.mark.django_db

HEADER = "name,currency,channels,debit_limit,status,tags,reseller\n"


def upload(client, content, name="customers.csv", update_existing=False):
    data = {"file": SimpleUploadedFile(name, content)}
    if update_existing:
        data["update_existing"] = "on"
    return client.post("/customers/import/", data)


def confirm(client, customer_import):
    return client.post(f"/customers/import/{customer_import.pk}/")


def csv_rows(rows, header="name,currency,channels,debit_limit\n"):
    return (header + "".join(f"{r}\n" for r in rows)).encode()


def test_valid_file_is_previewed_then_imported_on_confirm(staff_client):
    ResellerGroupFactory(name="Acme Resale")
    TagFactory(name="VIP")
    content = (HEADER + "Alpha Ltd,USD,30,100.50,active,\"vip, wholesale\",acme resale\n"
               "Beta Ltd,EUR,5,0,Inactive,,\n").encode()
    response = upload(staff_client, content)
    assert response.status_code == 302
    customer_import = CustomerImport.objects.get()
    assert customer_import.state == CustomerImport.State.PREVIEW
    assert Customer.objects.count() == 0  # the preview writes nothing
    page = staff_client.get(response.url).content.decode()
    assert "Alpha Ltd" in page and "Confirm: import 2 rows" in page

    confirm(staff_client, customer_import)
    alpha = Customer.objects.get(name="Alpha Ltd")
    assert alpha.debit_limit == Decimal("100.50") and alpha.reseller.name == "Acme Resale"
    assert sorted(t.name for t in alpha.tags.all()) == ["VIP", "wholesale"]  # existing tag reused
    assert Customer.objects.get(name="Beta Ltd").status == Customer.Status.INACTIVE
    customer_import.refresh_from_db()
    assert customer_import.state == CustomerImport.State.DONE and customer_import.new_count == 2


def test_headers_match_case_insensitively_and_by_label(staff_client):
    upload(staff_client, b"NAME,Currency,Flow speed (CPS),Debit Limit\nGamma,USD,7,3\n")
    customer_import = CustomerImport.objects.get()
    confirm(staff_client, customer_import)
    gamma = Customer.objects.get(name="Gamma")
    assert gamma.flow_speed == 7 and gamma.debit_limit == Decimal("3")


def test_utf8_with_bom_is_accepted_and_reported(staff_client):
    response = upload(staff_client, "\ufeffname,currency\nZürich Telecom,CHF\n".encode())
    page = staff_client.get(response.url).content.decode()
    assert "UTF-8 with BOM" in page
    confirm(staff_client, CustomerImport.objects.get())
    assert Customer.objects.filter(name="Zürich Telecom").exists()


def test_xlsx_file_is_imported(staff_client):
    dataset = tablib.Dataset(headers=["name", "currency", "channels"])
    dataset.append(["Sheet Co", "GBP", 12])
    upload(staff_client, dataset.export("xlsx"), name="customers.xlsx")
    confirm(staff_client, CustomerImport.objects.get())
    assert Customer.objects.get(name="Sheet Co").channels == 12


def test_template_file_imports_as_is(staff_client):
    response = staff_client.get("/customers/import/template.csv")
    assert response["Content-Disposition"].endswith('customers-template.csv"')
    upload(staff_client, response.content)
    customer_import = CustomerImport.objects.get()
    assert customer_import.state == CustomerImport.State.PREVIEW, customer_import.preview
    confirm(staff_client, customer_import)
    assert Customer.objects.get(name="Example Telecom Ltd").timezone == "Europe/London"


FILE_ERRORS = [
    ("not CSV/XLSX", "report.pdf", b"%PDF-1.4\x00\x01binary", "is not a CSV or XLSX file"),
    ("wrong encoding", "c.csv", "name,currency\nM\u00fcller GmbH,EUR\n".encode("latin-1"), "not UTF-8"),
    ("missing required column", "c.csv", b"name,channels\nAlpha,3\n", "Missing required column: currency"),
    ("unknown column", "c.csv", b"name,currency,colour\nAlpha,USD,red\n", "Unknown column: colour"),
    ("empty file", "c.csv", b"", "The file is empty"),
    ("header only", "c.csv", b"name,currency\n", "no customers"),
]


@pytest.mark.parametrize(("case", "filename", "content", "message"), FILE_ERRORS, ids=[c[0] for c in FILE_ERRORS])
def test_unusable_file_is_refused_with_its_reason_and_nothing_saved(staff_client, case, filename, content, message):
    response = upload(staff_client, content, name=filename)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Customer.objects.count() == 0 and CustomerImport.objects.count() == 0


def test_file_over_the_size_limit_is_refused_stating_the_limit(staff_client, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 1024 * 1024
    response = upload(staff_client, csv_rows(["x" * 100 + ",USD,1,1"] * 11000))
    assert response.status_code == 422
    assert "the limit is 1 MB" in response.content.decode()
    assert Customer.objects.count() == 0 and CustomerImport.objects.count() == 0


ROW_ERRORS = [
    ("duplicate names in the file", ["Alpha,USD,1,1", "ALPHA,USD,2,2"], 3, "name", "Duplicate name in the file (also on line 3)"),
    ("invalid number", ["Alpha,USD,many,1"], 2, "channels", "Enter a whole number"),
    ("negative money", ["Alpha,USD,1,-5"], 2, "debit_limit", "greater than or equal to 0"),
    ("unknown currency", ["Alpha,XXQ,1,1"], 2, "currency", "is not an ISO 4217 currency code"),
    ("blank required value", [",USD,1,1"], 2, "name", "cannot be blank"),
]


@pytest.mark.parametrize(("case", "rows", "line", "column", "message"), ROW_ERRORS, ids=[c[0] for c in ROW_ERRORS])
def test_invalid_row_is_named_with_its_column_and_nothing_is_imported(staff_client, case, rows, line, column, message):
    response = upload(staff_client, csv_rows(["Good Customer,USD,1,1", *rows]))
    customer_import = CustomerImport.objects.get()
    assert customer_import.state == CustomerImport.State.INVALID
    bad = [r for r in customer_import.preview["rows"] if r["action"] == "invalid"]
    assert [r["line"] for r in bad] == [line + 1]  # the good row is line 2
    assert any(message in m for m in bad[0]["errors"][column])
    page = staff_client.get(response.url).content.decode()
    assert message.split("(")[0].strip() in page
    assert "Confirm: import" not in page
    confirm(staff_client, customer_import)  # a forged confirm does not import either
    assert Customer.objects.count() == 0


def test_existing_name_is_an_error_unless_updating(staff_client):
    CustomerFactory(name="Alpha", channels=3, currency="USD")
    upload(staff_client, csv_rows(["alpha,USD,40,1"]))
    first = CustomerImport.objects.get()
    assert first.preview["rows"][0]["errors"]["name"] == ["A customer with this name already exists."]

    upload(staff_client, csv_rows(["alpha,USD,40,1"]), update_existing=True)
    second = CustomerImport.objects.latest("pk")
    assert second.state == CustomerImport.State.PREVIEW and second.updated_count == 1
    confirm(staff_client, second)
    assert Customer.objects.get().channels == 40


def test_update_by_id_renames_and_refuses_a_currency_change(staff_client):
    customer = CustomerFactory(name="Old Name", currency="USD")
    upload(staff_client, f"id,name,currency\n{customer.pk},New Name,EUR\n".encode(), update_existing=True)
    errors = CustomerImport.objects.get().preview["rows"][0]["errors"]
    assert "cannot change" in errors["currency"][0]
    upload(staff_client, f"id,name,currency\n{customer.pk},New Name,USD\n".encode(), update_existing=True)
    confirm(staff_client, CustomerImport.objects.latest("pk"))
    customer.refresh_from_db()
    assert customer.name == "New Name"


def test_related_objects_are_referenced_by_name(staff_client):
    StaffFactory(username="bob", first_name="Bob", last_name="Stone")
    upload(staff_client, b"name,currency,reseller,account_manager\nA,USD,Nobody,bob stone\n")
    errors = CustomerImport.objects.get().preview["rows"][0]["errors"]
    assert errors == {"reseller": ["No reseller group named \u201cNobody\u201d."]}


def test_large_file_with_one_bad_row_near_the_end_leaves_database_unchanged(
        staff_client, django_capture_on_commit_callbacks):
    """10,000 rows, row 9,999 invalid: validated by the task, nothing saved, confirm refused."""
    CustomerFactory(name="Already Here")
    rows = [f"Customer {i:05d},USD,10,5" for i in range(1, 10_001)]
    rows[9_998] = "Customer 09999,USD,10,not-money"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(staff_client, csv_rows(rows))
    customer_import = CustomerImport.objects.get()
    assert customer_import.total_rows == 10_000
    assert customer_import.state == CustomerImport.State.INVALID  # validated by the Celery task
    assert customer_import.invalid_count == 1
    bad = [r for r in customer_import.preview["rows"] if r["action"] == "invalid"]
    assert bad[0]["line"] == 10_000 and "debit_limit" in bad[0]["errors"]
    assert "not-money" in staff_client.get(response.url).content.decode()

    # Even if the row were forced through, the save path refuses the whole file.
    parsed = imports.parse_file(content=csv_rows(rows), filename="c.csv")
    validation = imports.validate_rows(parsed, update_existing=False)
    with pytest.raises(Exception, match="nothing was imported"):
        imports.rows_save(validation)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Already Here"]


def test_large_valid_file_is_imported_by_the_task_with_progress(staff_client, django_capture_on_commit_callbacks,
                                                                 settings):
    settings.CUSTOMER_IMPORT_ASYNC_ROWS = 50
    rows = [f"Bulk {i:03d},USD,1,1" for i in range(60)]
    with django_capture_on_commit_callbacks(execute=True):
        upload(staff_client, csv_rows(rows))
    customer_import = CustomerImport.objects.get()
    assert customer_import.state == CustomerImport.State.PREVIEW
    CustomerImport.objects.filter(pk=customer_import.pk).update(state=CustomerImport.State.IMPORTING,
                                                                 processed_rows=30)
    progress = staff_client.get(f"/customers/import/{customer_import.pk}/", headers={
        "HX-Request": "true", "HX-Target": "import-progress"})
    assert "30 of 60 rows" in progress.content.decode() and 'aria-valuenow="50"' in progress.content.decode()
    CustomerImport.objects.filter(pk=customer_import.pk).update(state=CustomerImport.State.PREVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(staff_client, customer_import)
    customer_import.refresh_from_db()
    assert customer_import.state == CustomerImport.State.DONE
    assert Customer.objects.filter(name__startswith="Bulk ").count() == 60
    finished = staff_client.get(f"/customers/import/{customer_import.pk}/", headers={
        "HX-Request": "true", "HX-Target": "import-progress"})
    assert finished["HX-Refresh"] == "true"


def test_import_page_requires_staff(client):
    assert client.get("/customers/import/").status_code == 302
