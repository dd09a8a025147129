"""Live channels and calls-per-second in Redis, shared by every web worker answering the switch.

Each scope (a customer, an ingress route, a SIP user or IP entry, ...) has a sorted set of the
call ids holding one of its channels, scored by the epoch second at which the reservation expires,
and a token bucket for its CPS. Every check and write for a call is one Lua script, so a call is
admitted against all its scopes or against none, and counts stay exact under any concurrency:

- a channel is a member, not a counter, so a repeated reserve or release cannot count twice and a
  count can never go negative;
- expired members are pruned inside the scripts, so a call whose end never arrives frees its
  channel at its expiry without any sweeper;
- after a Redis restart `live_rebuild` restores the reservations from the live-call records.

The release script finds a call's scopes in the call's own hash, so it needs a single Redis (no
cluster), which is what the panel runs.
"""

import time
from dataclasses import dataclass
from functools import cache, cached_property
from typing import NamedTuple

import redis
from django.conf import settings

from connex import redis_batch
from connex.redis_batch import batch

PREFIX = "live"

# KEYS: call hash, then per scope its channel set and its CPS bucket.
# ARGV: call id, ttl, now in microseconds ('' = Redis clock), scope count, then per scope: channels, cps, buffer.
# Returns {1, 0, 'reserved'|'existing'} or {0, scope index (1-based), 'cps'|'channels', in use}.
RESERVE_LUA = """
local call_id, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
-- Time and tokens are whole microseconds and micro-tokens: exact in Lua's doubles.
local now_us = tonumber(ARGV[3])
if not now_us then
  local t = redis.call('TIME')
  now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local now = now_us / 1000000
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {1, 0, 'existing', 0}
end
local tokens = {}
for i = 1, n do
  local cps, buffer = tonumber(ARGV[4 + 3 * i - 1]), tonumber(ARGV[4 + 3 * i])
  if cps > 0 then
    local state = redis.call('HMGET', KEYS[1 + 2 * i], 'tokens', 'ts')
    local capacity = (cps + buffer) * 1000000
    local left = tonumber(state[1])
    if left then
      left = math.min(capacity, left + math.max(0, now_us - tonumber(state[2])) * cps)
    else
      left = capacity
    end
    if left < 1000000 then
      return {0, i, 'cps', 0}
    end
    tokens[i] = {left - 1000000, math.ceil((cps + buffer) / cps) + 1}
  end
end
for i = 1, n do
  local channels = KEYS[2 * i]
  local limit = tonumber(ARGV[4 + 3 * i - 2])
  -- Expired members are pruned before a limit counts them; a scope without a limit is only listed
  -- (live now: score above now), so it is pruned on one call in sixteen, enough to keep it small.
  if limit > 0 or now_us % 16 == 0 then
    redis.call('ZREMRANGEBYSCORE', channels, '-inf', string.format('%.6f', now))
  end
  if limit > 0 then
    local in_use = redis.call('ZCARD', channels)
    if in_use >= limit then
      return {0, i, 'channels', in_use}
    end
  end
end
local expires = string.format('%.6f', now + ttl)
local scopes = {}
for i = 1, n do
  local channels = KEYS[2 * i]
  redis.call('ZADD', channels, expires, call_id)
  if redis.call('EXPIRETIME', channels) < now + ttl then
    redis.call('EXPIREAT', channels, math.ceil(now + ttl))
  end
  scopes[i] = channels
  if tokens[i] then
    redis.call('HSET', KEYS[1 + 2 * i], 'tokens', string.format('%d', tokens[i][1]),
      'ts', string.format('%d', now_us))
    redis.call('EXPIRE', KEYS[1 + 2 * i], tokens[i][2])
  end
end
redis.call('HSET', KEYS[1], 'scopes', table.concat(scopes, ' '), 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], math.ceil((now + ttl) * 1000))
return {1, 0, 'reserved', 0}
"""

# KEYS: call hash. ARGV: call id. Returns how many channels were freed (0 when already released).
RELEASE_LUA = """
local scopes = redis.call('HGET', KEYS[1], 'scopes')
if not scopes then
  return 0
end
local freed = 0
for channels in string.gmatch(scopes, '%S+') do
  freed = freed + redis.call('ZREM', channels, ARGV[1])
end
redis.call('DEL', KEYS[1])
return freed
"""

