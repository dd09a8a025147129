"""The routing decision: may this call go, and where — with every step written down.

    decision = decide(CallRequest(dialed="123#447911123456", cli="02071234567", source_ip="198.51.100.7"))
    decision.allowed, decision.sip_code, decision.reasons, decision.routes, decision.trace

`decide` reads the routing snapshot and the customer's account from the process (routing.cache),
after one Redis round trip that says whether either changed; a changed account is read again (one
query), and the day's spend is read for every call of a customer with a daily spend limit (one
query). `decide_with` is the same decision on data passed in: no database, no Redis.
Live counters (channels, CPS, reservations) are not the engine's: the switch API adds them around it.

Every check runs even after one has failed, as far as the call can be followed, so a refusal lists
every reason; its SIP code is the first reason's, in the order of the steps below.
"""

import random
import threading
import time
import zoneinfo
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from django.db import connection

from .cache import RateRow, Snapshot, routing_cache, version_keys, versions_read

ZERO = Decimal("0")


class Refusal:
    """Each reason a call is refused for, with the SIP code the switch answers.

    | reason                    | SIP | why this code
    |---------------------------|-----|--------------
    | unknown caller            | 403 | nobody owns this address or SIP user
    | status not active         | 403 | the account may not call
    | verification pending      | 403 | email or mobile not verified yet
    | outside allowed time      | 403 | outside the customer's daily windows
    | balance below debit limit | 402 | Payment Required: a top-up fixes it
    | insufficient credit       | 402 | less than the call's minimum charge (connect fee + MCD)
    | daily spend limit reached | 402 | a top-up does not help, but it is still money
    | no route                  | 404 | none of the customer's routes takes the number
    | CLI restriction           | 403 | the customer has CLI rules and none matches
    | CLI not approved          | 403 | approved CLIs only, and the outgoing CLI is not one
    | no rate                   | 404 | no live revision, or no prefix for the number
    | destination blocked       | 403 | blocked row, above the capped rate, or a refused connect fee
    | route drops calls         | 403 | the route's strategy is "drop"
    | no provider               | 480 | Temporarily Unavailable: not a capacity refusal, so not 503 (upstreams retry 503 elsewhere)
    """

    UNKNOWN_CALLER = ("unknown caller", 403)
    STATUS = ("status not active", 403)
    VERIFICATION = ("verification pending", 403)
    OUTSIDE_HOURS = ("outside allowed time", 403)
    CREDIT = ("balance below debit limit", 402)
    INSUFFICIENT_CREDIT = ("insufficient credit", 402)
    DAILY_SPEND = ("daily spend limit reached", 402)
    NO_ROUTE = ("no route", 404)
    CLI_RESTRICTION = ("CLI restriction", 403)
    CLI_NOT_APPROVED = ("CLI not approved", 403)
    NO_RATE = ("no rate", 404)
    BLOCKED = ("destination blocked", 403)
    DROP = ("route drops calls", 403)
    NO_PROVIDER = ("no provider", 480)


@dataclass(frozen=True)
class CallRequest:
    dialed: str
    cli: str = ""
    pai: str = ""
    source_ip: str = ""
    sip_user: str = ""
    customer_id: int | None = None
    at: datetime | None = None
    switch_ip: str = ""
    direction: str = "termination"


@dataclass(frozen=True)
class CustomerAccount:
    """What admission needs from the customer's own record: cached in process until it changes (any
    change, balance movements included, marks it stale, see routing.signals); the day's spend is read
    for every decision."""

    id: int
    name: str
    status: str
    currency: str
    balance: Decimal
    debit_limit: Decimal
    daily_spend_limit: Decimal | None = None
    daily_spend: Decimal = ZERO
    timezone: str = "UTC"
    windows: tuple = ()  # (weekday or None, start, end) in the customer's zone; empty for always
    verification_pending: tuple = ()  # "email", "mobile"
    approved_clis_only: bool = False
    approved_clis: frozenset = frozenset()  # E.164 numbers, checked only when approved_clis_only


@dataclass(slots=True)
class Step:
    step: str
    ok: bool | None  # None: informational
    text: str
    data: dict = field(default_factory=dict)


