import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from calls.live import (
    LiveCallRecord,
    Scope,
    live_calls,
    live_channels_in_use,
    live_extend,
    live_mark_present,
    live_rebuild,
    live_release,
    live_reserve,
    live_state_present,
    scope_key,
)
from tests.calls.conftest import wipe_live_state

pytestmark = pytest.mark.usefixtures("live_state")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def customer(channels=None, cps=None, buffer=0, ident=1):
    return Scope(scope_key("customer", ident), channels=channels, cps=cps, cps_buffer=buffer)


def route(channels=None, cps=None, buffer=0, ident=1):
    return Scope(scope_key("route", ident), channels=channels, cps=cps, cps_buffer=buffer)


def test_third_call_of_a_customer_with_two_channels_is_refused_on_channels():
    scopes = [customer(channels=2)]
    assert live_reserve(call_id="a", scopes=scopes, ttl=60).allowed
    assert live_reserve(call_id="b", scopes=scopes, ttl=60).allowed
    third = live_reserve(call_id="c", scopes=scopes, ttl=60)
    assert not third.allowed
    assert (third.reason, third.scope, third.in_use) == ("channels", "customer:1", 2)
    assert live_channels_in_use("customer:1") == 2
    assert {call.call_id for call in live_calls("customer:1")} == {"a", "b"}


def test_a_refusal_by_one_scope_takes_no_channel_from_the_others():
    scopes = [customer(channels=10), route(channels=1), Scope("ip:7")]
    assert live_reserve(call_id="a", scopes=scopes, ttl=60).allowed
    refused = live_reserve(call_id="b", scopes=scopes, ttl=60)
    assert (refused.allowed, refused.scope) == (False, "route:1")
    assert live_channels_in_use("customer:1") == 1
    assert live_channels_in_use("ip:7") == 1
    assert [call.call_id for call in live_calls("ip:7")] == ["a"]


def test_a_scope_without_its_own_limit_counts_calls_but_never_refuses():
    for number in range(30):
        assert live_reserve(call_id=f"c{number}", scopes=[customer(channels=0), Scope("sipuser:3")], ttl=60).allowed
    assert live_channels_in_use("customer:1") == 30
    assert live_channels_in_use("sipuser:3") == 30


def test_a_repeated_reserve_holds_one_channel_and_answers_allowed():
    scopes = [customer(channels=1)]
    first = live_reserve(call_id="a", scopes=scopes, ttl=60)
    again = live_reserve(call_id="a", scopes=scopes, ttl=60)
    assert first.allowed and not first.existing
    assert again.allowed and again.existing
    assert live_channels_in_use("customer:1") == 1


def test_release_is_idempotent_and_counts_never_go_negative():
    scopes = [customer(channels=1), route()]
    live_reserve(call_id="a", scopes=scopes, ttl=60)
    assert live_release(call_id="a") == 2
    assert live_release(call_id="a") == 0
    assert live_release(call_id="never-reserved") == 0
    assert live_channels_in_use("customer:1") == 0
    assert live_channels_in_use("route:1") == 0
    # The freed channel is usable again, exactly once.
    assert live_reserve(call_id="b", scopes=scopes, ttl=60).allowed
    assert not live_reserve(call_id="c", scopes=scopes, ttl=60).allowed


def test_concurrent_reserves_admit_exactly_the_limit():
    limit = 25
    scopes = [customer(channels=limit), route(channels=0)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda n: live_reserve(call_id=f"c{n}", scopes=scopes, ttl=60).allowed,
                                range(400)))
    assert results.count(True) == limit
    assert live_channels_in_use("customer:1") == limit
    assert live_channels_in_use("route:1") == limit


def test_concurrent_reserve_and_release_never_exceed_the_limit_nor_leak():
    limit = 5
    scopes = [customer(channels=limit), route(channels=limit + 2)]
    held = 0
    peak = 0
    lock = threading.Lock()
    over_limit = []

    def caller(worker):
        nonlocal held, peak
        for attempt in range(60):
            call_id = f"w{worker}-{attempt}"
            if live_reserve(call_id=call_id, scopes=scopes, ttl=60).allowed:
                with lock:
                    held += 1
                    peak = max(peak, held)
                in_use = live_channels_in_use("customer:1")
                if in_use > limit:
                    over_limit.append(in_use)
                live_reserve(call_id=call_id, scopes=scopes, ttl=60)  # a retransmitted authorize
                with lock:
                    held -= 1
                live_release(call_id=call_id)
                live_release(call_id=call_id)  # a repeated end
            else:
                live_release(call_id=call_id)  # an end for a refused call

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(caller, range(12)))
    assert over_limit == []
    assert 1 <= peak <= limit
    assert live_channels_in_use("customer:1") == 0
    assert live_channels_in_use("route:1") == 0


def test_a_lost_call_frees_its_channel_at_expiry():
    scopes = [customer(channels=1)]
    assert live_reserve(call_id="lost", scopes=scopes, ttl=2).allowed
    assert not live_reserve(call_id="next", scopes=scopes, ttl=2).allowed
    time.sleep(2.1)
    assert live_calls("customer:1") == []
    assert live_reserve(call_id="next", scopes=scopes, ttl=60).allowed
    assert live_release(call_id="lost") == 0  # the late end of the lost call frees nothing more
    assert live_channels_in_use("customer:1") == 1


