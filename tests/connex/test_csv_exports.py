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


def _formula_cells(table):
    """Cells a spreadsheet would run: starting with a formula character and not a plain number."""
    from connex.exports import _NUMBER

    return [cell for row in table for cell in row if cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EVIL = "=HYPERLINK(\"http://x\",\"y\")"


@pytest.mark.parametrize("url", ["/audit/?_export=csv", "/invoicing/?_export=csv", "/messaging/?_export=csv",
                                 "/customers/?group=tag&_export=csv"])
def test_list_exports_neutralise_hostile_text(staff_client, url):
    import pghistory

    from tests.factories import InvoiceFactory, MessageFactory, TagFactory

    with pghistory.context(actor="-ops", actor_type="staff"):  # a username may start with - @ +
        customer = CustomerFactory(name=EVIL, balance=Decimal("-1969.20"))
    customer.tags.add(TagFactory(name="@evil-tag"))
    InvoiceFactory(customer=customer)
    MessageFactory(customer=customer, to="+447700900123", subject="-2+3 cmd")

    table = rows(staff_client.get(url))

    assert len(table) > 1, url
    assert _formula_cells(table) == [], url
    cells = {cell for row in table for cell in row}
    assert cells & {f"'{EVIL}", "'@evil-tag", "'-2+3 cmd", "'-ops"}, cells


def test_statement_export_neutralises_descriptions_and_keeps_negative_amounts(staff_client):
    from ledger.models import LedgerEntry
    from ledger.services import ledger_post

    customer = CustomerFactory()
    ledger_post(customer_id=customer.pk, amount=Decimal("-1969.20"), kind=LedgerEntry.Kind.ADJUSTMENT,
                description="=1+1 correction")

    table = rows(staff_client.get(f"/ledger/customers/{customer.pk}/statement/?_export=csv"))

    assert _formula_cells(table) == []
    assert "'=1+1 correction" in {cell for row in table for cell in row}
    assert any("-1969.20" in cell or "-1,969.20" in cell for row in table for cell in row)


@pytest.mark.parametrize("path", ["/portal/summaries/cdrs.csv", "/portal/cdrs/download.csv"])
def test_portal_cdr_reports_neutralise_hostile_cells(client, portal_login, path):
    from summaries.services import cdr_import
    from tests.summaries.helpers import cdr_row, csv_stream

    customer = CustomerFactory()
    cdr_import(stream=csv_stream([cdr_row(customer.pk, "=HYPERLINK(1)", destination="@evil")]))
    portal_login(client, ContactFactory(customer=customer))

    table = rows(client.get(f"{path}?period=daily:2026-11-20"))

    assert _formula_cells(table) == []
    cells = {cell for row in table for cell in row}
    assert {"'=HYPERLINK(1)", "'@evil"} <= cells and "0.031000" in cells


def test_rate_deck_download_neutralises_destination_names(staff_client):
    from tests.factories import RateRowFactory

    row = RateRowFactory(name="=cmd|' /C calc'!A0")

    table = rows(staff_client.get(f"/rates/revisions/{row.revision_id}.csv"))

    assert _formula_cells(table) == []
    assert table[1][1] == "'=cmd|' /C calc'!A0"