@dataclass(slots=True)
class Offer:
    provider_id: int
    provider: str
    gateway_id: int
    gateway: str
    uri: str
    card_id: int
    revision_id: int
    prefix: str
    cost_rate: Decimal
    connect_fee: Decimal


@dataclass
class Decision:
    allowed: bool
    sip_code: int
    reasons: list
    customer_id: int | None = None
    customer: str = ""
    route_id: int | None = None
    dialed: str = ""
    cli: str = ""
    pai: str = ""
    rate: dict | None = None
    max_duration: int = 0
    rtp_mode: str = ""
    strategy: str = ""
    routes: list = field(default_factory=list)
    trace: list = field(default_factory=list)
    did: dict | None = None  # inbound calls: the DID's id, number, channels and CPS (routing.inbound)

    @property
    def reason(self):
        return self.reasons[0] if self.reasons else ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["reason"] = self.reason
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def normalise_number(value: str) -> str:
    """Digits as the panel stores them: no leading + or international 00."""
    value = (value or "").strip()
    if value.startswith("+"):
        return value[1:]
    if value.startswith("00"):
        return value[2:]
    return value


def billed_cap(seconds: int, mcd: int, pulse: int) -> int:
    """The longest call whose billed time fits in `seconds`, on the MCD/pulse grid."""
    if seconds < mcd:
        return 0
    return mcd + (seconds - mcd) // pulse * pulse


class _Trace:
    def __init__(self):
        self.steps, self.reasons = [], []

    def ok(self, step, text, **data):
        self.steps.append(Step(step, True, text, data))

    def info(self, step, text, **data):
        self.steps.append(Step(step, None, text, data))

    def fail(self, step, refusal, detail="", qualifier="", **data):
        """A failed check; `qualifier` goes into the reason itself, `detail` only into the trace."""
        reason, code = refusal
        self.reasons.append((f"{reason} ({qualifier})" if qualifier else reason, code))
        text = ": ".join(x for x in (reason, qualifier or detail) if x)
        if qualifier and detail:
            text += f" — {detail}"
        self.steps.append(Step(step, False, text, data))


def identify(call: CallRequest, snapshot: Snapshot, trace: _Trace) -> int | None:
    if call.customer_id is not None:
        trace.info("customer", f"customer #{call.customer_id} given explicitly")
        return call.customer_id
    if call.sip_user:
        customer_id = snapshot.sip_users.get(call.sip_user)
        if customer_id is not None:
            trace.info("customer", f"SIP user {call.sip_user}")
            return customer_id
    if call.source_ip:
        digits = normalise_number(call.dialed)
        for tech, customer_id, label in snapshot.ip_entries.get(call.source_ip.strip().lower(), ()):
            if digits.startswith(tech):
                trace.info("customer", f"source IP {label}" + (f", tech prefix {tech}" if tech else ""))
                return customer_id
    trace.fail("customer", Refusal.UNKNOWN_CALLER,
               " / ".join(x for x in (call.sip_user and f"SIP user {call.sip_user}",
                                      call.source_ip and f"source IP {call.source_ip}") if x) or "no identity")
    return None


def admission_check(account: CustomerAccount, at: datetime, trace: _Trace):
    """Status, credit floor, daily spend, time window and verification."""
    if account.status != "active":
        trace.fail("status", Refusal.STATUS, qualifier=account.status.replace("_", " ").capitalize())
    else:
        trace.ok("status", "account active")
    if account.balance < -account.debit_limit:
        trace.fail("credit", Refusal.CREDIT, f"balance {account.balance}, debit limit {account.debit_limit}")
    if account.daily_spend_limit is not None:
        if account.daily_spend >= account.daily_spend_limit:
            trace.fail("daily spend", Refusal.DAILY_SPEND, f"{account.daily_spend} of {account.daily_spend_limit}")
        else:
            trace.ok("daily spend", f"spent {account.daily_spend} of {account.daily_spend_limit} today")
    if account.windows:
        from customers.models import window_admits

        local = at.astimezone(zoneinfo.ZoneInfo(account.timezone))
        inside = any(window_admits(day, start, end, local) for day, start, end in account.windows)
        if inside:
            trace.ok("time window", f"{local:%a %H:%M} {account.timezone} inside an allowed window")
        else:
            trace.fail("time window", Refusal.OUTSIDE_HOURS, f"{local:%a %H:%M} {account.timezone}")
    if account.verification_pending:
        trace.fail("verification", Refusal.VERIFICATION, qualifier=", ".join(account.verification_pending))


