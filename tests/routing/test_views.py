import pytest

from routing.models import IngressRoute
from tests.factories import CustomerFactory, IngressRouteFactory, RateCardFactory, StaffFactory

pytestmark = pytest.mark.django_db
STRATEGY = {"strategy": "lcr", "rtp_mode": "relaxed", "max_providers": 5}


def login(client, *codenames):
    user = StaffFactory(perms=["customers.view_customer", "customers.view_all_customers",
                               *(f"routing.{codename}" for codename in codenames)])
    client.force_login(user)
    return client


def test_routing_tab_lists_routes_and_adds_one(client):
    customer = CustomerFactory(currency="GBP")
    IngressRouteFactory(customer=customer, tech_prefix="77")
    card = RateCardFactory(currency="GBP", name="UK retail")
    staff = login(client, "view_ingressroute", "add_ingressroute")
    page = staff.get(f"/customers/{customer.pk}/tab/routing/").content.decode()
    assert "77" in page and "Add route" in page
    response = staff.post(f"/routing/customers/{customer.pk}/routes/", {
        "rate_card": card.pk, "tech_prefix": "", "dial_pattern": "^44", "priority": 100, "channels": 0,
        "flow_speed": 0, "max_duration": 7200, **STRATEGY})
    assert response.status_code == 302
    assert IngressRoute.objects.filter(customer=customer, rate_card=card, dial_pattern="^44").exists()


def test_bad_route_shows_errors_beside_fields_and_saves_nothing(client):
    customer = CustomerFactory(currency="GBP")
    dollars = RateCardFactory(currency="USD")
    staff = login(client, "view_ingressroute", "add_ingressroute")
    response = staff.post(f"/routing/customers/{customer.pk}/routes/", {
        "rate_card": dollars.pk, "tech_prefix": "1a", "dial_pattern": "([", "priority": 100, "channels": 0,
        "flow_speed": 0, "max_duration": 7200, **STRATEGY})
    assert response.status_code == 422
    errors = response.context["route_form"].errors
    assert set(errors) >= {"tech_prefix"} and not IngressRoute.objects.exists()
    response = staff.post(f"/routing/customers/{customer.pk}/routes/", {
        "rate_card": dollars.pk, "tech_prefix": "", "dial_pattern": "([", "priority": 100, "channels": 0,
        "flow_speed": 0, "max_duration": 7200, **STRATEGY})
    errors = response.context["route_form"].errors
    assert "billed in GBP" in errors["rate_card"][0] and "Not a valid regular expression" in errors["dial_pattern"][0]


def test_routing_tab_and_actions_need_permissions(client):
    customer = CustomerFactory()
    route = IngressRouteFactory(customer=customer)
    staff = login(client)
    assert staff.get(f"/customers/{customer.pk}/tab/routing/").status_code == 404  # tab hidden
    assert staff.post(f"/routing/customers/{customer.pk}/routes/{route.pk}/delete/").status_code == 403
    client.logout()
    staff = login(client, "view_ingressroute", "delete_ingressroute")
    assert staff.post(f"/routing/customers/{customer.pk}/routes/{route.pk}/delete/").status_code == 302
    assert not IngressRoute.objects.exists()


def route_data(card, **fields):
    return {"rate_card": card.pk, "tech_prefix": "", "dial_pattern": "", "priority": 100, "channels": 0,
            "flow_speed": 0, "max_duration": 7200, **STRATEGY, **fields}


def test_routing_tab_form_sets_the_strategy_lists_and_limits_and_the_tab_shows_them(client):
    from tests.factories import ProviderRateCardFactory

    customer = CustomerFactory(currency="USD")
    card = RateCardFactory(currency="USD")
    cheap, dear = ProviderRateCardFactory(card__name="Cheap buy"), ProviderRateCardFactory(card__name="Dear buy")
    staff = login(client, "view_ingressroute", "add_ingressroute", "change_ingressroute")
    page = staff.get(f"/customers/{customer.pk}/tab/routing/").content.decode()
    assert 'id="route-strategy"' in page and "Weighted tiers" in page and "Proxied, strict" in page

    response = staff.post(f"/routing/customers/{customer.pk}/routes/", route_data(
        card, strategy="weighted", lock_cards=[cheap.card.pk], exclude_cards=[dear.card.pk],
        provider_capped_rate="0.05", profit_assurance="on", rtp_mode="strict", max_providers=3))
    assert response.status_code == 302
    route = IngressRoute.objects.get(customer=customer)
    assert (route.strategy, route.rtp_mode, route.max_providers, route.profit_assurance) == ("weighted", "strict", 3,
                                                                                            True)
    assert str(route.provider_capped_rate) == "0.050000"
    assert list(route.lock_cards.all()) == [cheap.card] and list(route.exclude_cards.all()) == [dear.card]
    page = staff.get(f"/customers/{customer.pk}/tab/routing/").content.decode()
    assert "only Cheap buy, except Dear buy" in page and "Up to 3 tried" in page

    # Editing keeps what is not changed and can clear the lists.
    edit = staff.get(f"/routing/customers/{customer.pk}/routes/{route.pk}/").content.decode()
    assert f"Edit route #{route.pk}" in edit
    response = staff.post(f"/routing/customers/{customer.pk}/routes/{route.pk}/", route_data(
        card, strategy="reverse", rtp_mode="direct", max_providers=3))
    route.refresh_from_db()
    assert response.status_code == 302 and route.strategy == "reverse" and not route.lock_cards.exists()


def test_bad_strategy_fields_show_clear_errors_and_save_nothing(client):
    from tests.factories import ProviderRateCardFactory

    customer = CustomerFactory(currency="USD")
    card = RateCardFactory(currency="USD")
    euro = ProviderRateCardFactory(provider__currency="EUR", card__name="Euro buy")
    usd = ProviderRateCardFactory(card__name="Dollar buy")
    staff = login(client, "view_ingressroute", "add_ingressroute")
    url = f"/routing/customers/{customer.pk}/routes/"

    response = staff.post(url, route_data(card, strategy="fastest", rtp_mode="", max_providers=0,
                                          provider_capped_rate="-1"))
    errors = response.context["route_form"].errors
    assert response.status_code == 422
    assert {"strategy", "rtp_mode", "max_providers", "provider_capped_rate"} <= set(errors)

    response = staff.post(url, route_data(card, lock_cards=[euro.card.pk, usd.card.pk], exclude_cards=[usd.card.pk]))
    errors = response.context["route_form"].errors
    assert "Euro buy is in EUR" in errors["lock_cards"][0]
    assert "Dollar buy cannot be both locked and excluded" in errors["exclude_cards"][0]

    response = staff.post(url, route_data(card, strategy="drop", exclude_cards=[usd.card.pk]))
    assert "drops calls uses no provider" in response.context["route_form"].errors["strategy"][0]
    page = response.content.decode()
    assert "invalid-feedback" in page and not IngressRoute.objects.exists()
