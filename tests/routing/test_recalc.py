import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.models import DailySpend, LedgerEntry
from ledger.services import ledger_differences
from rates.decks import rate_deck_import
from routing.recalc import ADJUST_DURATION, REFRESH_CREDIT, RERATE, cdr_recalc
from summaries.models import CallDetailRecord, PendingRollupHour
from summaries.services import CDR_COLUMNS, cdr_import
from tests.factories import CustomerFactory, IngressRouteFactory
from tests.summaries.helpers import T0, cdr_row, csv_stream

pytestmark = pytest.mark.django_db
UNPRICED = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]


def deck(card, text, live_from):
    assert rate_deck_import(card=card, stream=io.BytesIO(text.encode()), live_from=live_from).ok


@pytest.fixture
def priced_day():
    customer = CustomerFactory(balance=Decimal("0"))
    route = IngressRouteFactory(customer=customer)
    deck(route.rate_card, "prefix,rate\n44,0.06\n", datetime(2026, 1, 1, tzinfo=UTC))
    rows = [cdr_row(customer.pk, f"c{n}", dialed_number="441234", duration=seconds,
                    start_time=(T0 + timedelta(minutes=n)).isoformat(),
                    answer_time=(T0 + timedelta(minutes=n)).isoformat(),
                    end_time=(T0 + timedelta(minutes=n, seconds=seconds)).isoformat())
            for n, seconds in enumerate([60, 120, 7200])]
    assert cdr_import(stream=csv_stream(rows, columns=UNPRICED)).inserted == 3
    PendingRollupHour.objects.all().delete()
    return customer, route


def test_rerate_preview_equals_the_applied_delta_and_the_ledger_follows(priced_day):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))  # live for T0's day

    preview = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=RERATE)
    assert CallDetailRecord.objects.filter(charge=Decimal("0.06")).exists()  # preview changed nothing
    applied = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=RERATE, apply=True)

    assert (preview.calls, preview.delta) == (applied.calls, applied.delta) == (3, Decimal("-3.69"))
    assert sorted(CallDetailRecord.objects.values_list("charge", flat=True)) == [
        Decimal("0.09"), Decimal("0.18"), Decimal("10.8")]
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert adjustment.amount == Decimal("-3.69") and ledger_differences() == []
    assert DailySpend.objects.get(customer=customer).amount == Decimal("11.07")
    assert PendingRollupHour.objects.count() == 24  # the day is re-rolled


def test_adjust_duration_shortens_long_calls_then_rerates(priced_day):
    customer, _ = priced_day
    result = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=ADJUST_DURATION, longer_than=3600,
                        new_duration=60, apply=True)
    assert (result.calls, result.delta) == (1, Decimal("7.14"))
    long_call = CallDetailRecord.objects.get(call_id="c2")
    assert (long_call.duration, long_call.billed_duration, long_call.charge) == (60, 60, Decimal("0.06"))
    assert long_call.end_time == long_call.answer_time + timedelta(seconds=60)
    assert ledger_differences() == []


def test_the_preview_lists_each_changed_call_as_apply_writes_it(priced_day, monkeypatch):
    customer, route = priced_day
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    monkeypatch.setattr("routing.recalc.CHANGES_SHOWN", 2)
    preview = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=ADJUST_DURATION, longer_than=3600,
                         new_duration=90)

    assert [(c.call_id, c.old_charge, c.new_charge, c.old_duration, c.new_duration) for c in preview.changes] == [
        ("c0", Decimal("0.06"), Decimal("0.09"), 60, 60), ("c1", Decimal("0.12"), Decimal("0.18"), 120, 120)]
    assert preview.changes[0].start_time == T0 and preview.changes[0].dialed_number == "441234"
    assert (preview.calls, preview.changes_not_shown) == (3, 1)
    applied = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=ADJUST_DURATION, longer_than=3600,
                         new_duration=90, apply=True)
    assert applied.changes == preview.changes and applied.delta == preview.delta
    stored = {cdr.call_id: cdr for cdr in CallDetailRecord.objects.all()}
    for change in preview.changes:
        assert (stored[change.call_id].charge, stored[change.call_id].duration,
                stored[change.call_id].billed_duration) == (change.new_charge, change.new_duration, change.new_billed)


def test_refresh_credit_brings_the_ledger_in_line_with_edited_cdrs(priced_day):
    customer, _ = priced_day
    CallDetailRecord.objects.filter(call_id="c0").update(charge=Decimal("1"))
    preview = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=REFRESH_CREDIT)
    applied = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=REFRESH_CREDIT, apply=True)
    assert preview.delta == applied.delta == Decimal("-0.94")
    assert cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=REFRESH_CREDIT).delta == 0
    assert ledger_differences() == []


def test_recalc_lists_issued_invoices_of_the_day_and_never_changes_them(priced_day):
    from invoicing.services import invoice_create, invoice_issue

    customer, route = priced_day
    invoice = invoice_issue(invoice=invoice_create(customer=customer, start=datetime.combine(
        T0.date(), datetime.min.time(), tzinfo=UTC), end=datetime.combine(T0.date() + timedelta(days=1),
                                                                          datetime.min.time(), tzinfo=UTC)),
                            render=False)
    total = invoice.total
    deck(route.rate_card, "prefix,rate\n44,0.09\n", datetime(2026, 11, 1, tzinfo=UTC))
    result = cdr_recalc(customer_id=customer.pk, day=T0.date(), mode=RERATE, apply=True)
    invoice.refresh_from_db()
    assert result.invoices == [invoice.number] and invoice.total == total