def approved_cli_check(account: CustomerAccount, cli: str | None, trace: _Trace):
    """The stricter gate: with approved CLIs only, the outgoing CLI must be one of them."""
    if account.approved_clis_only:
        number = cli_e164(cli or "")
        if cli and number in account.approved_clis:
            trace.ok("approved CLIs", f"{number} is approved")
        else:
            trace.fail("approved CLIs", Refusal.CLI_NOT_APPROVED, number or "no CLI")


def cli_e164(cli: str) -> str:
    """The CLI in E.164 by the one normaliser, or "" when it is not a number."""
    from django.core.exceptions import ValidationError

    from connex.phone import phone_e164

    try:
        return phone_e164(cli) if cli else ""
    except ValidationError:
        return ""


def choose_route(routes, digits: str, trace: _Trace):
    for route in routes:
        if not digits.startswith(route.tech_prefix):
            continue
        number = digits[len(route.tech_prefix):].lstrip("#")
        if route.pattern is not None and not route.pattern.search(number):
            trace.info("route", f"route #{route.id} skipped: {number} does not match {route.dial_pattern}")
            continue
        why = [f"tech prefix {route.tech_prefix}" if route.tech_prefix else "no tech prefix",
               f"dial pattern {route.dial_pattern}" if route.dial_pattern else "any number"]
        trace.ok("route", f"route #{route.id} ({', '.join(why)}, priority {route.priority}) → {number}",
                 route=route.id, number=number)
        return route, number
    trace.fail("route", Refusal.NO_ROUTE, f"none of {len(routes)} routes takes {digits}")
    return None, ""


def apply_cli_rules(rules, cli: str, pai: str, number: str, direction: str, trace: _Trace):
    if not rules:
        return cli, pai
    probe = cli if cli and cli.lower() != "anonymous" else pai  # anonymous callers match by PAI
    for position, rule in enumerate(rules, 1):
        if rule.direction and rule.direction != direction:
            continue
        if rule.cli is not None and not rule.cli.search(probe):
            continue
        if rule.pai is not None and not rule.pai.search(pai):
            continue
        if rule.dialed is not None and not rule.dialed.search(number):
            continue
        new_cli, new_pai = cli, pai
        if rule.rewrite_cli:
            new_cli = rule.rewrite_cli if rule.forced or rule.cli is None else rule.cli.sub(rule.rewrite_cli, probe, 1)
        if rule.rewrite_pai:
            new_pai = rule.rewrite_pai if rule.forced or rule.pai is None else rule.pai.sub(rule.rewrite_pai, pai, 1)
        changes = [f"CLI {cli or '—'} → {new_cli}" if new_cli != cli else "",
                   f"PAI {pai or '—'} → {new_pai}" if new_pai != pai else ""]
        trace.ok("CLI rules", f"rule {position} ({rule.label}) matched"
                 + (": " + "; ".join(c for c in changes if c) if any(changes) else ", nothing rewritten"),
                 rule=rule.id)
        return new_cli, new_pai
    trace.fail("CLI rules", Refusal.CLI_RESTRICTION, f"none of {len(rules)} rules matches CLI {cli or '—'}")
    return cli, pai


def _row_text(row: RateRow) -> str:
    return (f"{row.prefix} {row.name} {row.rate}/min, connect {row.connect_fee}, {row.mcd}/{row.pulse}"
            + (f", grace {row.grace}" if row.grace else ""))


