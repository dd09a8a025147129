import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from rates.decks import DeckError, deck_stream, rate_deck_import, rate_deck_rows
from rates.models import RateRevision, RateRow
from rates.selectors import rate_lookup
from tests.factories import RateCardFactory

pytestmark = pytest.mark.django_db
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)


def deck(text):
    return io.BytesIO(text.strip().encode() + b"\n")


@pytest.fixture
def card():
    return RateCardFactory(name="UK sell")


def test_a_deck_with_only_prefix_and_rate_takes_the_defaults(card):
    result = rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.05\n4479,0.12"), live_from=JAN)
    assert result.ok and result.rows == 2 and result.added == 2 and result.revision
    row = RateRow.objects.get(revision=result.revision, prefix="4479")
    assert (row.rate, row.connect_fee, row.mcd, row.pulse, row.grace, row.blocked) == (
        Decimal("0.12"), Decimal("0"), 0, 1, 0, False)


def test_one_bad_row_stores_nothing_and_every_bad_row_is_named(card):
    text = """prefix,name,rate,connect_fee,mcd,pulse,grace,blocked
44,UK,0.05,,,,,
44x,Bad,0.05,,,,,
4479,UK mobile,-0.1,,,,,
447,UK,0.05,,30,0,,maybe
44,Again,0.06,,,,,
,Missing,,,,,,"""
    result = rate_deck_import(card=card, stream=deck(text), live_from=JAN)
    assert not result.ok and result.revision is None
    assert not RateRevision.objects.exists() and not RateRow.objects.exists()
    reasons = {error["row"]: error["reason"] for error in result.errors}
    assert reasons == {
        3: "bad prefix (digits only, up to 20)",
        4: "negative rate",
        5: "bad pulse (whole seconds ≥ 1); bad blocked (true/false, yes/no or 1/0)",
        6: "prefix repeated (first on row 2)",
        7: "missing prefix; missing rate",
    }


def test_header_problems_refuse_the_file(card):
    with pytest.raises(DeckError, match="missing columns: rate"):
        rate_deck_import(card=card, stream=deck("prefix,name\n44,UK"))
    with pytest.raises(DeckError, match="unknown columns: price"):
        rate_deck_import(card=card, stream=deck("prefix,rate,price\n44,1,2"))
    with pytest.raises(DeckError, match="no rows"):
        rate_deck_import(card=card, stream=deck("prefix,rate"))


def test_counts_compare_with_the_live_revision(card):
    rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.05\n4479,0.12\n33,0.02"), live_from=JAN)
    preview = rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.05\n4479,0.13\n49,0.03\n1,0.01"),
                               live_from=FEB, dry_run=True)
    assert (preview.added, preview.changed, preview.removed) == (2, 1, 1)
    assert preview.revision is None and RateRevision.objects.count() == 1


def test_longest_prefix_wins_whatever_the_shorter_ones_cost(card):
    rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.01\n447,0.50\n4479,0.12\n44791,0.30"), live_from=JAN)
    match = rate_lookup(card_id=card.pk, number="447911123456", at=FEB)
    assert (match.prefix, match.rate) == ("44791", Decimal("0.3"))
    assert rate_lookup(card_id=card.pk, number="447811123456", at=FEB).prefix == "447"
    assert rate_lookup(card_id=card.pk, number="+441234", at=FEB).prefix == "44"
    assert not rate_lookup(card_id=card.pk, number="33123456", at=FEB).found


def test_a_blocked_longest_prefix_never_falls_back_to_a_shorter_one(card):
    rate_deck_import(card=card, stream=deck("prefix,rate,blocked\n447,0.05,\n4479,0.12,yes"), live_from=JAN)
    match = rate_lookup(card_id=card.pk, number="447911123456", at=FEB)
    assert match.found and match.blocked and match.prefix == "4479"


def test_a_call_is_priced_by_the_revision_live_at_its_start(card):
    rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.05"), live_from=JAN)
    rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.07"), live_from=FEB)
    assert rate_lookup(card_id=card.pk, number="4420", at=datetime(2026, 1, 31, 23, 59, 50, tzinfo=UTC)
                       ).rate == Decimal("0.05")
    assert rate_lookup(card_id=card.pk, number="4420", at=FEB).rate == Decimal("0.07")
    assert rate_lookup(card_id=card.pk, number="4420", at=datetime(2025, 12, 31, tzinfo=UTC)).revision_id is None


def test_two_revisions_cannot_share_a_live_from_time(card):
    rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.05"), live_from=JAN)
    result = rate_deck_import(card=card, stream=deck("prefix,rate\n44,0.06"), live_from=JAN)
    assert not result.ok and "already has a revision" in result.errors[0]["reason"]
    assert RateRevision.objects.count() == 1


