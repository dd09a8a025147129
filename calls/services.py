import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import redis
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from connex import redis_batch
from connex.redis_batch import batch
from rates.rating import billed_seconds, call_charge
from routing.cache import routing_cache
from routing.engine import CallRequest, billed_cap, decide

from . import live
from .limits import customer_limits
from .models import CallAttempt, CallOptions, LiveCall, Switch

logger = logging.getLogger(__name__)

ZERO = Decimal("0")


@transaction.atomic
def call_simulate(*, dialed: str, cli: str = "", pai: str = "", customer_id: int | None = None,
                  source_ip: str = "", sip_user: str = "", switch_ip: str = "", user=None,
                  at: datetime | None = None) -> tuple[CallAttempt, object]:
    """A dry authorize: the engine's decision, stored as a simulated attempt. Nothing is reserved."""
    at = at or datetime.now(UTC)
    decision = decide(CallRequest(dialed=dialed, cli=cli, pai=pai, customer_id=customer_id, source_ip=source_ip,
                                  sip_user=sip_user, switch_ip=switch_ip, at=at))
    data = decision.as_dict()
    trace = data.pop("trace")
    attempt = CallAttempt.objects.create(
        customer_id=decision.customer_id, at=at, dialed=dialed, cli=cli, pai=pai, source_ip=source_ip,
        sip_user=sip_user, switch_ip=switch_ip, allowed=decision.allowed, sip_code=decision.sip_code,
        reasons=decision.reasons, result=data, trace=trace, simulated=True, requested_by=user)
    return attempt, decision


def call_attempt_list(*, customer, limit: int = 50):
    return CallAttempt.objects.filter(customer=customer).order_by("-at", "-pk")[:limit]


# The switch's call-control API --------------------------------------------------------------------
#
# authorize: the engine's decision, then the live limits (one Redis script for every scope's
# channels and CPS), then the credit hold (one more script); answer and end move and free them. The
# API never waits for PostgreSQL beyond the engine's one account read: attempts, live-call records
# and CDRs go to a Redis stream that calls.events drains each second in batches.

DECISION_TTL = 300  # a repeated authorize (retransmission) within this answers the stored decision
END_ANSWER_TTL = 86400  # a repeated end within this answers the first end's CDR


@dataclass(frozen=True)
class _Options:
    burst_percent: int
    unanswered_expiry: int
    end_margin: int
    loaded: float


_options: _Options | None = None


def _call_options() -> _Options:
    """Call options, read at most every few seconds by the hot path."""
    global _options
    now = time.monotonic()
    if _options is None or now - _options.loaded > 5:
        row = CallOptions.get()
        _options = _Options(row.cps_burst_percent, row.unanswered_expiry, row.end_margin, now)
    return _options


def _decision_key(call_id):
    return f"{live.PREFIX}:decision:{call_id}"


def _refusal(sip_code, reasons, step=""):
    return {"allowed": False, "sip_code": sip_code, "reason": reasons[0], "reasons": reasons,
            **({"step": step} if step else {})}


# What json.dumps(value, separators=(",", ":"), default=str) wrote, in UTF-8, at a tenth of the cost:
# datetimes and dataclasses still go through str(), non-string keys become strings.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


_EVENT_OPTIONS = _ORJSON_OPTIONS & ~orjson.OPT_PASSTHROUGH_DATACLASS


def _dumps(value) -> bytes:
    return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS)


