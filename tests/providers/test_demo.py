import pytest

from providers.demo import load_demo_routing
from providers.models import Gateway, Provider
from routing.engine import CallRequest, decide
from routing.models import IngressRoute
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_routing_loads_once_and_routes_a_call(capsys):
    CustomerFactory.create_batch(3, currency="USD")
    load_demo_routing(type("Out", (), {"write": staticmethod(print)}))
    load_demo_routing(type("Out", (), {"write": staticmethod(print)}))

    assert Provider.objects.count() == 3 and Gateway.objects.count() >= 3
    route = IngressRoute.objects.order_by("pk").first()
    decision = decide(CallRequest(dialed="447911123456", cli="02071234567", customer_id=route.customer_id))
    assert decision.allowed and decision.cli == "442071234567" and decision.routes