# KEYS: call hash. ARGV: call id, new expiry (epoch seconds). Returns 1, or 0 for an unknown call.
EXTEND_LUA = """
local scopes = redis.call('HGET', KEYS[1], 'scopes')
if not scopes then
  return 0
end
local expires = tonumber(ARGV[2])
for channels in string.gmatch(scopes, '%S+') do
  redis.call('ZADD', channels, 'XX', expires, ARGV[1])
  if redis.call('EXPIRETIME', channels) < expires then
    redis.call('EXPIREAT', channels, math.ceil(expires))
  end
end
redis.call('HSET', KEYS[1], 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], math.ceil(expires * 1000))
return 1
"""

# KEYS: call hash, then the channel sets. ARGV: call id, expiry. Puts a known live call back
# whatever the limits: the switch is carrying it.
RESTORE_LUA = """
local expires = tonumber(ARGV[2])
local scopes = {}
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], expires, ARGV[1])
  if redis.call('EXPIRETIME', KEYS[i]) < expires then
    redis.call('EXPIREAT', KEYS[i], math.ceil(expires))
  end
  scopes[i - 1] = KEYS[i]
end
redis.call('HSET', KEYS[1], 'scopes', table.concat(scopes, ' '), 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], math.ceil(expires * 1000))
return 1
"""


@dataclass(frozen=True)
class Scope:
    """One thing whose live calls are counted; a limit of 0 or None means no limit of its own."""

    key: str  # e.g. "customer:12", "route:4", "sipuser:9", "ip:31" — see scope_key()
    channels: int | None = None
    cps: int | None = None
    cps_buffer: int = 0

    # What the reserve script takes for the scope, made once for a scope the caller keeps.
    @cached_property
    def script_keys(self):
        return _channels_key(self.key), _cps_key(self.key)

    @cached_property
    def script_args(self):
        return self.channels or 0, self.cps or 0, self.cps_buffer or 0


@dataclass(frozen=True)
class Reservation:
    allowed: bool
    reason: str = ""  # "cps" or "channels" when refused
    scope: str = ""  # the scope that refused
    in_use: int = 0  # that scope's channels in use when it refused on channels
    existing: bool = False  # the call already held its channels (a repeated reserve)


@dataclass(frozen=True)
class LiveCallRecord:
    """What `live_rebuild` needs of one live call: the shape of a row of the live-call table."""

    call_id: str
    scopes: tuple[str, ...]  # scope keys, as in Scope.key
    expires_at: float  # epoch seconds


@dataclass(frozen=True)
class LiveCall:
    call_id: str
    expires_at: float


def scope_key(kind, ident):
    key = f"{kind}:{ident}"
    if not key.isprintable() or " " in key:
        raise ValueError(f"Scope key must be printable without spaces: {key!r}")
    return key


def _channels_key(scope):
    return f"{PREFIX}:ch:{scope}"


def _cps_key(scope):
    return f"{PREFIX}:cps:{scope}"


def _call_key(call_id):
    return f"{PREFIX}:call:{call_id}"


def _ready_key():
    return f"{PREFIX}:ready"


class _Scripts:
    def __init__(self, client):
        self.client = client
        # register_script runs EVALSHA and reloads the script itself after a Redis restart.
        self.reserve = client.register_script(RESERVE_LUA)
        self.release = client.register_script(RELEASE_LUA)
        self.extend = client.register_script(EXTEND_LUA)
        self.restore = client.register_script(RESTORE_LUA)


@cache
def _scripts_for(url):
    return _Scripts(redis.Redis.from_url(url, decode_responses=True))


def _scripts():
    return _scripts_for(settings.REDIS_URL)


def live_redis():
    return _scripts().client


