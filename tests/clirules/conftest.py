import pytest

from routing.cache import routing_cache


@pytest.fixture(autouse=True)
def _fresh_routing_cache():
    """Each test's rows are rolled back afterwards; a snapshot must not outlive them."""
    routing_cache.clear()
    yield
    routing_cache.clear()
