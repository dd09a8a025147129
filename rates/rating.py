"""Pricing one call: the billed-seconds rule and the rounded charge. Pure arithmetic, no database.

The set-based import path (routing/rating.py) implements the same rule in SQL; tests hold the two equal.
"""

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

ROUNDING = {"half_up": ROUND_HALF_UP, "up": ROUND_CEILING, "down": ROUND_FLOOR, "half_down": ROUND_HALF_DOWN}


def billed_seconds(*, duration: int, answered: bool, mcd: int = 0, pulse: int = 1, grace: int = 0) -> int:
    """0 if unanswered or within grace; MCD if at most MCD; else MCD plus whole pulses covering the rest."""
    if not answered or duration <= grace or duration <= 0:
        return 0
    if duration <= mcd:
        return mcd
    return mcd + math.ceil((duration - mcd) / pulse) * pulse


def call_charge(*, billed: int, rate: Decimal, connect_fee: Decimal, precision: int = 4,
                rounding: str = "half_up") -> Decimal:
    """Connect fee plus rate per minute for the billed seconds, rounded once; nothing when nothing is billed."""
    if billed <= 0:
        return Decimal("0").quantize(Decimal(1).scaleb(-precision))
    exact = Decimal(connect_fee) + Decimal(rate) * billed / 60
    return exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUNDING[rounding])
