from datetime import UTC, datetime
from decimal import Decimal

from .models import DailySpend, StatementLine


def customer_day_spend(customer_id: int, at: datetime) -> Decimal:
    """Call charges of the UTC day containing `at` (one index probe)."""
    day = at.astimezone(UTC).date()
    amount = DailySpend.objects.filter(customer_id=customer_id, day=day).values_list("amount", flat=True).first()
    return amount or Decimal("0")


def statement_lines(*, customer_id: int, filters=None):
    """A customer's entries, newest first, each with the balance after it."""
    from .filtersets import StatementFilterSet

    lines = StatementLine.objects.filter(customer_id=customer_id).select_related("source_type")
    if filters is not None:
        lines = StatementFilterSet(filters, queryset=lines).qs
    return lines.order_by("-posted_at", "-entry_id")
