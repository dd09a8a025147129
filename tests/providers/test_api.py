import pytest

from providers.models import Gateway, Provider
from tests.factories import (
    ApiTokenFactory,
    CustomerFactory,
    GatewayFactory,
    ProviderFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def auth(client, **staff):
    token = ApiTokenFactory(user=StaffFactory(**staff))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"
    return client


def test_provider_and_gateway_are_created_and_listed(client):
    auth(client)
    made = client.post("/api/v1/providers/", {"name": "Tata", "currency": "USD"}, content_type="application/json")
    assert made.status_code == 201, made.json()
    provider = made.json()["id"]
    gateway = client.post("/api/v1/gateways/", {"provider": provider, "host": "203.0.113.10", "port": 5080,
                                                "tech_prefix": "99"}, content_type="application/json")
    assert gateway.status_code == 201, gateway.json()
    listed = client.get(f"/api/v1/gateways/?provider={provider}").json()["results"]
    assert [(g["host"], g["port"], g["tech_prefix"]) for g in listed] == [("203.0.113.10", 5080, "99")]


def test_bad_gateway_input_is_a_400_on_the_field_and_nothing_is_saved(client):
    auth(client)
    provider = ProviderFactory()
    answer = client.post("/api/v1/gateways/", {"provider": provider.pk, "host": "not a host!", "port": 70000,
                                               "tech_prefix": "1a"}, content_type="application/json")
    assert answer.status_code == 400
    assert {"host", "port", "tech_prefix"} <= set(answer.json())
    assert not Gateway.objects.exists()


def test_duplicate_provider_name_is_refused_whatever_the_case(client):
    auth(client)
    ProviderFactory(name="Tata")
    answer = client.post("/api/v1/providers/", {"name": "TATA", "currency": "USD"}, content_type="application/json")
    assert answer.status_code == 400 and "already exists" in str(answer.json())
    assert Provider.objects.count() == 1


@pytest.mark.parametrize("path", ["/api/v1/providers/", "/api/v1/gateways/", "/api/v1/cli-rules/"])
def test_api_needs_staff_with_the_view_permission(client, path):
    GatewayFactory()
    assert client.get(path).status_code in (401, 403)
    auth(client, username="nobody", perms=["customers.view_customer"])
    assert client.get(path).status_code == 403
    auth(client, username="reader", groups=["Read-only"])
    assert client.get(path).status_code == 200
    assert client.post(path, {}, content_type="application/json").status_code == 403


def test_cli_rule_with_a_bad_pattern_is_refused_on_that_field(client):
    auth(client)
    customer = CustomerFactory()
    answer = client.post("/api/v1/cli-rules/", {"customer": customer.pk, "cli_pattern": "^0(", "rewrite_cli": "44"},
                         content_type="application/json")
    assert answer.status_code == 400 and "cli_pattern" in answer.json()
    good = client.post("/api/v1/cli-rules/", {"customer": customer.pk, "cli_pattern": r"^0(\d+)$",
                                              "rewrite_cli": r"44\1"}, content_type="application/json")
    assert good.status_code == 201, good.json()


def test_provider_rate_cards_are_linked_through_the_provider(client):
    from tests.factories import RateCardFactory

    auth(client)
    buy = RateCardFactory(kind="provider", currency="USD")
    euros = RateCardFactory(kind="provider", currency="EUR")
    sell = RateCardFactory(kind="customer", currency="USD")

    made = client.post("/api/v1/providers/", {"name": "Tata", "currency": "USD", "rate_cards": [buy.pk]},
                       content_type="application/json")
    assert made.status_code == 201, made.json()
    assert made.json()["rate_cards"] == [buy.pk]
    wrong = client.patch(f"/api/v1/providers/{made.json()['id']}/", {"rate_cards": [euros.pk, sell.pk]},
                         content_type="application/json")
    assert wrong.status_code == 400 and "rate_cards" in wrong.json()
    other = client.post("/api/v1/providers/", {"name": "Other", "currency": "USD", "rate_cards": [buy.pk]},
                        content_type="application/json")
    assert other.status_code == 400 and "already belongs to Tata" in str(other.json())
    assert Provider.objects.get(name="Tata").rate_cards == [buy]