def order_offers(candidates, strategy: str, rng: random.Random, rotation: int = 0):
    """Candidates are (row, provider, card_id, revision_id); returns them in the order to try."""

    def lcr_key(c):
        return (c[0].rate, c[0].connect_fee, c[1].tier, c[1].id)

    if strategy == "reverse":
        return sorted(candidates, key=lambda c: (-c[0].rate, c[0].connect_fee, c[1].tier, c[1].id))
    if strategy == "random":
        ordered = sorted(candidates, key=lambda c: c[1].id)
        rng.shuffle(ordered)
        return ordered
    if strategy == "round_robin":
        ordered = sorted(candidates, key=lcr_key)
        shift = rotation % len(ordered) if ordered else 0
        return ordered[shift:] + ordered[:shift]
    if strategy == "weighted":
        ordered = []
        for tier in sorted({c[1].tier for c in candidates}):
            pool = sorted((c for c in candidates if c[1].tier == tier), key=lambda c: c[1].id)
            while pool:
                weights = [max(c[1].weight, 0) for c in pool]
                index = (rng.choices(range(len(pool)), weights=weights)[0] if sum(weights)
                         else 0)
                ordered.append(pool.pop(index))
        return ordered
    return sorted(candidates, key=lcr_key)


# Random and weighted orders draw from this generator unless the caller passes a seeded one.
_shared_rng = random.Random()

STRATEGY_TEXT = {"lcr": "cheapest first", "reverse": "dearest first", "random": "random order",
                 "round_robin": "cheapest first, rotated", "weighted": "tier by tier, weighted random within"}


def provider_offers(snapshot: Snapshot, rows, route, number: str, customer_rate: Decimal | None, currency: str,
                    at: datetime, trace: _Trace, rng: random.Random | None, rotation: int):
    candidates = []
    add = trace.steps.append  # steps appended directly: this loop runs once per provider card
    cap, profit = route.provider_capped_rate, route.profit_assurance and customer_rate is not None
    longest_match = rows.longest_match
    for card_id, card, provider, who in snapshot.route_plan(route, currency).entries:
        if card is None:
            add(Step("providers", None, who, {"card": card_id}))
            continue
        revision_id = card.revision_at(at)
        if revision_id is None:
            add(Step("providers", None, f"{who} dropped: no revision live", {"card": card_id}))
            continue
        row = longest_match(revision_id, number)
        if row is None:
            add(Step("providers", None, f"{who} dropped: no prefix for {number}", {"card": card_id}))
            continue
        rate = row.rate
        if row.blocked:
            add(Step("providers", None, f"{who} dropped: prefix {row.prefix} blocked", {"card": card_id}))
            continue
        if cap is not None and rate > cap:
            add(Step("providers", None, f"{who} dropped: {rate} above the provider cap {cap}", {"card": card_id}))
            continue
        if profit and rate > customer_rate:
            add(Step("providers", None, f"{who} dropped (profit assurance): cost {rate} above the customer's "
                                        f"rate {customer_rate}", {"card": card_id}))
            continue
        add(Step("providers", True, f"{who} kept: {_row_text(row)}", {"card": card_id, "revision": revision_id}))
        candidates.append((row, provider, card_id, revision_id))
    ordered = order_offers(candidates, route.strategy, rng or _shared_rng, rotation)
    # Only the offers the switch is given are built; the rest are counted for the trace.
    offers, total = [], sum(len(c[1].gateways) for c in candidates)
    for row, provider, card_id, revision_id in ordered:
        for gateway in provider.gateways:
            if len(offers) == route.max_providers:
                break
            offers.append(Offer(provider.id, provider.name, gateway.id, gateway.label, gateway.uri(number),
                                card_id, revision_id, row.prefix, row.rate, row.connect_fee))
        if len(offers) == route.max_providers:
            break
    if candidates:
        trace.ok("order", f"{STRATEGY_TEXT.get(route.strategy, route.strategy)}: "
                 + ", ".join(f"{o.provider} via {o.gateway} at {o.cost_rate}" for o in offers)
                 + (f" (first {route.max_providers} of {total})" if total > len(offers) else ""))
    return offers


