from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from .models import RateCard, RateRevision, RateRow

ROW_TABLE = RateRow._meta.db_table
REVISION_TABLE = RateRevision._meta.db_table

# One round trip: the revision live at the call's start, then its longest prefix of the number.
# The (revision, prefix) B-tree answers `prefix = ANY(...)` with one probe per candidate length.
LOOKUP_SQL = f"""
SELECT v.id, r.id, r.prefix, r.name, r.rate, r.connect_fee, r.mcd, r.pulse, r.grace, r.blocked
FROM (SELECT id FROM {REVISION_TABLE} WHERE card_id = %(card)s AND live_from <= %(at)s
      ORDER BY live_from DESC LIMIT 1) v
LEFT JOIN LATERAL (
  SELECT * FROM {ROW_TABLE} WHERE revision_id = v.id AND prefix = ANY(%(prefixes)s)
  ORDER BY length(prefix) DESC LIMIT 1) r ON true
"""


@dataclass(frozen=True)
class RateMatch:
    revision_id: int | None
    row_id: int | None = None
    prefix: str = ""
    name: str = ""
    rate: Decimal | None = None
    connect_fee: Decimal | None = None
    mcd: int = 0
    pulse: int = 1
    grace: int = 0
    blocked: bool = False

    @property
    def found(self):
        return self.row_id is not None


def number_prefixes(number: str) -> list[str]:
    digits = number.lstrip("+")
    return [digits[:n] for n in range(1, min(len(digits), 20) + 1)]


def rate_lookup(*, card_id: int, number: str, at: datetime | None = None) -> RateMatch:
    """The row pricing `number` on the card at `at` (default now): the longest matching prefix of the
    revision live then. A blocked row is returned as found and blocked; it never falls back to a
    shorter prefix."""
    with connection.cursor() as cursor:
        cursor.execute(LOOKUP_SQL, {"card": card_id, "at": at or timezone.now(), "prefixes": number_prefixes(number)})
        row = cursor.fetchone()
    if row is None:
        return RateMatch(revision_id=None)
    return RateMatch(*row)


def rate_card_list(*, filters=None):
    from .filtersets import RateCardFilterSet

    cards = RateCard.objects.all()
    return RateCardFilterSet(filters, queryset=cards).qs if filters is not None else cards


def rate_row_list(*, revision, filters=None):
    from .filtersets import RateRowFilterSet

    rows = RateRow.objects.filter(revision=revision).order_by("prefix")
    return RateRowFilterSet(filters, queryset=rows).qs if filters is not None else rows
