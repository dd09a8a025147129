"""Every CSV export neutralises cells a spreadsheet would run as formulas, and keeps numbers."""

import csv
import io
from decimal import Decimal

import pytest

from connex.exports import csv_cell
from tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db
HOSTILE = ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rCR"]


def rows(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2+3", "'-2+3"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-1969.20", "-1969.20"), ("+442071838750", "+442071838750"), ("1e3", "1e3"),
    ("plain", "plain"), ("", ""), (Decimal("-5"), Decimal("-5")), (None, None),
])
def test_csv_cell_neutralises_formulas_and_keeps_numbers(value, expected):
    assert csv_cell(value) == expected


def test_board_export_neutralises_names_and_keeps_negative_balances(staff_client):
    for index, name in enumerate(HOSTILE[:4]):
        CustomerFactory(name=f"{name} {index}", balance=Decimal("-1969.20"))

    table = rows(staff_client.get("/customers/?_export=csv"))

    header = table[0]
    names = [row[header.index("Name")] for row in table[1:]]
    assert sorted(names) == sorted(f"'{name} {index}" for index, name in enumerate(HOSTILE[:4]))
    balances = {row[header.index("Balance")] for row in table[1:]}
    assert all(not value.startswith("'") for value in balances)
    assert any("1969.20" in value or "1,969.20" in value for value in balances)


def test_contacts_export_writes_names_not_links_and_neutralises_them(staff_client):
    ContactFactory(customer=CustomerFactory(), name="=cmd|' /C calc'!A0")
    ContactFactory(customer=CustomerFactory(), name="Ann Example")

    table = rows(staff_client.get("/contacts/?_export=csv"))

    names = sorted(row[table[0].index("Name")] for row in table[1:])
    assert names == ["'=cmd|' /C calc'!A0", "Ann Example"]


def test_cdr_report_neutralises_hostile_cells(staff_client):
    from summaries.services import cdr_import
    from tests.summaries.helpers import cdr_row, csv_stream

    customer = CustomerFactory()
    cdr_import(stream=csv_stream([cdr_row(customer.pk, "=HYPERLINK(1)", destination="@evil")]))

    table = rows(staff_client.get(f"/summaries/customers/{customer.pk}/cdrs.csv?period=daily:2026-11-20"))

    record = dict(zip(table[0], table[1], strict=True))
    assert record["call_id"] == "'=HYPERLINK(1)" and record["destination"] == "'@evil"
    assert record["charge"] == "0.031000"