def decide_with(call: CallRequest, *, snapshot: Snapshot, rows, account: CustomerAccount | None,
                customer_id: int | None = None, rng: random.Random | None = None, rotation: int = 0) -> Decision:
    """The decision on given data: the snapshot, revision rows (an object with longest_match) and the
    account of the identified customer (`customer_id`, from `identify`)."""
    at = call.at or datetime.now(UTC)
    trace = _Trace()
    if customer_id is None:
        customer_id = identify(call, snapshot, trace)
    if customer_id is None or account is None:
        if customer_id is not None:
            trace.fail("customer", Refusal.UNKNOWN_CALLER, f"no customer #{customer_id}")
        return _finish(trace, Decision(False, 0, []))
    decision = Decision(False, 0, [], customer_id=account.id, customer=account.name)
    trace.ok("customer", f"{account.name} (#{account.id}), balance {account.balance} {account.currency}")

    admission_check(account, at, trace)

    digits = normalise_number(call.dialed)
    route, number = choose_route(snapshot.routes.get(account.id, ()), digits, trace)
    cli, pai = normalise_number(call.cli), normalise_number(call.pai)
    if route is None:
        return _finish(trace, decision)
    decision.route_id, decision.dialed = route.id, number
    decision.strategy, decision.rtp_mode = route.strategy, route.rtp_mode

    cli, pai = apply_cli_rules(snapshot.cli_rules.get(account.id, ()), cli, pai, number, call.direction, trace)
    decision.cli, decision.pai = cli, pai
    approved_cli_check(account, cli, trace)

    card = snapshot.cards.get(route.card_id)
    revision_id = card.revision_at(at) if card else None
    row = rows.longest_match(revision_id, number) if revision_id else None
    if revision_id is None:
        trace.fail("rate", Refusal.NO_RATE, f"card {card.name if card else route.card_id} has no revision live")
        return _finish(trace, decision)
    if row is None:
        trace.fail("rate", Refusal.NO_RATE, f"{card.name} has no prefix for {number}")
        return _finish(trace, decision)
    decision.rate = {"card": card.id, "card_name": card.name, "revision": revision_id, "prefix": row.prefix,
                     "name": row.name, "per_min": row.rate, "connect": row.connect_fee, "mcd": row.mcd,
                     "pulse": row.pulse, "grace": row.grace}
    rate_ok = True
    if row.blocked:
        trace.fail("rate", Refusal.BLOCKED, f"prefix {row.prefix} blocked on {card.name}")
        rate_ok = False
    elif route.capped_rate is not None and row.rate > route.capped_rate:
        trace.fail("rate", Refusal.BLOCKED, f"{row.rate}/min above the route's cap {route.capped_rate}")
        rate_ok = False
    elif route.block_connect_cost and row.connect_fee > 0:
        trace.fail("rate", Refusal.BLOCKED, f"connect fee {row.connect_fee} refused by the route")
        rate_ok = False
    else:
        trace.ok("rate", f"{card.name} revision {revision_id}: {_row_text(row)}", revision=revision_id)

    available = account.balance + account.debit_limit
    needed = row.connect_fee + row.rate * row.mcd / 60
    if rate_ok and available >= 0:
        if available < needed:
            trace.fail("credit", Refusal.INSUFFICIENT_CREDIT, f"available {available}, the call needs {needed}")
        else:
            if row.rate > 0:
                covered = int((available - row.connect_fee) / row.rate * 60)
                max_duration = min(route.max_duration, billed_cap(covered, row.mcd, row.pulse))
            else:
                max_duration = route.max_duration
            decision.max_duration = max_duration
            trace.ok("credit", f"available {available} ≥ {needed}; max duration {max_duration} s "
                               f"(route max {route.max_duration} s)")

    if route.strategy == "drop":
        trace.fail("providers", Refusal.DROP, f"route #{route.id} strategy is drop")
        return _finish(trace, decision)
    if rate_ok:
        decision.routes = provider_offers(snapshot, rows, route, number, row.rate, account.currency, at, trace,
                                          rng, rotation)
        if not decision.routes:
            trace.fail("providers", Refusal.NO_PROVIDER, f"no provider takes {number}")
    return _finish(trace, decision)


