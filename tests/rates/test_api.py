from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rates.models import RateCard, RateRevision
from tests.factories import ApiTokenFactory, RateCardFactory, StaffFactory

pytestmark = pytest.mark.django_db
ALL = ["view_ratecard", "add_ratecard", "change_ratecard", "delete_ratecard", "upload_rate_deck"]


def api_client(client, codenames=ALL):
    user = StaffFactory(perms=[f"rates.{codename}" for codename in codenames])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiTokenFactory(user=user).key}"
    return client


def test_rate_cards_crud(client):
    api = api_client(client)
    response = api.post("/api/v1/rate-cards/", {"name": "UK sell", "currency": "GBP", "rounding": "up"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    card_id = response.json()["id"]
    assert response.json()["precision"] == 4 and response.json()["live_revision"] is None
    duplicate = api.post("/api/v1/rate-cards/", {"name": "uk SELL", "currency": "GBP"}, content_type="application/json")
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["name"][0]
    bad = api.post("/api/v1/rate-cards/", {"name": "X", "currency": "XXX", "precision": 9},
                   content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"currency", "precision"}
    assert api.patch(f"/api/v1/rate-cards/{card_id}/", {"precision": 2},
                     content_type="application/json").json()["precision"] == 2
    assert [c["name"] for c in api.get("/api/v1/rate-cards/").json()["results"]] == ["UK sell"]
    assert api.delete(f"/api/v1/rate-cards/{card_id}/").status_code == 204
    assert not RateCard.objects.exists()


def test_posting_a_csv_deck_creates_a_revision_or_answers_the_bad_rows(client):
    api = api_client(client)
    card = RateCardFactory()
    bad = api.post(f"/api/v1/rate-cards/{card.pk}/revisions/?live_from=2026-01-01T00:00:00Z",
                   data=b"prefix,rate\n44,0.05\n4479,cheap\n", content_type="text/csv")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"row": 3, "prefix": "4479", "reason": "bad rate (a number, up to 6 decimal places)"}]
    assert not RateRevision.objects.exists()
    good = api.post(f"/api/v1/rate-cards/{card.pk}/revisions/?live_from=2026-01-01T00:00:00Z",
                    data=b"prefix,rate\n44,0.05\n4479,0.12\n", content_type="text/csv")
    assert good.status_code == 201 and good.json()["added"] == 2
    assert RateRevision.objects.get().live_from == datetime(2026, 1, 1, tzinfo=UTC)
    header = api.post(f"/api/v1/rate-cards/{card.pk}/revisions/", data=b"number,price\n", content_type="text/csv")
    assert header.status_code == 400 and "Header row" in header.json()["detail"]

    rate = api.get(f"/api/v1/rate-cards/{card.pk}/rate/", {"number": "447911123456"})
    assert rate.status_code == 200
    assert (rate.json()["prefix"], Decimal(rate.json()["rate"])) == ("4479", Decimal("0.12"))
    assert api.get(f"/api/v1/rate-cards/{card.pk}/rate/", {"number": "33123"}).status_code == 404
    assert api.get(f"/api/v1/rate-cards/{card.pk}/rate/", {"number": "abc"}).status_code == 400


def test_permissions_are_per_action(client):
    card = RateCardFactory()
    reader = api_client(client, ["view_ratecard"])
    assert reader.get("/api/v1/rate-cards/").status_code == 200
    assert reader.post("/api/v1/rate-cards/", {"name": "X", "currency": "USD"},
                       content_type="application/json").status_code == 403
    assert reader.post(f"/api/v1/rate-cards/{card.pk}/revisions/", data=b"prefix,rate\n44,1\n",
                       content_type="text/csv").status_code == 403
    nobody = api_client(client, [])
    assert nobody.get("/api/v1/rate-cards/").status_code == 403
    client.defaults.pop("HTTP_AUTHORIZATION")
    assert client.get("/api/v1/rate-cards/").status_code in (401, 403)
