import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from customers.services import customer_daily_spend
from summaries.models import CallDetailRecord, PendingRollupHour
from summaries.services import CDR_COLUMNS, CdrImportError, cdr_import, cdr_import_records
from tests.factories import CustomerFactory

from .helpers import T0, cdr_row, csv_bytes, csv_stream

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["staged", "columnar"])
def load(request, monkeypatch):
    """Every test here runs twice: through the staged import alone, and with every file offered to
    the columnar load first, which takes the files it can and leaves the rest to the staged one."""
    if request.param == "columnar":
        monkeypatch.setattr("summaries.columnar.COLUMNAR_FROM_BYTES", 0)
    return request.param


@pytest.fixture
def customer():
    return CustomerFactory(balance=Decimal("50.000000"))


BAD_ROWS = [
    ({"call_id": ""}, "missing call_id"),
    ({"call_id": "x" * 129}, "call_id longer than 128 characters"),
    ({"customer_id": ""}, "missing customer_id"),
    ({"customer_id": "999999"}, "unknown customer"),
    ({"customer_id": "acme"}, "unknown customer"),
    ({"start_time": ""}, "missing start_time"),
    ({"start_time": "yesterday"}, "bad start_time"),
    ({"start_time": "2026-02-30T10:00:00Z"}, "bad start_time"),
    ({"start_time": "2026-11-20T10:05:00"}, "bad start_time"),  # no zone
    ({"answer_time": "2026-11-20T25:00:00Z"}, "bad answer_time"),
    ({"end_time": ""}, "missing end_time"),
    ({"end_time": "20/11/2026 10:06"}, "bad end_time"),
    ({"end_time": "2026-11-20T10:00:00Z"}, "end_time before start_time"),
    ({"answer_time": "2026-11-20T09:00:00Z"}, "answer_time outside start_time..end_time"),
    ({"duration": "-5"}, "negative duration"),
    ({"duration": "1.5"}, "bad duration"),
    ({"duration": ""}, "missing duration"),
    ({"billed_duration": "-60"}, "negative billed_duration"),
    ({"billed_duration": "sixty"}, "bad billed_duration"),
    ({"answer_time": "", "duration": "60"}, "duration on an unanswered call"),
    ({"cli": "1" * 33}, "cli longer than 32 characters"),
    ({"dialed_number": ""}, "missing dialed_number"),
    ({"dialed_number": "call-me"}, "bad dialed_number"),
    ({"destination": "x" * 121}, "destination longer than 120 characters"),
    ({"sip_code": ""}, "missing sip_code"),
    ({"sip_code": "42"}, "bad sip_code"),
    ({"pdd_ms": "-1"}, "negative pdd_ms"),
    ({"pdd_ms": "fast"}, "bad pdd_ms"),
    ({"charge": ""}, "no ingress route matches the dialed number"),  # an empty charge asks for rating
    ({"billed_duration": ""}, "missing billed_duration (required with a charge)"),
    ({"charge": "-0.5"}, "negative charge"),
    ({"charge": "0.1234567"}, "bad charge"),
    ({"cost": "1,5"}, "bad cost"),
    ({"cost": "-1"}, "negative cost"),
]


@pytest.mark.parametrize(("override", "reason"), BAD_ROWS, ids=[r for _, r in BAD_ROWS])
def test_each_invalid_row_is_rejected_with_its_reason_and_valid_rows_still_load(customer, override, reason):
    rows = [cdr_row(customer.pk, "good-1"), cdr_row(customer.pk, "bad-1") | override, cdr_row(customer.pk, "good-2")]

    result = cdr_import(stream=csv_stream(rows))

    assert result.rejected == 1 and result.inserted == 2
    [(row, call_id, message)] = result.rejects
    assert row == 3  # the header is row 1
    assert reason in message
    assert set(CallDetailRecord.objects.values_list("call_id", flat=True)) == {"good-1", "good-2"}


def test_a_row_with_several_problems_lists_them_all(customer):
    result = cdr_import(stream=csv_stream([cdr_row(customer.pk, duration="-1", sip_code="9", charge="x")]))

    assert result.rejects[0][2] == "negative duration; bad sip_code (100-699); bad charge (decimal, up to 6 places)"


