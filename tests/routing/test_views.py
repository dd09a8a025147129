import pytest

from routing.models import IngressRoute
from tests.factories import CustomerFactory, IngressRouteFactory, RateCardFactory, StaffFactory

pytestmark = pytest.mark.django_db


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
        "flow_speed": 0, "max_duration": 7200})
    assert response.status_code == 302
    assert IngressRoute.objects.filter(customer=customer, rate_card=card, dial_pattern="^44").exists()


def test_bad_route_shows_errors_beside_fields_and_saves_nothing(client):
    customer = CustomerFactory(currency="GBP")
    dollars = RateCardFactory(currency="USD")
    staff = login(client, "view_ingressroute", "add_ingressroute")
    response = staff.post(f"/routing/customers/{customer.pk}/routes/", {
        "rate_card": dollars.pk, "tech_prefix": "1a", "dial_pattern": "([", "priority": 100, "channels": 0,
        "flow_speed": 0, "max_duration": 7200})
    assert response.status_code == 422
    errors = response.context["route_form"].errors
    assert set(errors) >= {"tech_prefix"} and not IngressRoute.objects.exists()
    response = staff.post(f"/routing/customers/{customer.pk}/routes/", {
        "rate_card": dollars.pk, "tech_prefix": "", "dial_pattern": "([", "priority": 100, "channels": 0,
        "flow_speed": 0, "max_duration": 7200})
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
