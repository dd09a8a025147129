import pytest

from customers.models import Customer

pytestmark = pytest.mark.browser


def test_upload_with_a_bad_row_then_the_fixed_file_imports(staff_page, tmp_path):
    bad = tmp_path / "customers.csv"
    bad.write_text("name,currency,channels\nFirst Ltd,USD,10\nSecond Ltd,USD,lots\n", encoding="utf-8")
    fixed = tmp_path / "customers-fixed.csv"
    fixed.write_text("name,currency,channels\nFirst Ltd,USD,10\nSecond Ltd,USD,20\n", encoding="utf-8")
    page = staff_page

    page.goto("/customers/")
    page.click("text=Import")
    page.set_input_files("#id_file", str(bad))
    page.click("text=Upload and preview")
    row = page.locator('#preview-table tr[data-line="3"]')
    assert "Enter a whole number" in row.inner_text()
    assert "1 row has errors" in page.locator("#import-invalid").inner_text()
    assert page.locator("#confirm-import").count() == 0

    page.set_input_files("#id_file", str(fixed))
    page.click("text=Upload and preview")
    page.click("#confirm-import")
    assert "2 new customers" in page.locator("#import-result").inner_text()
    assert sorted(Customer.objects.values_list("channels", flat=True)) == [10, 20]
