"""The cached number → rate lookup: the rate row that prices a number on a card, answered from
the routing snapshot in process memory (the same data call admission uses), with no query once
the card's live revision is loaded. rates.selectors.rate_lookup is its SQL twin; tests hold them equal.
"""

from datetime import datetime

from django.utils import timezone

from rates.selectors import RateMatch

from .cache import routing_cache


def rate_lookup_cached(*, card_id: int, number: str, at: datetime | None = None) -> RateMatch:
    """Like rates.selectors.rate_lookup, from the cache. The cache keeps no row ids: a found row has
    row_id -1."""
    card = routing_cache.current().cards.get(card_id)
    revision_id = card.revision_at(at or timezone.now()) if card is not None else None
    if revision_id is None:
        return RateMatch(revision_id=None)
    row = routing_cache.rows.longest_match(revision_id, number.lstrip("+"))
    if row is None:
        return RateMatch(revision_id=revision_id)
    return RateMatch(revision_id, -1, row.prefix, row.name, row.rate, row.connect_fee, row.mcd, row.pulse, row.grace,
                     row.blocked)
