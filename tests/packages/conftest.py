import pytest

from routing.cache import routing_cache


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    routing_cache.clear()
    yield
    routing_cache.clear()
