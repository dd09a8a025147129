import uuid

import pytest

from calls import live


@pytest.fixture
def live_state(monkeypatch):
    """Live state under a key prefix of its own, so parallel test workers never share counters."""
    prefix = f"live-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(live, "PREFIX", prefix)
    yield prefix
    wipe_live_state(prefix)


def wipe_live_state(prefix):
    """What a Redis restart without persistence does to the live state: every key gone."""
    client = live.live_redis()
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def fresh_caches():
    """Each test's rows are rolled back afterwards; no in-process snapshot may outlive them."""
    from calls import services
    from calls.limits import limits_forget
    from routing.cache import routing_cache

    routing_cache.clear()
    limits_forget()
    services._options = None
    yield
    routing_cache.clear()
    limits_forget()
    services._options = None
