"""Provider and gateway pages: add, edit, delete, and the buy cards attached on the provider's card."""

import pytest

from providers.models import Gateway, Provider, ProviderRateCard
from routing.cache import routing_cache
from tests.factories import (
    GatewayFactory,
    ProviderFactory,
    ProviderRateCardFactory,
    RateCardFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

PROVIDER = {"name": "Northwind Voice", "status": "active", "currency": "usd", "tier": 1, "weight": 100}
GATEWAY = {"host": "SBC.Northwind.example", "port": 5080, "transport": "tls", "tech_prefix": "77", "channels": 0,
           "flow_speed": 0, "weight": 100, "enabled": "on"}


def test_add_a_provider_then_edit_it(staff_client):
    assert "New provider" in staff_client.get("/providers/").content.decode()
    response = staff_client.post("/providers/new/", PROVIDER)
    provider = Provider.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/providers/{provider.pk}/"
    assert provider.currency == "USD"

    response = staff_client.post(f"/providers/{provider.pk}/edit/", PROVIDER | {"tier": 2, "status": "disabled"})
    provider.refresh_from_db()
    assert response.status_code == 302 and (provider.tier, provider.status) == (2, "disabled")
    assert "Edit" in staff_client.get(f"/providers/{provider.pk}/edit/").content.decode()


def test_bad_provider_shows_errors_beside_fields_and_saves_nothing(staff_client):
    ProviderFactory(name="Northwind Voice")
    response = staff_client.post("/providers/new/", PROVIDER | {"name": "northwind voice", "currency": "XX",
                                                                "tier": 0})
    assert response.status_code == 422
    form = response.context["form"]
    assert "currency" in form.errors and "tier" in form.errors
    response = staff_client.post("/providers/new/", PROVIDER | {"name": "northwind voice"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert Provider.objects.count() == 1


def test_currency_cannot_change_while_a_card_in_it_is_attached(staff_client):
    link = ProviderRateCardFactory(provider__currency="USD")
    response = staff_client.post(f"/providers/{link.provider.pk}/edit/",
                                 PROVIDER | {"name": link.provider.name, "currency": "EUR"})
    assert response.status_code == 422
    assert "detach it before" in response.context["form"].errors["currency"][0]
    link.provider.refresh_from_db()
    assert link.provider.currency == "USD"


def test_add_edit_and_delete_a_gateway(staff_client):
    provider = ProviderFactory()
    response = staff_client.post(f"/providers/{provider.pk}/gateways/new/", GATEWAY)
    gateway = Gateway.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/providers/{provider.pk}/"
    assert (gateway.provider, gateway.host, gateway.transport) == (provider, "sbc.northwind.example", "tls")
    assert "sbc.northwind.example" in staff_client.get(f"/providers/{provider.pk}/").content.decode()

    staff_client.post(f"/providers/gateways/{gateway.pk}/edit/", GATEWAY | {"port": 5061, "enabled": ""})
    gateway.refresh_from_db()
    assert (gateway.port, gateway.enabled) == (5061, False)

    assert "Delete gateway" in staff_client.get(f"/providers/gateways/{gateway.pk}/delete/").content.decode()
    response = staff_client.post(f"/providers/gateways/{gateway.pk}/delete/")
    assert response.status_code == 302 and not Gateway.objects.exists()


def test_bad_gateway_shows_errors_and_saves_nothing(staff_client):
    existing = GatewayFactory(host="198.18.0.1", port=5060, transport="udp", tech_prefix="")
    response = staff_client.post(f"/providers/{existing.provider.pk}/gateways/new/",
                                 GATEWAY | {"host": "not a host!", "port": 70000, "tech_prefix": "7a"})
    assert response.status_code == 422
    assert {"host", "port", "tech_prefix"} <= set(response.context["form"].errors)
    response = staff_client.post(f"/providers/{existing.provider.pk}/gateways/new/",
                                 GATEWAY | {"host": "198.18.0.1", "port": 5060, "transport": "udp", "tech_prefix": ""})
    assert response.status_code == 422 and "already has this gateway" in response.content.decode()
    assert Gateway.objects.count() == 1


def test_deleting_a_provider_takes_its_gateways_and_frees_its_cards(staff_client):
    link = ProviderRateCardFactory()
    GatewayFactory(provider=link.provider)
    page = staff_client.get(f"/providers/{link.provider.pk}/delete/").content.decode()
    assert "free to attach" in page and link.card.name in page
    response = staff_client.post(f"/providers/{link.provider.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/providers/"
    assert not Provider.objects.exists() and not Gateway.objects.exists()
    link.card.refresh_from_db()  # the card itself stays


def test_attach_and_detach_a_buy_card_on_the_provider_card(staff_client):
    provider = ProviderFactory(currency="USD")
    card = RateCardFactory(kind="provider", currency="USD", name="Northwind buy")
    page = staff_client.get(f"/providers/{provider.pk}/").content.decode()
    assert "Northwind buy" in page  # offered in the attach list

    response = staff_client.post(f"/providers/{provider.pk}/cards/", {"card": card.pk})
    assert response.status_code == 302
    assert ProviderRateCard.objects.filter(provider=provider, card=card).exists()

    response = staff_client.post(f"/providers/{provider.pk}/cards/{card.pk}/detach/")
    assert response.status_code == 302 and not ProviderRateCard.objects.exists()


def test_attaching_a_card_in_another_currency_or_held_by_another_provider_is_refused(staff_client):
    provider = ProviderFactory(currency="USD")
    euros = RateCardFactory(kind="provider", currency="EUR", name="Euro buy")
    response = staff_client.post(f"/providers/{provider.pk}/cards/", {"card": euros.pk})
    assert response.status_code == 422
    assert "is in EUR" in response.context["attach_form"].errors["card"][0]

    held = ProviderRateCardFactory(provider__currency="USD")
    response = staff_client.post(f"/providers/{provider.pk}/cards/", {"card": held.card.pk})
    assert response.status_code == 422 and "card" in response.context["attach_form"].errors
    sell = RateCardFactory(kind="customer", currency="USD")
    response = staff_client.post(f"/providers/{provider.pk}/cards/", {"card": sell.pk})
    assert response.status_code == 422
    assert not ProviderRateCard.objects.filter(provider=provider).exists()


def test_a_new_gateway_is_offered_by_the_next_decision(staff_client):
    link = ProviderRateCardFactory()
    before = routing_cache.current()
    assert before.providers[link.provider.pk].gateways == ()
    staff_client.post(f"/providers/{link.provider.pk}/gateways/new/", GATEWAY)
    assert len(routing_cache.current().providers[link.provider.pk].gateways) == 1


@pytest.mark.parametrize("url", ["/providers/new/", "/providers/{p}/edit/", "/providers/{p}/delete/",
                                 "/providers/{p}/gateways/new/", "/providers/gateways/{g}/edit/",
                                 "/providers/gateways/{g}/delete/"])
def test_read_only_staff_may_not_open_or_post_the_forms(client, url):
    gateway = GatewayFactory()
    client.force_login(StaffFactory(username="reader", groups=["Read-only"]))
    url = url.format(p=gateway.provider.pk, g=gateway.pk)
    assert client.get(url).status_code == 403
    assert client.post(url, PROVIDER).status_code == 403
    assert Provider.objects.count() == 1 and Gateway.objects.count() == 1
