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