def _scopes(limits, decision, request, burst_percent):
    """The scopes a call counts against, and its route's max duration. Kept with the customer's
    limits (calls.limits), so that the calls of a route and entry reuse one list of scopes."""
    route = limits.routes.get(decision.route_id)
    entry = limits.entry_for(sip_user=request.sip_user, source_ip=request.source_ip, dialed=request.dialed)
    did = getattr(decision, "did", None)
    if not (did and (did.get("channels") or did.get("cps"))):
        did = None
    memo_key = (decision.route_id, entry and (entry[0], entry[1].ident),
                did and (did["id"], did.get("channels"), did.get("cps")), burst_percent)
    found = limits.memo.get(memo_key)
    if found is not None:
        return found

    def scope(kind, ident, channels, cps):
        return live.Scope(live.scope_key(kind, ident), channels=channels or None, cps=cps or None,
                          cps_buffer=math.ceil((cps or 0) * burst_percent / 100))

    scopes = [scope("customer", limits.customer_id, limits.channels, limits.cps)]
    if route is not None:
        scopes.append(scope("route", route[0].ident, route[0].channels, route[0].cps))
    if entry is not None:
        kind, limit = entry
        scopes.append(scope(kind, limit.ident, limit.channels, limit.cps))
    if did is not None:
        # An inbound call to a number with limits of its own also counts against the number.
        scopes.append(scope("did", did["id"], did.get("channels"), did.get("cps")))
    found = limits.memo[memo_key] = (scopes, route[1] if route is not None else None,
                                     [s.key for s in scopes])
    return found


SCOPE_NAMES = {"customer": "customer", "route": "ingress route", "sipuser": "SIP user", "ip": "IP entry",
               "did": "DID"}