def live_reserve(*, call_id, scopes, ttl, now=None):
    """Takes one channel (and one CPS token) in every scope for the call, or nothing at all.

    `ttl` is how long the reservation holds without an end (seconds). A repeated reserve of a
    call that holds its channels changes nothing and answers allowed.
    """
    args = [call_id, ttl, "" if now is None else round(now * 1_000_000), len(scopes)]
    keys = [_call_key(call_id)]
    for scope in scopes:
        keys += [_channels_key(scope.key), _cps_key(scope.key)]
        args += [scope.channels or 0, scope.cps or 0, scope.cps_buffer or 0]
    allowed, index, reason, in_use = _scripts().reserve(keys=keys, args=args)
    if allowed:
        return Reservation(allowed=True, existing=reason == "existing")
    return Reservation(allowed=False, reason=reason, scope=scopes[index - 1].key, in_use=in_use)


def live_release(*, call_id):
    """Frees the call's channels; returns how many were freed (0 when already released)."""
    return _scripts().release(keys=[_call_key(call_id)], args=[call_id])


def live_extend(*, call_id, expires_at):
    """Moves a live call's expiry (at answer: answered_at + max_duration + margin)."""
    return bool(_scripts().extend(keys=[_call_key(call_id)], args=[call_id, repr(float(expires_at))]))


def live_rebuild(records, *, now=None, batch=500):
    """Restores the reservations of the given live calls (after a Redis restart); idempotent.

    Records already expired are skipped. Returns how many calls were restored.
    """
    scripts = _scripts()
    now = time.time() if now is None else now
    restored = 0
    pipe = scripts.client.pipeline(transaction=False)
    for record in records:
        if record.expires_at <= now:
            continue
        keys = [_call_key(record.call_id)] + [_channels_key(scope) for scope in record.scopes]
        scripts.restore(keys=keys, args=[record.call_id, repr(float(record.expires_at))], client=pipe)
        restored += 1
        if len(pipe) >= batch:
            pipe.execute()
    pipe.set(_ready_key(), repr(now))
    pipe.execute()
    return restored


def live_state_present():
    """False after Redis lost its data (restart, flush): the caller must `live_rebuild` first."""
    return bool(live_redis().exists(_ready_key()))


def live_mark_present():
    """Marks an empty live state as complete (a fresh install with no live calls)."""
    live_redis().set(_ready_key(), repr(time.time()))


def live_calls(scope, *, now=None):
    """The calls holding a channel of the scope, soonest expiry first."""
    return live_calls_many([scope], now=now)


def live_calls_many(scopes, *, now=None):
    """The calls holding a channel of any of the scopes (each call once, soonest expiry first), in one
    Redis round trip."""
    now = time.time() if now is None else now
    pipe = live_redis().pipeline(transaction=False)
    for scope in scopes:
        pipe.zrangebyscore(_channels_key(scope), f"({now!r}", "+inf", withscores=True)
    calls = {}
    for members in pipe.execute() if scopes else []:
        for call_id, expires in members:
            calls[call_id] = LiveCall(call_id=call_id, expires_at=expires)
    return sorted(calls.values(), key=lambda call: call.expires_at)


def live_channels_in_use(scope, *, now=None):
    now = time.time() if now is None else now
    return live_redis().zcount(_channels_key(scope), f"({now!r}", "+inf")


def live_channels_in_use_many(scopes, *, now=None):
    """Channels in use of many scopes, in their order, in one Redis round trip."""
    now = time.time() if now is None else now
    pipe = live_redis().pipeline(transaction=False)
    for scope in scopes:
        pipe.zcount(_channels_key(scope), f"({now!r}", "+inf")
    return pipe.execute() if scopes else []
# Credit held by live calls, per customer: a hash call id -> micro-units held, a sorted set call id
# -> expiry (the channel's), so a lost call stops holding credit when its channel frees, and their
# running total (so a hold costs O(1) whatever the number of live calls, plus O(1) per expired hold).
# KEYS: held hash, expiry set, total. ARGV: call id, needed (micro), available (micro), expires (epoch s),
# now ('' = Redis). Returns {1, left before this call} or {0, left}; `left` is available minus what
# other live calls hold.
CREDIT_RESERVE_LUA = """
-- With a 4th key (the call's hash): hold only if the call holds its channels (pipelined after reserve).
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 0 then
  return {2, '0'}
end
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('%.6f', now))
for _, id in ipairs(gone) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then
    total = total - tonumber(v)
    redis.call('HDEL', KEYS[1], id)
  end
end
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.6f', now))
end
local mine = redis.call('HGET', KEYS[1], ARGV[1])
local held = total - tonumber(mine or '0')
local left = tonumber(ARGV[3]) - held
if not mine and left < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], string.format('%d', total))
  return {0, string.format('%d', left)}
end
local expires = tonumber(ARGV[4])
if not mine then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  total = total + tonumber(ARGV[2])
end
redis.call('SET', KEYS[3], string.format('%d', total))
redis.call('ZADD', KEYS[2], string.format('%.6f', expires), ARGV[1])
for i = 1, 3 do
  if redis.call('EXPIRETIME', KEYS[i]) < expires then
    redis.call('EXPIREAT', KEYS[i], math.ceil(expires))
  end
end
return {1, string.format('%d', left)}
"""