def test_expiry_follows_the_clock_given_to_the_script():
    now = time.time()
    scopes = [customer(channels=1)]
    assert live_reserve(call_id="lost", scopes=scopes, ttl=60, now=now).allowed
    assert not live_reserve(call_id="next", scopes=scopes, ttl=60, now=now + 59.9).allowed
    assert live_reserve(call_id="next", scopes=scopes, ttl=60, now=now + 60.1).allowed
    assert [call.call_id for call in live_calls("customer:1", now=now + 60.1)] == ["next"]


def test_answer_extends_the_reservation_beyond_its_first_expiry():
    scopes = [customer(channels=1)]
    live_reserve(call_id="a", scopes=scopes, ttl=2)
    assert live_extend(call_id="a", expires_at=time.time() + 60)
    assert not live_extend(call_id="unknown", expires_at=time.time() + 60)
    time.sleep(2.1)
    assert [call.call_id for call in live_calls("customer:1")] == ["a"]
    assert not live_reserve(call_id="b", scopes=scopes, ttl=60).allowed


def test_cps_passes_a_burst_of_rate_plus_buffer_then_refills_at_the_rate():
    now = int(time.time())  # whole seconds: now + 0.1 stays exact to the microsecond
    scopes = [customer(cps=10, buffer=5)]
    passed = [live_reserve(call_id=f"c{n}", scopes=scopes, ttl=60, now=now).allowed for n in range(16)]
    assert passed == [True] * 15 + [False]
    refused = live_reserve(call_id="x", scopes=scopes, ttl=60, now=now)
    assert (refused.reason, refused.scope) == ("cps", "customer:1")
    # 0.1 s later one token is back, and only one.
    later = [live_reserve(call_id=f"d{n}", scopes=scopes, ttl=60, now=now + 0.1).allowed for n in range(2)]
    assert later == [True, False]
    # One second later, ten more.
    second = [live_reserve(call_id=f"e{n}", scopes=scopes, ttl=60, now=now + 1.1).allowed for n in range(11)]
    assert second == [True] * 10 + [False]


def test_refused_calls_take_no_cps_token():
    now = int(time.time())  # whole seconds: now + 0.1 stays exact to the microsecond
    # The route is full: the customer's CPS tokens must not be spent on refused calls.
    live_reserve(call_id="hold", scopes=[route(channels=1)], ttl=60, now=now)
    for n in range(10):
        result = live_reserve(call_id=f"r{n}", scopes=[customer(cps=2), route(channels=1)], ttl=60, now=now)
        assert result.reason == "channels"
    allowed = [live_reserve(call_id=f"ok{n}", scopes=[customer(cps=2)], ttl=60, now=now).allowed
               for n in range(3)]
    assert allowed == [True, True, False]


def test_rebuild_after_redis_lost_its_data_restores_counts_and_limits(live_state):
    live_mark_present()
    scopes = [customer(channels=3), route(channels=0, ident=4), Scope("ip:9")]
    records = []
    for call_id in ("a", "b", "c"):
        live_reserve(call_id=call_id, scopes=scopes, ttl=120)
        # What the live-call table would hold for each call.
        records.append(LiveCallRecord(call_id=call_id, scopes=tuple(s.key for s in scopes),
                                      expires_at=time.time() + 120))
    records.append(LiveCallRecord(call_id="ended-long-ago", scopes=("customer:1",),
                                  expires_at=time.time() - 5))

    wipe_live_state(live_state)
    assert not live_state_present()
    assert live_channels_in_use("customer:1") == 0

    assert live_rebuild(records) == 3
    assert live_rebuild(records) == 3  # a second rebuild changes nothing
    assert live_state_present()
    assert live_channels_in_use("customer:1") == 3
    assert live_channels_in_use("route:4") == 3
    assert {call.call_id for call in live_calls("ip:9")} == {"a", "b", "c"}
    assert live_reserve(call_id="d", scopes=scopes, ttl=60).reason == "channels"
    assert live_reserve(call_id="a", scopes=scopes, ttl=60).existing
    assert live_release(call_id="b") == 3
    assert live_reserve(call_id="d", scopes=scopes, ttl=60).allowed
    assert live_channels_in_use("customer:1") == 3


def test_scope_keys_refuse_spaces():
    with pytest.raises(ValueError):
        scope_key("customer", "1 2")


def test_a_real_redis_restart_loses_nothing_once_rebuilt(settings, tmp_path):
    """A private redis-server, restarted without persistence: data and script cache are gone."""
    port = free_port()
    shared_url = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"

    def start():
        process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", str(tmp_path)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    server = start()
    try:
        scopes = [customer(channels=2), route(channels=5)]
        assert live_reserve(call_id="a", scopes=scopes, ttl=120).allowed
        assert live_reserve(call_id="b", scopes=scopes, ttl=120).allowed
        records = [LiveCallRecord(call_id=call_id, scopes=("customer:1", "route:1"), expires_at=time.time() + 120)
                   for call_id in ("a", "b")]
        server.terminate()
        server.wait(timeout=10)
        server = start()

        assert not live_state_present()
        assert live_channels_in_use("customer:1") == 0
        assert live_rebuild(records) == 2
        # The scripts were flushed with the restart; they load again on first use.
        assert live_reserve(call_id="c", scopes=scopes, ttl=60).reason == "channels"
        assert live_release(call_id="a") == 2
        assert live_reserve(call_id="c", scopes=scopes, ttl=60).allowed
        assert live_channels_in_use("route:1") == 2
    finally:
        server.terminate()
        server.wait(timeout=10)
        settings.REDIS_URL = shared_url  # the fixture cleaning the shared Redis runs after this