def _credit_threshold(cap, per_min, connect, mcd, pulse):
    """The credit left (micro-units) from which a call's max duration is max(cap, 1) whatever the
    credit: None when the credit never shortens it (no per-minute rate), False when not worked out."""
    if per_min <= 0:
        return None
    if pulse <= 0:
        return False
    seconds = max(mcd + -(-max(cap - mcd, 0) // pulse) * pulse, 0)  # the fewest covered seconds billed_cap lets reach cap
    if billed_cap(seconds, mcd, pulse) < cap:
        return False
    # One second more, so that the rounding of (left - connect) / per_min * 60 can never fall short of it.
    return math.ceil((connect + per_min * (seconds + 1) / 60) * live.MICRO)


def call_authorize(*, call_id: str, dialed: str, cli: str = "", pai: str = "", source_ip: str = "",
                   sip_user: str = "", switch_ip: str = "") -> dict:
    """May the call go, and where: the switch's answer (HTTP 200 for both verdicts).

    An allowed call's answer is prepared before the reservation, with the max duration it has when
    the credit does not shorten it; the reservation's script stores it (decision, live info, attempt
    event) when the channels and the credit hold were taken and enough credit is left, so the common
    case takes one round trip after the read-ahead. Otherwise the answer is worded here, with the
    credit the script found, and stored in one more.
    """
    client = live.live_redis()
    options = _call_options()
    now = time.time()
    at = datetime.fromtimestamp(now, UTC)
    request = CallRequest(dialed=dialed, cli=cli, pai=pai, source_ip=source_ip, sip_user=sip_user,
                          switch_ip=switch_ip, at=at)
    decision = decide(request)
    answer, info, scopes, held = None, None, None, ZERO
    if not decision.allowed:
        answer = _refusal(decision.sip_code, decision.reasons)
    else:
        limits = customer_limits(decision.customer_id)
        if limits is None or limits.channels == 0:
            answer = _refusal(503, ["channel limit reached (customer has no channels)"], "channels")
    if answer is None:
        scopes, route_max, scope_keys = _scopes(limits, decision, request, options.burst_percent)
        expires = now + options.unanswered_expiry
        rate = decision.rate
        per_min, connect = Decimal(rate["per_min"]), Decimal(rate["connect"])
        mcd, pulse = int(rate["mcd"]), int(rate["pulse"])
        held = connect + per_min * mcd / 60

        def allowed(max_duration):
            routes = [{"provider": o.provider_id, "gateway": o.gateway_id, "uri": o.uri,
                       "cost_rate": str(o.cost_rate)} for o in decision.routes]
            answer = {"allowed": True, "call_id": call_id, "routes": routes, "dialed": decision.dialed,
                      "cli": decision.cli, "pai": decision.pai, "max_duration": max_duration,
                      "rate": {"prefix": rate["prefix"], "per_min": str(per_min), "connect": str(connect),
                               "mcd": mcd, "pulse": pulse}}
            info = {"call_id": call_id, "customer": decision.customer_id, "customer_name": decision.customer,
                    "route": decision.route_id, "started": now, "dialed": dialed, "number": decision.dialed,
                    "cli": decision.cli or cli, "switch_ip": switch_ip, "max_duration": max_duration,
                    "expires": expires, "held": str(held), "scopes": scope_keys,
                    "rate": {k: str(v) for k, v in rate.items()},
                    "offers": {str(o.gateway_id): [o.provider_id, o.provider, o.revision_id, str(o.cost_rate),
                                                   o.gateway] for o in decision.routes}}
            return answer, info

        cap = decision.max_duration if route_max is None else min(decision.max_duration, route_max)
        threshold = _credit_threshold(cap, per_min, connect, mcd, pulse)
        prepared = None
        if threshold is not False:
            answer, info = allowed(max(cap, 1))
            prepared = live.PreparedAnswer(
                threshold, _dumps(answer), DECISION_TTL, _dumps(info), int(expires) + END_ANSWER_TTL,
                decision.customer_id, _dumps_event(_attempt(call_id, now, decision, dialed, cli, pai, source_ip,
                                                            sip_user, switch_ip, answer, info)))
        # Channels and CPS of every scope, the credit hold and (when they hold) the answer, in one round trip.
        result = live.live_authorize(
            call_id=call_id, scopes=scopes, ttl=options.unanswered_expiry, customer_id=decision.customer_id,
            needed=held, available=limits.available, now=now, decision_key=_decision_key(call_id),
            prepared=prepared)
        if result.previous is not None:
            # A repeat (retransmission, resend after a challenge): the first decision, nothing taken.
            return json.loads(result.previous)
        if result.stored:
            return answer
        reservation, ok, left = result.reservation, result.held, result.left
        answer, info = None, None
        if not reservation.allowed:
            kind = reservation.scope.split(":", 1)[0]
            if reservation.reason == "cps":
                answer = _refusal(503, [f"CPS limit reached ({SCOPE_NAMES.get(kind, kind)})"], "cps")
            else:
                answer = _refusal(503, [f"channel limit reached ({SCOPE_NAMES.get(kind, kind)}, "
                                        f"{reservation.in_use} in use)"], "channels")
        elif not ok:
            live.live_release(call_id=call_id)
            answer = _refusal(402, [f"insufficient credit (available {left} with live calls, "
                                    f"the call needs {held})"], "credit")
        else:
            max_duration = decision.max_duration
            if per_min > 0:
                covered = int((left - connect) / per_min * 60)
                max_duration = min(max_duration, billed_cap(covered, mcd, pulse))
            if route_max is not None:
                max_duration = min(max_duration, route_max)
            answer, info = allowed(max(max_duration, 1))
    # A refusal decided on values this request assumed is stored only once they are confirmed (the
    # reservation's script confirmed them when it ran).
    redis_batch.assumptions_confirm(client)
    attempt = _attempt(call_id, now, decision, dialed, cli, pai, source_ip, sip_user, switch_ip, answer, info)
    commands = [("SET", _decision_key(call_id), _dumps(answer), "EX", DECISION_TTL, "NX")]
    if info is not None:
        commands += [("SET", live._info_key(call_id), _dumps(info), "EXAT", int(expires) + END_ANSWER_TTL),
                     ("SADD", live.live_customers_key(), decision.customer_id)]
    commands.append(("XADD", live.events_key(), "*", "e", _dumps_event(attempt)))
    batch(client, *commands)
    return answer


def _attempt(call_id, now, decision, dialed, cli, pai, source_ip, sip_user, switch_ip, answer, info):
    """The authorize's event: the attempt as the Latest Calls tab shows it, and the live call's info.
    Its trace is the engine's steps, which _dumps_event writes as the tab reads them."""
    return {"kind": "authorize", "call_id": call_id, "at": now, "customer": decision.customer_id,
            "dialed": dialed, "cli": cli, "pai": pai, "source_ip": source_ip, "sip_user": sip_user,
            "switch_ip": switch_ip, "allowed": answer["allowed"],
            "sip_code": 200 if answer["allowed"] else answer["sip_code"],
            "reasons": answer.get("reasons", []), "result": answer, "trace": decision.trace, "live": info}


def _dumps_event(event) -> bytes:
    """_dumps, with dataclasses written as objects of their fields: the trace's steps (routing.engine.Step)
    as {"step", "ok", "text", "data"}, without a dict made for each first."""
    return orjson.dumps(event, default=str, option=_EVENT_OPTIONS)


def _info(call_id):
    raw = live.live_redis().get(live._info_key(call_id))
    if raw is not None:
        return json.loads(raw)
    row = LiveCall.objects.filter(call_id=call_id).first()  # Redis let it expire, or lost it
    return row.info if row is not None else None


def call_answer(*, call_id: str, h_entry=None, h_id=None, gateway: str = "", answered_at: float | None = None):
    """The call was answered: its channels and credit hold until max duration plus the margin."""
    info = _info(call_id)
    if info is None:
        return {"call_id": call_id, "status": "unknown"}
    if info.get("answered"):
        return {"call_id": call_id, "status": "answered"}
    now = answered_at or time.time()
    expires = now + info["max_duration"] + _call_options().end_margin
    info.update(answered=now, expires=expires, h_entry=h_entry, h_id=h_id, gateway=str(gateway or ""))
    live.live_extend(call_id=call_id, expires_at=expires)
    pipe = live.live_redis().pipeline(transaction=False)
    live.credit_extend(customer_id=info["customer"], call_id=call_id, expires_at=expires, pipe=pipe)
    pipe.set(live._info_key(call_id), _dumps(info), exat=int(expires) + END_ANSWER_TTL)
    pipe.xadd(live.events_key(), {"e": _dumps({"kind": "answer", "call_id": call_id, "answered": now,
                                                "expires": expires, "info": info})})
    pipe.execute()
    return {"call_id": call_id, "status": "answered"}


def _cost(info, gateway, number, duration, answered):
    offer = info.get("offers", {}).get(str(gateway or "")) or next(iter(info.get("offers", {}).values()), None)
    if offer is None:
        return None, ZERO
    provider_id, _, revision_id, cost_rate, _ = offer
    row = routing_cache.rows.longest_match(revision_id, number) if revision_id else None
    mcd, pulse, grace, connect = (row.mcd, row.pulse, row.grace, row.connect_fee) if row else (0, 1, 0, ZERO)
    billed = billed_seconds(duration=duration, answered=answered, mcd=mcd, pulse=pulse, grace=grace)
    return provider_id, call_charge(billed=billed, rate=Decimal(cost_rate), connect_fee=connect, precision=6)


def _iso(epoch):
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def call_end(*, call_id: str, duration: int, sip_code: int, gateway: str = "", pdd_ms: int = 0,
             ended_at: datetime | None = None, hangup: str = "", reason: str = "") -> dict:
    """The call ended: frees its channels and credit and queues its CDR, once. A repeat answers the
    first end's CDR; an end for a call never authorized is recorded, flagged, and answered."""
    stored = live.live_redis().get(live._end_key(call_id))
    if stored is not None:
        return json.loads(stored)
    info = _info(call_id)
    end = ended_at.timestamp() if ended_at else time.time()
    if info is None:
        answer = {"call_id": call_id, "status": "unknown", "flagged": True}
        event = {"kind": "orphan", "call_id": call_id, "at": end, "duration": duration, "sip_code": sip_code,
                 "gateway": str(gateway or ""), "hangup": hangup, "reason": reason}
        first, previous = live.live_end(call_id=call_id, customer_id=None, answer=_dumps(answer),
                                        answer_ttl=END_ANSWER_TTL, event=_dumps(event))
        return answer if first else json.loads(previous)
    duration = max(0, int(duration))
    started = float(info["started"])
    end = max(end, started + duration)
    answered = info.get("answered") if duration > 0 else None
    if duration > 0 and not answered:
        answered = end - duration  # the answer report was lost: the end suffices
    if answered:
        answered = max(started, min(float(answered), end))
    rate = info["rate"]
    billed = billed_seconds(duration=duration, answered=bool(answered), mcd=int(rate["mcd"]),
                            pulse=int(rate["pulse"]), grace=int(rate.get("grace") or 0))
    charge = call_charge(billed=billed, rate=Decimal(rate["per_min"]), connect_fee=Decimal(rate["connect"]),
                         precision=6)
    provider_id, cost = _cost(info, gateway or info.get("gateway"), info["number"], duration, bool(answered))
    record = {"call_id": call_id, "customer_id": info["customer"], "start_time": _iso(started),
              "answer_time": _iso(answered) if answered else None, "end_time": _iso(end),
              "duration": duration, "cli": info.get("cli", "")[:32], "dialed_number": info["dialed"].lstrip("+"),
              "destination": "", "sip_code": sip_code, "pdd_ms": max(0, int(pdd_ms or 0)), "cost": str(cost)}
    answer = {"call_id": call_id, "status": "ended", "customer": info["customer"], "start_time": record["start_time"],
              "answer_time": record["answer_time"], "end_time": record["end_time"], "duration": duration,
              "billed_duration": billed, "charge": str(charge), "sip_code": sip_code,
              "gateway": str(gateway or info.get("gateway") or ""), "provider": provider_id}
    event = {"kind": "end", "call_id": call_id, "record": record}
    first, previous = live.live_end(call_id=call_id, customer_id=info["customer"], answer=_dumps(answer),
                                    answer_ttl=END_ANSWER_TTL, event=_dumps(event))
    return answer if first else json.loads(previous)


def live_call_list(*, customer_id: int | None = None, now: float | None = None) -> list[dict]:
    """The live calls of a customer (or of every customer), oldest first, as Dialogs shows them."""
    now = time.time() if now is None else now
    if customer_id is not None:
        calls = live.live_calls(live.scope_key("customer", customer_id), now=now)
    else:
        customers = live.live_redis().smembers(live.live_customers_key())
        calls = live.live_calls_many([live.scope_key("customer", c) for c in customers], now=now)
    if not calls:
        return []
    raws = live.live_redis().mget([live._info_key(call.call_id) for call in calls])
    rows = []
    for call, raw in zip(calls, raws, strict=True):
        if raw is None:
            continue
        info = json.loads(raw)
        answered = info.get("answered")
        rows.append({
            "call_id": call.call_id, "customer": info["customer"], "customer_name": info.get("customer_name", ""),
            "cli": info.get("cli", ""), "dialed": info["dialed"], "route": info.get("route"),
            "gateway": (info.get("offers", {}).get(str(info.get("gateway") or "")) or [None] * 5)[4]
            or info.get("gateway", ""),
            "switch_ip": info.get("switch_ip", ""),
            "started": datetime.fromtimestamp(info["started"], UTC),
            "answered": datetime.fromtimestamp(answered, UTC) if answered else None,
            "duration": int(now - answered) if answered else 0, "expires": datetime.fromtimestamp(call.expires_at, UTC),
            "can_end": info.get("h_entry") is not None})
    rows.sort(key=lambda row: row["started"])
    return rows


def live_channels(customer_id: int) -> int | None:
    """The channels the customer's live calls hold now; None when Redis cannot be read."""
    try:
        return live.live_channels_in_use(live.scope_key("customer", customer_id))
    except redis.RedisError:
        logger.warning("live channels of customer %s unavailable", customer_id, exc_info=True)
        return None


def live_state_restore(*, now: float | None = None) -> int:
    """Puts the live calls recorded in PostgreSQL back into Redis (after a restart): channels,
    credit holds and what answer and end need. Idempotent. Returns how many calls were restored."""
    now = time.time() if now is None else now
    rows = list(LiveCall.objects.filter(expires_at__gt=datetime.fromtimestamp(now, UTC)))
    client = live.live_redis()
    if rows:  # an end already taken but not yet written must not bring its call back
        ended = client.mget([live._end_key(row.call_id) for row in rows])
        rows = [row for row, done in zip(rows, ended, strict=True) if done is None]
    records = [live.LiveCallRecord(row.call_id, tuple(row.scopes), row.expires_at.timestamp()) for row in rows]
    pipe = client.pipeline(transaction=False)
    totals = {}
    for row in rows:
        expires = row.expires_at.timestamp()
        pipe.set(live._info_key(row.call_id), _dumps(row.info), exat=int(expires) + END_ANSWER_TTL, nx=True)
        pipe.sadd(live.live_customers_key(), row.customer_id)
        held, expiry, total = live._credit_keys(row.customer_id)
        pipe.hset(held, row.call_id, int(row.reserved * live.MICRO))
        pipe.zadd(expiry, {row.call_id: expires})
        totals[total] = totals.get(total, 0) + int(row.reserved * live.MICRO)
        for key in (held, expiry, total):
            pipe.expireat(key, int(expires) + 1)
    pipe.execute()
    # The running totals are the sums of the holds just written (a rebuild replaces, never adds).
    for total, amount in totals.items():
        pipe.set(total, amount, keepttl=False)
        pipe.expire(total, END_ANSWER_TTL)
    pipe.execute()
    # Last: live_rebuild marks the state present, so nothing is counted as restored before it is.
    return live.live_rebuild(records, now=now)


def call_attempts_purge(*, now: datetime | None = None) -> int:
    """Deletes attempts older than the retention, and live-call records long past their expiry."""
    now = now or datetime.now(UTC)
    days = CallOptions.get().attempt_retention_days
    deleted, _ = CallAttempt.objects.filter(at__lt=now - timedelta(days=days)).delete()
    LiveCall.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted


class SwitchUnavailable(Exception):
    """The call cannot be ended through its switch (no switch known, no dialog handle, RPC failed)."""


def switch_rpc(*, rpc_url: str, method: str, params: list, timeout: float = 3.0):
    """JSON-RPC 2.0 over HTTP, as Kamailio's jsonrpcs module answers it; returns `result`."""
    import urllib.error
    import urllib.request

    payload = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
    request = urllib.request.Request(rpc_url, data=payload, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SwitchUnavailable(f"The switch did not answer: {exc}.")
    if "error" in body:
        error = body["error"]
        raise SwitchUnavailable(f"The switch refused: {error.get('message', error) if isinstance(error, dict) else error}.")
    return body.get("result")


def call_hangup(*, call_id: str, user=None) -> None:
    """Asks the call's switch to end it (Kamailio dlg.end_dlg: BYE both ways); the switch's end
    report then closes the call like any other end."""
    from .models import Switch

    info = _info(call_id)
    if info is None:
        raise SwitchUnavailable("This call is no longer live.")
    if info.get("h_entry") is None or info.get("h_id") is None:
        raise SwitchUnavailable("The switch has not reported this call answered yet, so it cannot be ended here.")
    switch = Switch.objects.filter(address=info.get("switch_ip") or None).first()
    if switch is None:
        if Switch.objects.count() != 1:
            raise SwitchUnavailable(f"No switch with address {info.get('switch_ip') or '(none)'} in "
                                    "Settings → Switches.")
        switch = Switch.objects.get()
    switch_rpc(rpc_url=switch.rpc_url, method="dlg.end_dlg", params=[int(info["h_entry"]), int(info["h_id"])])


@transaction.atomic
def switch_save(*, switch: Switch) -> Switch:
    """Validate and save a switch: a name and an address no other switch has."""
    switch.name = (switch.name or "").strip()
    switch.full_clean()
    try:
        with transaction.atomic():
            switch.save()
    except IntegrityError:  # another save took the name or address since full_clean read them
        raise ValidationError({"address": "Another switch already has this name or address."}) from None
    return switch


@transaction.atomic
def switch_delete(*, switch: Switch) -> None:
    try:
        with transaction.atomic():
            switch.delete()
    except ProtectedError:
        raise ValidationError("Other records still refer to this switch.") from None
