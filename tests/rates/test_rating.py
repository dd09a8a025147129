from decimal import Decimal

import pytest

from rates.rating import billed_seconds, call_charge


@pytest.mark.parametrize(("duration", "billed"), [(1, 30), (30, 30), (31, 36), (36, 36), (37, 42), (390, 390)])
def test_30_6_bills_thirty_seconds_then_six_second_pulses(duration, billed):
    assert billed_seconds(duration=duration, answered=True, mcd=30, pulse=6) == billed


@pytest.mark.parametrize(("duration", "billed"), [(1, 60), (60, 60), (61, 120), (121, 180)])
def test_60_60_bills_whole_minutes(duration, billed):
    assert billed_seconds(duration=duration, answered=True, mcd=60, pulse=60) == billed


@pytest.mark.parametrize("duration", [1, 2, 59, 61, 3601])
def test_1_1_bills_exact_seconds(duration):
    assert billed_seconds(duration=duration, answered=True, mcd=1, pulse=1) == duration


def test_calls_within_grace_or_unanswered_bill_nothing():
    assert billed_seconds(duration=5, answered=True, mcd=30, pulse=6, grace=5) == 0
    assert billed_seconds(duration=6, answered=True, mcd=30, pulse=6, grace=5) == 30
    assert billed_seconds(duration=0, answered=True, mcd=30, pulse=6) == 0
    assert billed_seconds(duration=45, answered=False, mcd=30, pulse=6) == 0


def test_charge_is_connect_fee_plus_rate_for_billed_seconds():
    billed = billed_seconds(duration=37, answered=True, mcd=30, pulse=6)
    assert call_charge(billed=billed, rate=Decimal("0.0250"), connect_fee=Decimal("0.0100")) == Decimal("0.0275")


def test_no_connect_fee_when_nothing_is_billed():
    assert call_charge(billed=0, rate=Decimal("1"), connect_fee=Decimal("0.05")) == Decimal("0")


@pytest.mark.parametrize(("rounding", "expected"), [("up", "0.0087"), ("half_up", "0.0087"), ("down", "0.0086"),
                                                    ("half_down", "0.0086")])
def test_rounding_modes_at_an_exact_half(rounding, expected):
    # 0.0173/min for 30 s = 0.00865 exactly
    assert call_charge(billed=30, rate=Decimal("0.0173"), connect_fee=Decimal("0"), rounding=rounding) == Decimal(expected)


@pytest.mark.parametrize(("rounding", "expected"), [("up", "0.0012"), ("half_up", "0.0012"), ("down", "0.0011"),
                                                    ("half_down", "0.0012")])
def test_rounding_modes_away_from_the_half(rounding, expected):
    # 0.01/min for 7 s = 0.0011666…
    assert call_charge(billed=7, rate=Decimal("0.01"), connect_fee=Decimal("0"), rounding=rounding) == Decimal(expected)


def test_precision_comes_from_the_card():
    assert call_charge(billed=7, rate=Decimal("0.01"), connect_fee=Decimal("0"), precision=6) == Decimal("0.001167")
    assert call_charge(billed=7, rate=Decimal("0.01"), connect_fee=Decimal("0"), precision=2,
                       rounding="up") == Decimal("0.01")