def test_times_with_offsets_are_stored_in_utc_and_blank_answer_means_unanswered(customer):
    rows = [cdr_row(customer.pk, "a", start_time="2026-11-20T12:05:00+02:00", answer_time="2026-11-20T12:05:02+02:00",
                    end_time="2026-11-20T12:06:02+0200"),
            cdr_row(customer.pk, "b", answer_time="", duration="0", billed_duration="0", sip_code="486", charge="0")]

    cdr_import(stream=csv_stream(rows))

    answered = CallDetailRecord.objects.get(call_id="a")
    assert answered.start_time == T0 and answered.end_time == T0 + timedelta(seconds=62)
    assert CallDetailRecord.objects.get(call_id="b").answer_time is None


def test_columns_may_come_in_any_order(customer):
    columns = list(reversed(CDR_COLUMNS))

    result = cdr_import(stream=csv_stream([cdr_row(customer.pk)], columns=columns))

    assert result.inserted == 1
    assert CallDetailRecord.objects.get().charge == Decimal("0.031")


@pytest.mark.parametrize(("header", "message"), [
    ("call_id,customer_id", "missing columns: start_time"),
    (",".join(CDR_COLUMNS) + ",colour", "unknown columns: colour"),
    (",".join(CDR_COLUMNS) + ",cost", "repeated columns: cost"),
    ("", "header row is required"),
])
def test_a_bad_header_refuses_the_whole_file(customer, header, message):
    body = (header + "\n").encode() + csv_bytes([cdr_row(customer.pk)]).split(b"\n", 1)[1]
    from io import BytesIO

    with pytest.raises(CdrImportError, match=message):
        cdr_import(stream=BytesIO(body))
    assert not CallDetailRecord.objects.exists()


def test_a_row_with_the_wrong_number_of_cells_refuses_the_file_naming_the_row(customer):
    body = csv_bytes([cdr_row(customer.pk, "a"), cdr_row(customer.pk, "b")]) + b"c,1,2\n"
    from io import BytesIO

    with pytest.raises(CdrImportError, match=r"Row 4: .*nothing was imported"):
        cdr_import(stream=BytesIO(body))
    assert not CallDetailRecord.objects.exists()
    customer.refresh_from_db()
    assert customer.balance == Decimal("50")


def test_reimporting_a_file_changes_nothing(customer):
    body = csv_bytes([cdr_row(customer.pk, f"call-{i}") for i in range(5)])
    from io import BytesIO

    first = cdr_import(stream=BytesIO(body))
    second = cdr_import(stream=BytesIO(body))

    assert (first.inserted, first.duplicates) == (5, 0)
    assert (second.inserted, second.duplicates, second.charged) == (0, 5, Decimal("0"))
    assert CallDetailRecord.objects.count() == 5
    customer.refresh_from_db()
    assert customer.balance == Decimal("50") - 5 * Decimal("0.031")


def test_a_call_id_repeated_within_one_file_is_stored_and_charged_once(customer):
    rows = [cdr_row(customer.pk, "same", charge="1.000000"), cdr_row(customer.pk, "same", charge="9.000000")]

    result = cdr_import(stream=csv_stream(rows))

    assert (result.inserted, result.duplicates) == (1, 1)
    customer.refresh_from_db()
    stored = CallDetailRecord.objects.get(call_id="same")
    assert customer.balance == Decimal("50") - stored.charge


def test_balance_is_debited_once_per_new_cdr_per_customer(customer):
    other = CustomerFactory(balance=Decimal("0"))
    rows = [cdr_row(customer.pk, "a", charge="1.250000"), cdr_row(customer.pk, "b", charge="0.750000"),
            cdr_row(other.pk, "c", charge="0.000001"), cdr_row(customer.pk, "bad", charge="-1")]

    result = cdr_import(stream=csv_stream(rows))
    cdr_import(stream=csv_stream(rows[:2]))  # seen again: no second debit

    assert result.charged == Decimal("2.000001")
    customer.refresh_from_db()
    other.refresh_from_db()
    assert customer.balance == Decimal("48")
    assert other.balance == Decimal("-0.000001")


def test_daily_spend_counts_todays_new_charges(customer):
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=5)
    yesterday = start - timedelta(days=1)
    rows = [cdr_row(customer.pk, "today", start_time=start.isoformat(), answer_time=start.isoformat(),
                    end_time=(start + timedelta(seconds=60)).isoformat(), charge="2.500000"),
            cdr_row(customer.pk, "yesterday", start_time=yesterday.isoformat(), answer_time=yesterday.isoformat(),
                    end_time=(yesterday + timedelta(seconds=60)).isoformat(), charge="7")]
    if start.date() != now.date():  # just after midnight: both fall on earlier days
        pytest.skip("too close to midnight UTC")

    cdr_import(stream=csv_stream(rows))

    assert customer_daily_spend(customer, now) == Decimal("2.5")


