import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from rates.decks import rate_deck_import
from rates.models import RateRevision, RateRow
from rates.services import rate_card_generate
from tests.factories import RateCardFactory

pytestmark = pytest.mark.django_db
JAN, FEB = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture
def provider():
    card = RateCardFactory(kind="provider")
    rate_deck_import(card=card, stream=io.BytesIO(b"prefix,rate,mcd,pulse\n44,0.0100,1,1\n447,0.0100,30,6\n"
                                                  b"4479,0.0200,30,6\n33,0.0100,1,1\n"), live_from=JAN)
    return card


def test_most_specific_markup_rule_wins_and_each_generation_is_a_revision(provider):
    sell = RateCardFactory()
    rules = [("", "absolute", "0.0050"), ("^44", "percent", "20"), ("^447", "percent", "30")]
    revision = rate_card_generate(source=provider, target=sell, rules=rules, live_from=FEB)
    rates = dict(RateRow.objects.filter(revision=revision).values_list("prefix", "rate"))
    assert rates == {"44": Decimal("0.012"), "447": Decimal("0.013"), "4479": Decimal("0.026"),
                     "33": Decimal("0.015")}
    assert RateRow.objects.get(revision=revision, prefix="447").mcd == 30
    again = rate_card_generate(source=provider, target=sell, rules=[], live_from=datetime(2026, 3, 1, tzinfo=UTC))
    assert again.row_count == 4 and RateRevision.objects.filter(card=sell).count() == 2


def test_bad_rules_store_nothing(provider):
    sell = RateCardFactory()
    with pytest.raises(ValidationError, match="kind must be"):
        rate_card_generate(source=provider, target=sell, rules=[("^44", "double", "2")], live_from=FEB)
    with pytest.raises(ValidationError, match="cannot be applied"):
        rate_card_generate(source=provider, target=sell, rules=[("^(44", "percent", "2")], live_from=FEB)
    with pytest.raises(ValidationError, match="no revision live"):
        rate_card_generate(source=provider, target=sell, rules=[], live_from=datetime(2025, 1, 1, tzinfo=UTC))
    assert not RateRevision.objects.filter(card=sell).exists()