# Frees one call's hold. KEYS: held hash, expiry set, total. ARGV: call id.
CREDIT_RELEASE_LUA = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if v then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('DECRBY', KEYS[3], v)
  return 1
end
return 0
"""

# The end of a call, once: stores the answer for repeats, queues the end event, frees the call's
# channels and credit — all or nothing. KEYS: end answer, event stream, call hash, held hash,
# expiry set, total. ARGV: call id, answer (JSON), answer ttl, event (JSON).
# Returns {1, ''} for the first end, {0, stored answer} for a repeat.
END_LUA = """
local stored = redis.call('GET', KEYS[1])
if stored then
  return {0, stored}
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
redis.call('XADD', KEYS[2], '*', 'e', ARGV[4])
local scopes = redis.call('HGET', KEYS[3], 'scopes')
if scopes then
  for channels in string.gmatch(scopes, '%S+') do
    redis.call('ZREM', channels, ARGV[1])
  end
  redis.call('DEL', KEYS[3])
end
if KEYS[4] ~= '' then
  local v = redis.call('HGET', KEYS[4], ARGV[1])
  redis.call('ZREM', KEYS[5], ARGV[1])
  if v then
    redis.call('HDEL', KEYS[4], ARGV[1])
    redis.call('DECRBY', KEYS[6], v)
  end
