import io
from datetime import UTC, datetime

import pytest

from rates.decks import rate_deck_import
from rates.selectors import rate_lookup
from routing.cache import routing_cache
from routing.lookup import rate_lookup_cached
from tests.factories import RateCardFactory

pytestmark = pytest.mark.django_db


def test_the_cached_lookup_answers_what_the_sql_lookup_answers():
    routing_cache.clear()
    card = RateCardFactory()
    deck = b"prefix,rate,blocked\n44,0.05,\n447,0.09,\n4479,0.12,yes\n1,0.01,\n"
    rate_deck_import(card=card, stream=io.BytesIO(deck), live_from=datetime(2026, 1, 1, tzinfo=UTC))
    rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate\n44,0.07\n"), live_from=datetime(2026, 6, 1, tzinfo=UTC))
    routing_cache.clear()
    for at in (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)):
        for number in ("+447911123456", "4479", "447", "44", "4471", "441", "15550001", "33155", "4", ""):
            sql, cached = rate_lookup(card_id=card.pk, number=number, at=at), rate_lookup_cached(
                card_id=card.pk, number=number, at=at)
            assert (sql.found, sql.revision_id) == (cached.found, cached.revision_id), (number, at)
            if sql.found:
                assert (sql.prefix, sql.rate, sql.blocked, sql.mcd, sql.pulse) == (
                    cached.prefix, cached.rate, cached.blocked, cached.mcd, cached.pulse), (number, at)