def _finish(trace: _Trace, decision: Decision) -> Decision:
    decision.trace = trace.steps
    decision.reasons = [reason for reason, _ in trace.reasons]
    decision.allowed = not trace.reasons
    decision.sip_code = 200 if decision.allowed else trace.reasons[0][1]
    if not decision.allowed:
        decision.routes, decision.max_duration = [], 0
    return decision


ACCOUNT_SQL = """
SELECT c.id, c.name, c.status, c.currency, c.balance, c.debit_limit, c.daily_spend_limit, c.timezone,
       ARRAY(SELECT array[w.weekday::text, w.start::text, w."end"::text] FROM customers_allowedwindow w
             WHERE w.customer_id = c.id),
       c.email_verification_required AND NOT EXISTS (
           SELECT 1 FROM contacts_contact k WHERE k.customer_id = c.id AND k.email_verified),
       c.mobile_verification_required AND NOT EXISTS (
           SELECT 1 FROM contacts_contact k WHERE k.customer_id = c.id AND k.mobile_verified),
       c.approved_clis_only,
       CASE WHEN c.approved_clis_only THEN ARRAY(
           SELECT a.number FROM customers_approvedcli a WHERE a.customer_id = c.id
           AND a.approved_at IS NOT NULL AND a.revoked_at IS NULL) ELSE '{}' END
FROM customers_customer c WHERE c.id = %s
"""


# The account query is planned once per database session: planning its subqueries cost PostgreSQL
# more than running them, and every balance movement sends the next decision here. The driver
# prepares it in the protocol (psycopg's prepare=True), not with SQL PREPARE, so a pooler in
# transaction mode (PgBouncer 1.21+ with max_prepared_statements) carries it between its server
# connections; Django's own queries stay unprepared.


def _account_row(customer_id: int):
    connection.ensure_connection()
    session = connection.connection
    if session.prepare_threshold is None:
        # Django turns the driver's preparing off; a threshold no statement reaches lets prepare=True
        # work here while every other statement stays unprepared.
        session.prepare_threshold = 2**31 - 1
    started = time.perf_counter()
    # Django's error classes, and its note that the connection erred, as for its own cursors.
    with connection.wrap_database_errors, psycopg.Cursor(session) as cursor:  # binds on the server
        cursor.execute(ACCOUNT_SQL, [customer_id], prepare=True)
        row = cursor.fetchone()
    if connection.queries_logged:  # counted like Django's own queries (CaptureQueriesContext, DEBUG)
        connection.queries_log.append({"sql": ACCOUNT_SQL.replace("%s", str(int(customer_id))),
                                       "time": f"{time.perf_counter() - started:.3f}"})
    return row


def account_read(customer_id: int) -> CustomerAccount | None:
    """The customer's account for admission in one query, without the day's spend."""
    from datetime import time

    row = _account_row(customer_id)
    if row is None:
        return None
    (cid, name, status, currency, balance, debit_limit, spend_limit, tz, windows, email_pending, mobile_pending,
     approved_only, approved) = row
    return CustomerAccount(
        cid, name, status, currency, balance, debit_limit, spend_limit, ZERO, tz,
        tuple((None if d is None else int(d), time.fromisoformat(s), time.fromisoformat(e)) for d, s, e in windows),
        tuple(kind for kind, pending in (("email", email_pending), ("mobile", mobile_pending)) if pending),
        approved_only, frozenset(approved))


def with_daily_spend(account: CustomerAccount | None, at: datetime) -> CustomerAccount | None:
    """The account with the day's spend, read now: only a customer with a daily spend limit needs it."""
    if account is None or account.daily_spend_limit is None:
        return account
    from connex.registry import registry

    spend = sum((source(account.id, at) for source in registry.daily_spend_sources), ZERO)
    return replace(account, daily_spend=spend)


def account_load(customer_id: int, at: datetime) -> CustomerAccount | None:
    """The customer's account for admission in one query (plus the day's spend when it is limited)."""
    return with_daily_spend(account_read(customer_id), at)


_rotations: dict = {}
_turns = threading.local()  # the round-robin turn this thread's last decision took: (customer id, turn)


