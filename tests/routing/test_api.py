import pytest

from routing.models import IngressRoute
from tests.factories import (
    ApiTokenFactory,
    CustomerFactory,
    IngressRouteFactory,
    IpAuthEntryFactory,
    RateCardFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    user = StaffFactory(perms=[f"routing.{action}_ingressroute" for action in ("view", "add", "change", "delete")])
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiTokenFactory(user=user).key}"
    return client


def test_create_filter_and_delete_routes(api):
    customer = CustomerFactory(currency="EUR")
    card = RateCardFactory(currency="EUR")
    response = api.post("/api/v1/ingress-routes/", {"customer": customer.pk, "rate_card": card.pk, "tech_prefix": "12",
                                                    "dial_pattern": "^44", "capped_rate": "0.5"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    IngressRouteFactory()
    listed = api.get("/api/v1/ingress-routes/", {"customer": customer.pk}).json()["results"]
    assert [r["tech_prefix"] for r in listed] == ["12"] and listed[0]["max_duration"] == 7200
    assert api.delete(f"/api/v1/ingress-routes/{listed[0]['id']}/").status_code == 204


def test_each_rule_answers_on_its_field_and_nothing_is_saved(api):
    customer = CustomerFactory(currency="EUR")
    dollars = RateCardFactory(currency="USD")
    provider = RateCardFactory(currency="EUR", kind="provider")
    cases = [({"rate_card": dollars.pk}, "rate_card", "billed in EUR"),
             ({"rate_card": provider.pk}, "rate_card", "customer (sell) card"),
             ({"rate_card": RateCardFactory(currency="EUR").pk, "dial_pattern": "^(44"}, "dial_pattern",
              "Not a valid regular expression"),
             ({"rate_card": RateCardFactory(currency="EUR").pk, "tech_prefix": "12#"}, "tech_prefix", "Digits only")]
    for data, field, message in cases:
        response = api.post("/api/v1/ingress-routes/", {"customer": customer.pk, **data}, content_type="application/json")
        assert response.status_code == 400 and message in " ".join(response.json()[field]), response.content
    assert not IngressRoute.objects.exists()


def test_tech_prefix_is_unique_among_customers_sharing_an_address(api):
    first, second, elsewhere = CustomerFactory(), CustomerFactory(), CustomerFactory()
    IpAuthEntryFactory(customer=first, address="203.0.113.5")
    IpAuthEntryFactory(customer=second, address="203.0.113.5")
    IpAuthEntryFactory(customer=elsewhere, address="198.51.100.9")
    IngressRouteFactory(customer=first, tech_prefix="123")
    taken = api.post("/api/v1/ingress-routes/", {"customer": second.pk, "tech_prefix": "123",
                                                 "rate_card": RateCardFactory().pk}, content_type="application/json")
    assert taken.status_code == 400 and first.name in taken.json()["tech_prefix"][0]
    free = api.post("/api/v1/ingress-routes/", {"customer": elsewhere.pk, "tech_prefix": "123",
                                                "rate_card": RateCardFactory().pk}, content_type="application/json")
    assert free.status_code == 201


def test_api_sets_the_strategy_and_refuses_a_card_both_locked_and_excluded(api):
    from tests.factories import ProviderRateCardFactory

    customer = CustomerFactory(currency="USD")
    card = RateCardFactory(currency="USD")
    buy = ProviderRateCardFactory()
    body = {"customer": customer.pk, "rate_card": card.pk, "strategy": "random", "lock_cards": [buy.card.pk],
            "max_providers": 2, "rtp_mode": "direct"}
    response = api.post("/api/v1/ingress-routes/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert (response.json()["strategy"], response.json()["lock_cards"]) == ("random", [buy.card.pk])
    response = api.patch(f"/api/v1/ingress-routes/{response.json()['id']}/", {"exclude_cards": [buy.card.pk]},
                         content_type="application/json")
    assert response.status_code == 400 and "exclude_cards" in response.json()