def test_import_queues_the_hours_it_touched(customer):
    rows = [cdr_row(customer.pk, "a"), cdr_row(customer.pk, "b", start_time="2026-11-20T13:59:59Z",
                                                   answer_time="", end_time="2026-11-20T14:00:10Z",
                                                   duration="0", billed_duration="0", charge="0")]

    cdr_import(stream=csv_stream(rows))

    assert sorted(PendingRollupHour.objects.values_list("hour", flat=True)) == [
        datetime(2026, 11, 20, 10, tzinfo=UTC), datetime(2026, 11, 20, 13, tzinfo=UTC)]


def test_json_records_follow_the_same_rules(customer):
    result = cdr_import_records(records=[cdr_row(customer.pk, "j1"), cdr_row(customer.pk, "j2", sip_code="0")])

    assert result.inserted == 1
    assert result.rejects == [(3, "j2", "bad sip_code (100-699)")]


def test_import_command_prints_counts_and_writes_rejects_file(customer, tmp_path, capsys):
    path = tmp_path / "cdrs.csv"
    path.write_bytes(csv_bytes([cdr_row(customer.pk, "a"), cdr_row(customer.pk, "b") | {"customer_id": "424242"}]))

    call_command("import_cdrs", str(path))

    out = capsys.readouterr().out
    assert "2 rows, 1 imported, 0 already seen, 1 rejected" in out
    with (tmp_path / "cdrs.rejects.csv").open() as rejects:
        assert list(csv.reader(rejects)) == [["row", "call_id", "reason"], ["3", "b", "unknown customer"]]


def test_import_command_fails_on_an_unreadable_file_without_importing(customer, tmp_path):
    path = tmp_path / "cdrs.csv"
    path.write_text("call_id,customer\nx,1\n")

    with pytest.raises(CommandError):
        call_command("import_cdrs", str(path))
    assert not CallDetailRecord.objects.exists()


def test_a_cell_holding_quotes_or_tabs_is_stored_as_written(customer):
    quoted = cdr_import(stream=csv_stream([cdr_row(customer.pk, "q", destination='Say "hi", twice')]))
    plain = cdr_import(stream=csv_stream([cdr_row(customer.pk, "tab\\x", cli="\t+4420", destination="back\\slash")]))

    assert quoted.inserted == plain.inserted == 1
    assert CallDetailRecord.objects.get(call_id="q").destination == 'Say "hi", twice'
    stored = CallDetailRecord.objects.get(call_id="tab\\x")
    assert (stored.cli, stored.destination) == ("\t+4420", "back\\slash")


@pytest.mark.parametrize("layout", ["first cell", "middle cell", "quoted cell", "last byte of the file"])
def test_cells_padded_with_spaces_are_trimmed(customer, layout):
    row = cdr_row(customer.pk, "p1")
    cells = [row[name] for name in CDR_COLUMNS]
    ending = "\n"
    if layout == "first cell":
        cells[0] = " p1"
    elif layout == "middle cell":
        cells[CDR_COLUMNS.index("start_time")] = f"{row['start_time']}  "
    elif layout == "quoted cell":
        cells[CDR_COLUMNS.index("destination")] = f'" {row["destination"]} "'
    else:  # the last cell padded, and no line break after it
        cells[-1] += " "
        ending = ""
    body = ",".join(CDR_COLUMNS) + "\n" + ",".join(cells) + ending

    result = cdr_import(stream=io.BytesIO(body.encode()))

    assert (result.inserted, result.rejects) == (1, [])
    stored = CallDetailRecord.objects.get()
    assert (stored.call_id, stored.start_time, stored.destination) == ("p1", T0, "United Kingdom - Mobile")


def test_new_rows_load_beside_ones_seen_before_and_repeats_in_the_file(customer):
    cdr_import(stream=csv_stream([cdr_row(customer.pk, "old", charge="1")]))
    rows = [cdr_row(customer.pk, "new-1", charge="2"), cdr_row(customer.pk, "old", charge="5"),
            cdr_row(customer.pk, "new-1", charge="7"), cdr_row(customer.pk, "new-2", charge="3")]

    result = cdr_import(stream=csv_stream(rows))

    assert (result.rows, result.inserted, result.duplicates, result.charged) == (4, 2, 2, Decimal("5"))
    assert dict(CallDetailRecord.objects.values_list("call_id", "charge")) == {
        "old": Decimal("1"), "new-1": Decimal("2"), "new-2": Decimal("3")}
    customer.refresh_from_db()
    assert customer.balance == Decimal("50") - Decimal("6")