def decide_turn_give_back() -> None:
    """This thread's last decision was not used (its request runs again on fresh values): the
    round-robin turn it took goes back, so that the rerun takes the same one."""
    turn = getattr(_turns, "taken", None)
    _turns.taken = None
    if turn is not None and _rotations.get(turn[0]) == turn[1]:
        _rotations[turn[0]] = turn[1] - 1


def decide_version_keys(call: CallRequest) -> list[str]:
    """The version keys decide(call) reads first, as the snapshot held now identifies the caller: what
    a request may prefetch (connex.redis_batch.prefetch) with other reads. A guess that turns out
    wrong (the snapshot moved) costs decide one read of its own."""
    from .inbound import is_inbound

    snapshot = routing_cache.snapshot
    customer_id = None
    if snapshot is not None and not is_inbound(call, snapshot):
        customer_id = identify(call, snapshot, _Trace())
    return version_keys(customer_id)


def decide(call: CallRequest, *, rng: random.Random | None = None, rotation: int | None = None) -> Decision:
    """The decision for a call, reading the routing snapshot and the customer's account.

    One Redis round trip checks both: the caller is identified on the snapshot held, and the versions
    of that snapshot and of the caller's account are read together; only what moved is loaded again."""
    from .inbound import decide_if_inbound, is_inbound

    _turns.taken = None
    if call.at is None:
        call = CallRequest(**{**call.__dict__, "at": datetime.now(UTC)})
    snapshot = routing_cache.snapshot
    customer_id, inbound, identified = None, False, _Trace()
    if snapshot is not None:
        inbound = is_inbound(call, snapshot)
        customer_id = None if inbound else identify(call, snapshot, identified)
    versions = versions_read(customer_id)
    current = routing_cache.current(versions)
    if current is not snapshot:
        snapshot, identified = current, _Trace()
        inbound = is_inbound(call, snapshot)
        known = customer_id
        customer_id = None if inbound else identify(call, snapshot, identified)
        if customer_id is not None and customer_id != known:
            versions = versions_read(customer_id)
    # Inbound: a call to one of our numbers is identified by the number, not the source (routing.inbound).
    if inbound:
        decision = decide_if_inbound(call, snapshot=snapshot, rows=routing_cache.rows)
        if decision is not None:
            return decision
        customer_id = identify(call, snapshot, identified)
        if customer_id is not None:
            versions = versions_read(customer_id)
    if customer_id is None:
        return _finish(identified, Decision(False, 0, []))
    account = with_daily_spend(routing_cache.account(customer_id, versions, account_read), call.at)
    if rotation is None:
        # Round robin turns per customer in this process; the switch API may pass a shared counter.
        _rotations[customer_id] = rotation = _rotations.get(customer_id, -1) + 1
        _turns.taken = (customer_id, rotation)
    decision = decide_with(call, snapshot=snapshot, rows=routing_cache.rows, account=account,
                           customer_id=customer_id, rng=rng, rotation=rotation)
    decision.trace[:0] = identified.steps
    return decision


def account_from_customer(customer, at: datetime) -> CustomerAccount:
    """The account of a Customer instance as it stands in memory (its related rows are read)."""
    spend = ZERO
    if customer.daily_spend_limit is not None:
        from customers.services import customer_daily_spend

        spend = customer_daily_spend(customer, at)
    pending = tuple(customer.verification_pending())
    approved = frozenset(customer.approved_clis.filter(approved_at__isnull=False, revoked_at__isnull=True)
                         .values_list("number", flat=True)) if customer.approved_clis_only else frozenset()
    return CustomerAccount(customer.pk, customer.name, customer.status, customer.currency, customer.balance,
                           customer.debit_limit, customer.daily_spend_limit, spend, customer.timezone,
                           tuple((w.weekday, w.start, w.end) for w in customer.allowed_windows.all()), pending,
                           customer.approved_clis_only, approved)


def admission_reasons(account: CustomerAccount, at: datetime, cli: str | None = None) -> list[str]:
    """Only the account checks (no route, no rate): what `customers.services.call_admission` answers."""
    trace = _Trace()
    admission_check(account, at, trace)
    approved_cli_check(account, cli, trace)
    return [reason for reason, _ in trace.reasons]
