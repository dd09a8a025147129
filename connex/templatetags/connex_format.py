"""The one way money and billing periods are written, in the panel, the portal and exports.

Loaded as a template builtin, so every template can use `{{ amount|money:currency }}` and
`{{ start|period:end }}` without a `{% load %}`.
"""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


def format_money(value, currency="", places=2) -> str:
    """`-4,905.48 GBP`: grouped thousands, fixed places (half-up), the ISO code after the amount."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{amount:,.{places}f}"
    if text.startswith("-") and amount == 0:
        text = text[1:]
    return f"{text} {currency}".strip()


def format_period(start, end) -> str:
    """A half-open period [start, end) written with its last day included: `2026-11-01 – 2026-11-30`.

    A period shorter than a day (or empty) is written as its one day.
    """
    if start is None:
        return "—"
    first = start.date() if isinstance(start, datetime) else start
    if end is None:
        return f"{first:%Y-%m-%d}"
    last = (end.date() if isinstance(end, datetime) else end) - timedelta(days=1)
    if isinstance(end, datetime) and end.time() != datetime.min.time():
        last = end.date()  # an end inside a day includes that day
    if last <= first:
        return f"{first:%Y-%m-%d}"
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


@register.filter
def money(value, currency=""):
    return format_money(value, currency)


@register.filter
def period(start, end):
    return format_period(start, end)
