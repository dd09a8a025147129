import pytest

from tests.factories import GatewayFactory, ProviderRateCardFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_provider_list_and_card_show_gateways_and_rate_cards(staff_client):
    link = ProviderRateCardFactory(provider__name="Northwind Voice", card__name="Northwind buy")
    GatewayFactory(provider=link.provider, host="198.18.0.10", tech_prefix="77")

    listing = staff_client.get("/providers/").content.decode()
    card = staff_client.get(f"/providers/{link.provider.pk}/").content.decode()

    assert "Northwind Voice" in listing and f"/providers/{link.provider.pk}/" in listing
    assert "198.18.0.10" in card and "77" in card and "Northwind buy" in card


def test_unknown_provider_is_404(staff_client):
    assert staff_client.get("/providers/999999/").status_code == 404


@pytest.mark.parametrize(("who", "status"), [({"groups": ["Read-only"]}, 200), ({"perms": ["customers.view_customer"]},
                                                                                  403)])
def test_provider_pages_need_the_view_permission(client, who, status):
    link = ProviderRateCardFactory()
    client.force_login(StaffFactory(username="someone", **who))
    assert client.get("/providers/").status_code == status
    assert client.get(f"/providers/{link.provider.pk}/").status_code == status


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/providers/").status_code == 302
