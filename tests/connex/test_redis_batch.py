import uuid

import pytest
import redis
from django.conf import settings

from connex.redis_batch import batch


@pytest.fixture
def client():
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    key = f"batch-test-{uuid.uuid4().hex}"
    yield client, key
    client.delete(key, f"{key}:list")


def test_commands_run_in_order_and_answer_their_raw_replies(client):
    client, key = client
    assert batch(client, ("SET", key, "1", "EX", 60, "NX"), ("SET", key, "2", "EX", 60, "NX"), ("INCR", key),
                 ("GET", key)) == ["OK", None, 2, "2"]


def test_an_error_reply_is_raised_after_every_reply_was_read_and_the_connection_stays_usable(client):
    client, key = client
    with pytest.raises(redis.ResponseError):
        batch(client, ("SET", key, "a"), ("INCR", key), ("RPUSH", f"{key}:list", "after"))
    assert client.lrange(f"{key}:list", 0, -1) == ["after"]  # the command after the error ran
    assert batch(client, ("GET", key)) == ["a"]  # and the connection answers the next batch in step


def test_a_connection_redis_closed_while_idle_is_opened_again(client):
    client, key = client
    (own_id,) = batch(client, ("CLIENT", "ID"))
    client.client_kill_filter(_id=own_id)  # as a Redis restart would
    assert batch(client, ("SET", key, "x"), ("GET", key)) == ["OK", "x"]
    (new_id,) = batch(client, ("CLIENT", "ID"))
    assert new_id != own_id


def test_arguments_are_sent_as_redis_py_sends_them(client):
    client, key = client
    batch(client, ("RPUSH", f"{key}:list", "é", b"\x00raw", 7, 2.5, -3))
    assert client.lrange(f"{key}:list", 0, -1) == ["é", "\x00raw", "7", "2.5", "-3"]
    with pytest.raises(redis.DataError):
        batch(client, ("SET", key, None))


def test_a_prefetched_value_is_taken_once_and_a_failed_prefetch_leaves_every_reader_to_read(client):
    from connex.redis_batch import MISSING, prefetch, prefetch_clear, prefetched

    client, key = client
    client.set(key, "v1")
    try:
        prefetch(client, [key, f"{key}:none"])
        client.set(key, "v2")  # after the read ahead: the request still sees its own read
        assert (prefetched(key), prefetched(f"{key}:none")) == ("v1", None)
        assert prefetched(key) is MISSING  # a second read of the same request goes to Redis
        broken = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        prefetch(broken, [key])
        assert prefetched(key) is MISSING
    finally:
        prefetch_clear()


def test_hiredis_packs_every_value_as_the_python_packer_does(monkeypatch):
    from connex import redis_batch

    pytest.importorskip("hiredis")
    commands = [("EVALSHA", "é", b"\x00raw", 7, -3, 2**70, 2.5, 1796093283.3938355, 1e20, memoryview(b"mv")),
                ["GET", "key"]]
    packed = redis_batch.pack(commands)
    for value in (None, True, 1.5j):  # refused by hiredis, then by the Python packer in redis-py's words
        with pytest.raises(redis.DataError):
            redis_batch.pack([("SET", "key", value)])
    monkeypatch.setattr(redis_batch, "_pack_command", None)
    assert redis_batch.pack(commands) == packed