def test_xlsx_decks_load_like_csv(card):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Prefix", "Destination", "Rate", "MCD", "Pulse"])
    sheet.append([4479, "UK mobile", 0.1234, 30, 6])
    sheet.append([44, "UK", 0.05, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    result = rate_deck_import(card=card, stream=deck_stream(buffer, "deck.xlsx"), live_from=JAN)
    assert result.ok, result.errors
    row = RateRow.objects.get(prefix="4479")
    assert (row.name, row.rate, row.mcd, row.pulse) == ("UK mobile", Decimal("0.1234"), 30, 6)


def test_xlsx_numbers_are_checked_as_typed_like_the_same_csv(card):
    from openpyxl import Workbook

    rows = [[44, 0.0000004], [4479, 0.1234567], [33, 0.00001], [49, 12345678.123456], [1, 2.0]]
    book = Workbook()
    book.active.append(["prefix", "rate"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    from_xlsx = rate_deck_import(card=card, stream=deck_stream(buffer, "deck.xlsx"), live_from=JAN, dry_run=True)
    csv_text = "prefix,rate\n44,0.0000004\n4479,0.1234567\n33,0.00001\n49,12345678.123456\n1,2"
    from_csv = rate_deck_import(card=card, stream=deck(csv_text), live_from=JAN, dry_run=True)
    assert from_xlsx.errors == from_csv.errors
    assert [(error["row"], error["reason"]) for error in from_xlsx.errors] == [
        (2, "bad rate (a number, up to 6 decimal places)"), (3, "bad rate (a number, up to 6 decimal places)")]


def test_the_live_deck_downloads_as_csv_that_loads_back_unchanged(card):
    text = "prefix,name,rate,connect_fee,mcd,pulse,grace,blocked\n44,UK,0.05,0.01,30,6,3,false\n4479,\"UK, mobile\",0.12,0,0,1,0,true"
    first = rate_deck_import(card=card, stream=deck(text), live_from=JAN).revision
    download = "".join(rate_deck_rows(first)).encode()
    again = rate_deck_import(card=card, stream=io.BytesIO(download), live_from=FEB, dry_run=True)
    assert again.ok and (again.rows, again.added, again.changed, again.removed) == (2, 0, 0, 0)


def test_import_rates_command(card, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_text("prefix,rate\n44,0.05\n")
    call_command("import_rates", str(card.pk), str(good), "--live-from", "2026-03-01T00:00:00Z")
    assert "1 rows: 1 added" in capsys.readouterr().out
    assert RateRevision.objects.get().live_from == datetime(2026, 3, 1, tzinfo=UTC)
    bad = tmp_path / "bad.csv"
    bad.write_text("prefix,rate\n44,abc\n")
    with pytest.raises(CommandError, match="1 bad row"):
        call_command("import_rates", str(card.pk), str(bad))
    with pytest.raises(CommandError, match="No rate card"):
        call_command("import_rates", "999999", str(good))


def test_rows_need_an_existing_revision_and_stay_as_stored(db):
    from django.db import IntegrityError, ProgrammingError, connection, transaction

    from rates.models import RateCard

    card = RateCardFactory()
    result = rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate\n44,0.05\n33,0.04\n"))
    with pytest.raises(IntegrityError, match="missing revision"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO rates_raterow (revision_id, prefix, name, rate, connect_fee, mcd, pulse, grace, "
                       "blocked) VALUES (%s, '1', '', 1, 0, 0, 1, 0, false)", [result.revision.pk + 1000])
    with pytest.raises(IntegrityError, match="still has rows"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM rates_raterevision WHERE id = %s", [result.revision.pk])
    with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
        RateRow.objects.filter(revision=result.revision).update(rate=1)
    RateCard.objects.filter(pk=card.pk).delete()  # the ORM deletes rows before their revision
    assert not RateRow.objects.exists()


def test_a_deck_with_padding_and_defaults_is_stored_like_a_clean_one(db):
    card = RateCardFactory()
    deck = (b"prefix, name ,rate,connect_fee,mcd,pulse,grace,blocked\n"
            b" +44 , UK ,0.05 ,,,, ,\n447,UK mobile,0.090000,0.01,30,6,3,yes\n")
    checked = rate_deck_import(card=card, stream=io.BytesIO(deck), dry_run=True)
    stored = rate_deck_import(card=card, stream=io.BytesIO(deck))
    assert (checked.rows, checked.added, checked.ok) == (stored.rows, stored.added, stored.ok) == (2, 2, True)
    rows = {r.prefix: r for r in RateRow.objects.filter(revision=stored.revision)}
    assert (rows["44"].name, rows["44"].rate, rows["44"].pulse, rows["44"].blocked) == ("UK", Decimal("0.05"), 1, False)
    assert (rows["447"].mcd, rows["447"].pulse, rows["447"].grace, rows["447"].blocked) == (30, 6, 3, True)
    again = rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate\n44,0.05\n33,0.01\n"),
                             live_from=stored.revision.live_from + timedelta(seconds=1), dry_run=True)
    assert (again.added, again.changed, again.removed) == (1, 1, 1)  # 44 lost its name


@pytest.mark.parametrize("bad", [b"44,0.05,0\n", b"44,1e3,1\n", b"44,.5,1\n", b"44,0.1234567,1\n", b"4x,1,1\n",
                                 b"44,1,1\n44,2,1\n", b"44,NaN,1\n", b"44,Infinity,1\n", b"44,-0,1\n",
                                 b"44,0.05,1.5\n", b"44,0.05, 1e1\n", b"123456789012345678901,1,1\n"])
def test_every_bad_deck_gets_row_errors_and_stores_nothing(db, bad):
    card = RateCardFactory()
    result = rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate,pulse\n" + bad))
    assert not result.ok and result.errors and result.revision is None
    assert not RateRow.objects.filter(revision__card=card).exists()


def test_values_the_database_would_read_loosely_are_refused_with_their_row(db):
    card = RateCardFactory()
    result = rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate,blocked\n44,0.05,no\n33,0.04,on\n"))
    assert result.errors == [{"row": 3, "prefix": "33", "reason": "bad blocked (true/false, yes/no or 1/0)"}]
    assert not RateRevision.objects.filter(card=card).exists()


def big_deck(rows, *, tail=b"", newline=b"\n"):
    body = newline.join(b"%d,Zone %d,0.0%d,0,0,60,0,false" % (10 ** 6 + i, i % 7, i % 9 + 1) for i in range(rows))
    return io.BytesIO(b"prefix,name,rate,connect_fee,mcd,pulse,grace,blocked" + newline + body + newline + tail)


@pytest.mark.parametrize("tail", [b"44,Zone,0.01,0,0,0,0,false\n", b"1000000,Again,0.01,0,0,60,0,false\n",
                                  b"44,Long" + b"x" * 120 + b",0.01,0,0,60,0,false\n", b"44,Zone,x,0,0,60,0,false\n"])
def test_a_bad_row_deep_in_a_large_deck_stores_nothing_and_is_named(db, tail):
    card = RateCardFactory()
    seen = []
    result = rate_deck_import(card=card, stream=big_deck(60_000, tail=tail), progress=seen.append)
    assert not result.ok and [error["row"] for error in result.errors] == [60_002]
    assert not RateRevision.objects.filter(card=card).exists() and not RateRow.objects.exists()
    assert sum(seen) == len(big_deck(60_000, tail=tail).getvalue().split(b"\n", 1)[1])  # the bar ends at the size, read twice or not


def test_a_large_deck_with_windows_line_ends_and_no_final_newline_is_stored_whole(db):
    card = RateCardFactory()
    stream = big_deck(60_000, tail=b"44,UK \xc3\xa9,0.5,0,0,1,0,no", newline=b"\r\n")
    result = rate_deck_import(card=card, stream=stream, live_from=JAN)
    assert result.ok and result.rows == result.added == 60_001 and result.revision.row_count == 60_001
    row = RateRow.objects.get(revision=result.revision, prefix="44")
    assert (row.name, row.rate, row.connect_fee, row.pulse, row.blocked) == ("UK é", Decimal("0.5"), 0, 1, False)
    assert RateRow.objects.get(revision=result.revision, prefix="1000003").name == "Zone 3"


@pytest.mark.parametrize("chunk", [16, 37, 64, 101, 4096])
def test_a_deck_is_stored_the_same_wherever_the_file_is_cut_into_chunks(db, monkeypatch, chunk):
    monkeypatch.setattr("rates.decks.COPY_CHUNK", chunk)
    card = RateCardFactory()
    lines = [f"{1000 + i},Zone {i},0.{i:03d},0,0,60,0,{'yes' if i % 2 else 'no'}" for i in range(50)]
    stream = io.BytesIO("\r\n".join(["prefix,name,rate,connect_fee,mcd,pulse,grace,blocked", *lines]).encode())
    result = rate_deck_import(card=card, stream=stream, live_from=JAN)
    assert result.ok and result.rows == 50
    stored = RateRow.objects.filter(revision=result.revision).order_by("prefix")
    assert [(r.prefix, r.name, r.rate, r.blocked) for r in stored] == [
        (str(1000 + i), f"Zone {i}", Decimal(f"0.{i:03d}"), bool(i % 2)) for i in range(50)]
