import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

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


def generate_post(card, source, rules, live_from="2026-02-01T00:00"):
    data = {"source": source.pk if source else "", "live_from": live_from, "form-TOTAL_FORMS": str(len(rules)),
            "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "20"}
    for index, (pattern, kind, value) in enumerate(rules):
        data |= {f"form-{index}-pattern": pattern, f"form-{index}-kind": kind, f"form-{index}-value": value}
    return data


def test_the_generate_page_makes_a_revision_with_markup_rules(staff_client, provider):
    sell = RateCardFactory(name="Retail")
    url = reverse("rates:card_generate", args=[sell.pk])
    page = staff_client.get(url).content.decode()
    assert provider.name in page and "Markup rules" in page
    response = staff_client.post(url, generate_post(sell, provider, [("", "absolute", "0.005"),
                                                                     ("^447", "percent", "50"), ("", "percent", "")]))
    revision = RateRevision.objects.get(card=sell)
    assert response.status_code == 302 and response["Location"].endswith(f"?revision={revision.pk}")
    assert dict(RateRow.objects.filter(revision=revision).values_list("prefix", "rate")) == {
        "44": Decimal("0.015"), "447": Decimal("0.015"), "4479": Decimal("0.03"), "33": Decimal("0.015")}
    assert revision.created_by.username == "alice" and "Generated from" in revision.source
    detail = staff_client.get(response["Location"]).content.decode()
    assert "rows." in detail or "generated" in detail


def test_the_generate_page_shows_each_problem_and_stores_nothing(staff_client, provider):
    sell = RateCardFactory(name="Retail")
    url = reverse("rates:card_generate", args=[sell.pk])
    euro = RateCardFactory(kind="provider", currency="EUR")
    cases = [
        (generate_post(sell, euro, []), "Pick a card in the same currency"),
        (generate_post(sell, provider, [("^44", "percent", "")]), "Give the markup for this pattern"),
        (generate_post(sell, provider, [("^(44", "percent", "5")]), "The rules cannot be applied"),
        (generate_post(sell, provider, [], live_from="2025-01-01T00:00"), "has no revision live"),
        (generate_post(sell, provider, [("", "percent", "-200")]), "The rules cannot be applied"),
    ]
    for data, message in cases:
        response = staff_client.post(url, data)
        assert response.status_code == 422 and message in response.content.decode(), message
    assert not RateRevision.objects.filter(card=sell).exists()
    assert staff_client.get(reverse("rates:card_generate", args=[provider.pk])).status_code == 404


def test_generating_needs_the_deck_permission(client, provider):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="reader", groups=["Read-only"]))
    sell = RateCardFactory()
    assert client.get(reverse("rates:card_generate", args=[sell.pk])).status_code == 403
    assert "card-generate" not in client.get(sell.get_absolute_url()).content.decode()
