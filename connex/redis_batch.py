"""Redis commands for the switch's hot path: several in one round trip, without redis-py's
per-command bookkeeping.

A redis-py pipeline costs about a hundred Python calls before its first command (retries,
observability, script checks) and twenty-five more per command; even a plain batch through its
connection pool spent more on taking and returning the connection (locks, connection-count
metrics) and on packing arguments (a type check and an encode per argument, in Python) than an
authorize spends deciding the call. `batch` keeps one connection per thread and per client (made
from the client's pool settings, so URL, database, timeouts and reply decoding are the client's),
packs the commands itself, sends them in one write and reads every reply through the connection's
parser (hiredis when installed) — what a non-transactional pipeline does on the wire, and nothing
else.

Replies are the raw ones (no response callbacks: SET answers "OK", not True). An error reply is
raised after every reply was read, so the connection stays in step. A connection that fails
mid-way is dropped (the next batch connects again); nothing is retried, since the commands may
have run (callers fail closed); a connection Redis closed while idle is noticed before sending
and opened again. A forked process never uses its parent's connection.
"""

import os
import select
import threading

import redis

try:
    # hiredis packs a command in C, as redis-py's own encoder would (str as UTF-8, int and float
    # by repr), in a third of the time of the loop below.
    from hiredis import pack_command as _pack_command
except ImportError:
    _pack_command = None

_local = threading.local()


def _connection(client: redis.Redis):
    pool = client.connection_pool
    connections = getattr(_local, "connections", None)
    if connections is None or _local.pid != os.getpid():
        connections = _local.connections = {}
        _local.pid = os.getpid()
    connection = connections.get(id(pool))
    if connection is None or connection[0] is not pool:
        # The pool is kept beside its connection so a new pool reusing a freed id is not mistaken for it.
        connection = connections[id(pool)] = (pool, pool.connection_class(**pool.connection_kwargs))
    connection = connection[1]
    sock = connection._sock
    if sock is not None and select.select([sock], [], [], 0)[0]:
        # Readable before anything was sent: Redis closed it (a restart) or it is out of step.
        connection.disconnect()
    return connection


def _arg(value) -> bytes:
    kind = type(value)
    if kind is bytes:
        return value
    if kind is str:
        return value.encode()
    if kind is int:
        return b"%d" % value
    if kind is float:
        return repr(value).encode()
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return str(value).encode()
    if isinstance(value, int) and not isinstance(value, bool):
        return b"%d" % value
    raise redis.DataError(f"Invalid input of type {kind.__name__}: send bytes, a string, an int or a float.")


def pack(commands) -> bytes:
    """The commands in Redis's wire format (RESP arrays of bulk strings), ready for one write."""
    if _pack_command is not None:
        try:
            return b"".join([_pack_command(command if type(command) is tuple else tuple(command))
                             for command in commands])
        except TypeError:
            pass  # a value hiredis does not take: packed below, which refuses it as redis-py does
    parts = []
    append = parts.append
    for command in commands:
        append(b"*%d\r\n" % len(command))
        for value in command:
            kind = type(value)
            if kind is str:
                value = value.encode()
            elif kind is not bytes:
                value = _arg(value)
            append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


def batch(client: redis.Redis, *commands: tuple) -> list:
    """Runs the commands (each a tuple such as ("GET", key)) in one round trip; their replies."""
    payload = pack(commands)
    connection = _connection(client)
    try:
        connection.send_packed_command([payload], check_health=False)
        replies = []
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except redis.ResponseError as error:
                replies.append(error)
    except BaseException:
        connection.disconnect()
        raise
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply
    return replies


# Values read ahead for this request -----------------------------------------------------------
#
# The switch's authorize reads three versions before it decides (the API tokens', the routing
# snapshot's and the caller's account's), each once per request. `prefetch` reads them together in
# one MGET at the start of the request; each reader then takes its value with `prefetched` (once:
# a later read in the same thread goes to Redis again) and reads Redis itself when it finds none.
# The values are as fresh as the readers' own reads would be: they come from the same request.

MISSING = object()


def prefetch(client: redis.Redis, keys) -> None:
    """Reads `keys` in one round trip for this thread's later `prefetched` calls; on a Redis error
    nothing is kept (each reader then reads, and handles the error, as without a prefetch)."""
    keys = list(keys)
    _local.assumed = None
    try:
        (values,) = batch(client, ("MGET", *keys))
    except (redis.RedisError, OSError):
        _local.prefetched = None
        return
    _local.prefetched = dict(zip(keys, values, strict=True))
    _remember(keys, values)


# Values assumed for this request ---------------------------------------------------------------
#
# Versions change rarely. `prefetch_assumed` spares the read-ahead's round trip when this thread has
# read every key before: the values it read last are handed to the readers as if read now, and kept
# as this request's assumptions. Nothing that depends on them may be written before they are
# confirmed: by a script that checks them itself before any write (`assumed`, then `assumed_seen`
# with what it found, or `assumed_confirmed` when it found them unchanged) or by
# `assumptions_confirm` (one MGET). A changed value raises Stale, before anything was written; the
# request then runs again after a real `prefetch` (connex.api.lean_view).


class Stale(Exception):
    """A value this request assumed has changed: nothing was written; run it again after a prefetch."""


def _remember(keys, values):
    remembered = getattr(_local, "remembered", None)
    if remembered is None or _local.remembered_pid != os.getpid():
        remembered = _local.remembered = {}
        _local.remembered_pid = os.getpid()
    for key, value in zip(keys, values, strict=True):
        if value is None:
            remembered.pop(key, None)  # a missing key is never assumed: its reader sets it
        else:
            remembered[key] = value


def prefetch_assumed(client: redis.Redis, keys) -> None:
    """`prefetch`, without the round trip when this thread read every key before (see above)."""
    keys = list(keys)
    remembered = getattr(_local, "remembered", None)
    if remembered is not None and _local.remembered_pid == os.getpid():
        values = [remembered.get(key) for key in keys]
        if None not in values:
            _local.prefetched = dict(zip(keys, values, strict=True))
            _local.assumed = dict(_local.prefetched)
            return
    prefetch(client, keys)


def assumed() -> dict:
    """This request's unconfirmed assumptions: key -> value (bytes)."""
    return getattr(_local, "assumed", None) or {}


def assumed_seen(current: dict) -> None:
    """A script checked the assumptions and found `current` (key -> value): Stale unless unchanged."""
    expected = assumed()
    _local.assumed = None
    _remember(list(current), [value if value is None or type(value) is bytes else str(value).encode()
                              for value in current.values()])
    if any(getattr(_local, "remembered", {}).get(key) != value for key, value in expected.items()):
        raise Stale


def assumed_confirmed() -> None:
    """A script found every assumption unchanged: they hold, and what this thread read stays as read."""
    _local.assumed = None


def assumptions_confirm(client: redis.Redis) -> None:
    """Checks this request's assumptions (one MGET) before something that depends on them is written."""
    expected = assumed()
    if not expected:
        return
    keys = list(expected)
    try:
        (values,) = batch(client, ("MGET", *keys))
    except (redis.RedisError, OSError):
        _local.assumed = None
        raise Stale from None  # the request runs again on values read now (or handles Redis as usual)
    assumed_seen(dict(zip(keys, values, strict=True)))


def prefetched(key: str):
    """The value `prefetch` read for `key` in this thread (None for a missing key), taken once; or
    MISSING when it read none."""
    values = getattr(_local, "prefetched", None)
    if not values:
        return MISSING
    return values.pop(key, MISSING)


def prefetch_clear() -> None:
    _local.prefetched = None
    _local.assumed = None