end
return {1, ''}
"""


def _credit_keys(customer_id):
    return f"{PREFIX}:credit:{customer_id}", f"{PREFIX}:creditexp:{customer_id}", f"{PREFIX}:credittotal:{customer_id}"


def events_key():
    return f"{PREFIX}:events"


def _end_key(call_id):
    return f"{PREFIX}:end:{call_id}"


def live_customers_key():
    """The customers with live calls: each authorize that takes a call's channels adds its customer,
    and calls.events.channels_in_use_sync removes the customers left without any."""
    return f"{PREFIX}:customers"


def _info_key(call_id):
    return f"{PREFIX}:info:{call_id}"


@cache
def _more_scripts_for(url):
    client = _scripts_for(url).client
    return (client.register_script(CREDIT_RESERVE_LUA), client.register_script(END_LUA),
            client.register_script(CREDIT_RELEASE_LUA))


MICRO = 1_000_000


def credit_reserve(*, customer_id, call_id, needed, available, expires_at, now=None):
    """Holds `needed` of the customer's credit for the call unless other live calls leave less.

    Returns (held, left): `left` is the credit other live calls leave (before this call's hold).
    Money in micro-units, exact. A repeated hold for the same call changes nothing.
    """
    reserve, _, _ = _more_scripts_for(settings.REDIS_URL)
    keys = list(_credit_keys(customer_id))
    args = [call_id, int(needed * MICRO), int(available * MICRO), repr(float(expires_at)),
            "" if now is None else repr(float(now))]
    held, left = reserve(keys=keys, args=args)
    from decimal import Decimal

    return bool(held), Decimal(int(left)) / MICRO


def _run_scripts(client, calls):
    """Runs [(script, keys, args), ...] in one round trip (connex.redis_batch) and answers their results.

    Plain EVALSHA: a redis-py pipeline holding registered scripts first asks SCRIPT EXISTS, a round
    trip of its own on every call. A NOSCRIPT answer (Redis restarted or flushed its scripts) means
    that script did nothing; the scripts are then loaded and the whole batch runs once more (the
    reserve answers `existing` for a call whose channels it already took, and the credit hold is
    taken once per call).
    """
    for attempt in range(2):
        try:
            return batch(client, *(("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args in calls))
        except redis.exceptions.NoScriptError:
            if attempt:
                raise
            for script, _, _ in calls:
                script.sha = client.script_load(script.script)


# The switch's authorize in one script: RESERVE_LUA for the call's scopes; when it took the channels,
# CREDIT_RESERVE_LUA for the call's minimum charge; then, when the hold was taken too and the credit
# left reaches the caller's threshold (the answer the caller prepared assumed the credit would not
# shorten the call), it stores that answer for repeats, the call's info and its attempt event. A
# repeat of a call whose decision is stored answers that decision. Anything else (refused, or the
# credit limits the call) stores nothing: the caller words the answer and stores it itself.
# KEYS: the reserve's keys (call hash, then per scope channels and CPS), the credit's (held, expiry,
# total), then decision, info, the live customers set, the event stream.
# ARGV: reserve key count, reserve arg count, the reserve's args, the credit's 5 args, then the
# threshold ('always', 'never' or micro-units), decision (JSON), its ttl, info (JSON), its expiry
# (epoch s), the customer id, the attempt event (JSON); then the assumed values and their count (the
# keys last in KEYS).
# Returns {allowed, scope index, reason, in_use, held (1, 0, or 2 when not tried), left (micro),
# outcome (0 stored nothing, 1 stored the prepared answer, 2 a repeat), the stored decision or ''}.
AUTHORIZE_LUA = (
    "local function reserve(KEYS, ARGV)\n" + RESERVE_LUA + "\nend\n"
    "local function credit(KEYS, ARGV)\n" + CREDIT_RESERVE_LUA + "\nend\n" + """
-- First the values the caller assumed (the last KEYS, their values before the last ARGV, which counts
-- them): one changed, and nothing is done; the reply is {-1, what each key holds}.
local nc = tonumber(ARGV[#ARGV])
if nc > 0 then
  local values = redis.call('MGET', unpack(KEYS, #KEYS - nc + 1, #KEYS))
  local current, stale = {-1}, false
  for i = 1, nc do
    current[i + 1] = values[i]
    if values[i] ~= ARGV[#ARGV - nc - 1 + i] then
      stale = true
    end
  end
  if stale then
    return current
  end
end
local nr, na = tonumber(ARGV[1]), tonumber(ARGV[2])
local rkeys, rargs = {}, {}
for i = 1, nr do rkeys[i] = KEYS[i] end
for i = 1, na do rargs[i] = ARGV[2 + i] end
local r = reserve(rkeys, rargs)
if r[1] == 0 then
  return {r[1], r[2], r[3], r[4], 2, '0', 0, ''}
end
local a = 2 + na
local c = credit({KEYS[nr + 1], KEYS[nr + 2], KEYS[nr + 3]},
                 {ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]})
if r[3] == 'existing' then
  local stored = redis.call('GET', KEYS[nr + 4])
  if stored then
    return {r[1], r[2], r[3], r[4], c[1], c[2], 2, stored}
  end
end
local s = a + 6
local threshold = ARGV[s]
if c[1] == 1 and threshold ~= 'never' and (threshold == 'always' or tonumber(c[2]) >= tonumber(threshold)) then
  redis.call('SET', KEYS[nr + 4], ARGV[s + 1], 'EX', ARGV[s + 2], 'NX')
  redis.call('SET', KEYS[nr + 5], ARGV[s + 3], 'EXAT', ARGV[s + 4])
  redis.call('SADD', KEYS[nr + 6], ARGV[s + 5])
  redis.call('XADD', KEYS[nr + 7], '*', 'e', ARGV[s + 6])
  return {r[1], r[2], r[3], r[4], c[1], c[2], 1, ''}
end
return {r[1], r[2], r[3], r[4], c[1], c[2], 0, ''}
""")


@cache
def _authorize_script_for(url):
    return _scripts_for(url).client.register_script(AUTHORIZE_LUA)


class PreparedAnswer(NamedTuple):
    """What live_authorize stores for an allowed call when the credit left reaches `threshold`
    (micro-units; None: whatever is left), all serialized by the caller."""

    threshold: int | None
    decision: bytes
    decision_ttl: int
    info: bytes
    info_expires_at: int
    customer_id: int
    event: bytes


class Authorized(NamedTuple):
    reservation: Reservation | None  # None when the prepared answer was stored (the call holds its channels)
    held: bool | None  # the credit hold; None when the channels were refused
    left_micro: int  # the credit other live calls leave, in micro-units
    stored: bool  # the prepared answer was stored (the call is allowed with it)
    previous: bytes | None  # a repeat: the call's stored decision

    @property
    def left(self):
        from decimal import Decimal

        return Decimal(self.left_micro) / MICRO


_NOT_PREPARED = ("never", "", 0, "", 0, 0, "")


def live_authorize(*, call_id, scopes, ttl, customer_id, needed, available, now, decision_key, prepared=None):
    """live_reserve, then credit_reserve when the channels were taken, then the prepared answer
    stored when both were and the credit is not what limits the call: one script, one round trip.
    A repeat whose decision (at `decision_key`) is stored gets that decision back and takes nothing new.
    Values this request assumed (connex.redis_batch.prefetch_assumed) are checked first: one that
    changed raises redis_batch.Stale, nothing done."""
    script = _authorize_script_for(settings.REDIS_URL)
    keys = [_call_key(call_id)]
    args = [call_id, ttl, round(now * 1_000_000), len(scopes)]
    for scope in scopes:
        keys += scope.script_keys
        args += scope.script_args
    nr, na = len(keys), len(args)
    keys += _credit_keys(customer_id)
    args += [call_id, int(needed * MICRO), int(available * MICRO), repr(float(now + ttl)), repr(float(now))]
    keys += [decision_key, _info_key(call_id), live_customers_key(), events_key()]
    if prepared is None:
        args += _NOT_PREPARED
    else:
        args += ("always" if prepared.threshold is None else prepared.threshold, *prepared[1:])
    checks = redis_batch.assumed()
    keys += checks
    args += [*checks.values(), len(checks)]
    (reply,) = _run_scripts(script.registered_client, [(script, keys, [nr, na, *args])])
    if reply[0] == -1:
        redis_batch.assumed_seen(dict(zip(checks, reply[1:], strict=True)))  # raises Stale
    if checks:
        redis_batch.assumed_confirmed()  # the script found them unchanged
    allowed, index, reason, in_use, held, left, outcome, stored = reply
    if outcome == 1:
        return Authorized(None, True, int(left), True, None)
    if allowed:
        reservation = Reservation(allowed=True, existing=reason == "existing")
    else:
        reservation = Reservation(allowed=False, reason=reason, scope=scopes[index - 1].key, in_use=in_use)
    return Authorized(reservation, None if held == 2 else bool(held), int(left), False,
                      stored if outcome == 2 else None)


def credit_release(*, customer_id, call_id):
    _, _, release = _more_scripts_for(settings.REDIS_URL)
    return release(keys=list(_credit_keys(customer_id)), args=[call_id])


def credit_extend(*, customer_id, call_id, expires_at, pipe=None):
    client = pipe if pipe is not None else live_redis()
    held, expiry, total = _credit_keys(customer_id)
    client.zadd(expiry, {call_id: float(expires_at)}, xx=True)
    for key in (held, expiry, total):
        client.expireat(key, int(expires_at) + 1, gt=True)


def credit_held(customer_id, *, now=None):
    """What the customer's live calls hold (expired holds excluded)."""
    from decimal import Decimal

    now = time.time() if now is None else now
    held, expiry, _ = _credit_keys(customer_id)
    client = live_redis()
    live = set(client.zrangebyscore(expiry, f"({now!r}", "+inf"))
    amounts = client.hgetall(held)
    return sum((Decimal(int(v)) for k, v in amounts.items() if k in live), Decimal(0)) / MICRO


def live_end(*, call_id, customer_id, answer, answer_ttl, event):
    """The first end of a call: (True, None); a repeat: (False, the first end's answer)."""
    _, end, _ = _more_scripts_for(settings.REDIS_URL)
    credit = list(_credit_keys(customer_id)) if customer_id is not None else ["", "", ""]
    first, stored = end(keys=[_end_key(call_id), events_key(), _call_key(call_id), *credit],
                        args=[call_id, answer, answer_ttl, event])
    return bool(first), (stored or None)
