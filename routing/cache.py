"""The routing snapshot: live routes, cards, revisions, providers, gateways, CLI rules and caller
identities, held in process and rebuilt when anything in it changes; and the customers' accounts
(status, balance, limits, windows, verification, approved CLIs), held per customer likewise.

Every change to the snapshot's tables gives one version key in Redis a new random token, and every
change to a customer's account gives that customer's key one (at once and again on commit, so a
reader that loaded before the commit loads once more). A decision reads the snapshot's and its
caller's versions in one Redis round trip (MGET) and reloads only what moved; a reader that finds a
key missing sets a token itself, so a Redis that lost its keys cannot match a version held from
before. Revisions are immutable, so the prefix → row map of a revision is loaded once, on first
use, and kept whatever the version; a deck that goes live later needs no event: the snapshot knows
every revision's live-from time and picks by the call's time.
"""

import logging
import re
import secrets
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import redis
from django.conf import settings
from django.db import connection, transaction

from connex.redis_batch import MISSING, batch, prefetched

logger = logging.getLogger(__name__)

VERSION_KEY = "connex:routing:version"
ACCOUNTS_KEY = "connex:routing:accounts"  # a new token: every customer's account may have changed
ACCOUNT_KEY = "connex:routing:account:"  # + customer id: a new token when that account changed
MAX_PREFIX = 20  # longest prefix a number is matched on (rates.selectors.number_prefixes)
# Without Redis the snapshot is trusted this long (seconds) before it is rebuilt anyway; accounts
# are then read for every decision.
FALLBACK_TTL = 1.0
# A cached account is read again after this long (seconds) even when its version has not moved: a
# Redis restored from an older dump could bring back a version already seen.
ACCOUNT_MAX_AGE = 60.0


class RateRow(NamedTuple):
    """One rate row as a decision reads it (a tuple: built for every card a call is priced on)."""

    prefix: str
    name: str
    rate: Decimal
    connect_fee: Decimal
    mcd: int
    pulse: int
    grace: int
    blocked: bool


@dataclass(frozen=True)
class Card:
    id: int
    name: str
    kind: str
    currency: str
    # (live_from, revision_id), oldest first; the revision live at t is the last with live_from <= t.
    revisions: tuple = ()
    live_froms: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "live_froms", tuple(live_from for live_from, _ in self.revisions))

    def revision_at(self, at: datetime) -> int | None:
        index = bisect_right(self.live_froms, at)
        return self.revisions[index - 1][1] if index else None


@dataclass(frozen=True)
class Route:
    id: int
    customer_id: int
    card_id: int
    tech_prefix: str
    dial_pattern: str
    pattern: object  # compiled dial pattern, None for the catch-all
    priority: int
    max_duration: int
    capped_rate: Decimal | None
    block_connect_cost: bool
    strategy: str
    lock_cards: frozenset
    exclude_cards: frozenset
    provider_capped_rate: Decimal | None
    profit_assurance: bool
    rtp_mode: str
    max_providers: int


@dataclass(frozen=True)
class Gateway:
    id: int
    host: str
    port: int
    transport: str
    tech_prefix: str
    weight: int

    def uri(self, number: str) -> str:
        suffix = "" if self.transport == "udp" else f";transport={self.transport}"
        return f"sip:{self.tech_prefix}{number}@{self.host}:{self.port}{suffix}"

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    active: bool
    currency: str
    tier: int
    weight: int
    gateways: tuple = ()


@dataclass(frozen=True)
class CliRule:
    id: int
    position: int
    cli: object
    pai: object
    dialed: object
    direction: str
    rewrite_cli: str
    rewrite_pai: str
    forced: bool
    label: str


@dataclass
class Snapshot:
    version: str | None
    routes: dict = field(default_factory=dict)  # customer_id -> [Route] in matching order
    cards: dict = field(default_factory=dict)  # card_id -> Card
    providers: dict = field(default_factory=dict)  # provider_id -> Provider
    provider_cards: tuple = ()  # (card_id, provider_id) for every linked buy card
    cli_rules: dict = field(default_factory=dict)  # customer_id -> [CliRule] in order
    ip_entries: dict = field(default_factory=dict)  # address -> [(tech_prefix, customer_id, label)]
    sip_users: dict = field(default_factory=dict)  # username -> customer_id
    loaded_at: float = 0.0
    # (route id, currency) -> RoutePlan, worked out on first use; a new snapshot starts empty.
    plans: dict = field(default_factory=dict, repr=False)

    def route_plan(self, route: Route, currency: str) -> "RoutePlan":
        plan = self.plans.get((route.id, currency))
        if plan is None:
            plan = self.plans[(route.id, currency)] = route_plan(self, route, currency)
        return plan


@dataclass(frozen=True)
class RoutePlan:
    """What a route's provider choice depends on that no call changes: which provider cards it may
    use (lock and exclude lists, provider status, gateways, currency) and why the others are not.

    `entries` follow the provider cards' order: (card_id, None, None, text) for a card dropped
    with `text`, (card_id, Card, Provider, label) for a candidate."""

    entries: tuple


def route_plan(snapshot: "Snapshot", route: Route, currency: str) -> RoutePlan:
    entries = []
    for card_id, provider_id in snapshot.provider_cards:
        provider, card = snapshot.providers.get(provider_id), snapshot.cards.get(card_id)
        if provider is None or card is None:
            continue
        who = f"{provider.name} ({card.name})"
        reason = None
        if route.lock_cards and card_id not in route.lock_cards:
            reason = "not in the route's lock list"
        elif card_id in route.exclude_cards:
            reason = "excluded by the route"
        elif not provider.active:
            reason = "provider disabled"
        elif not provider.gateways:
            reason = "no enabled gateway"
        elif card.currency != currency:
            reason = f"card in {card.currency}, customer in {currency}"
        entries.append((card_id, None, None, f"{who} dropped: {reason}") if reason else (card_id, card, provider, who))
    return RoutePlan(tuple(entries))


def route_order_key(route: Route):
    """Longest tech prefix, then a dial pattern before the catch-all, then priority (as rating does)."""
    return (-len(route.tech_prefix), route.dial_pattern == "", route.priority, route.id)


def _compile(pattern: str):
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        # Dial patterns are checked by PostgreSQL's regex engine; one Python cannot read never matches.
        return re.compile(r"(?!)")


def snapshot_load(version=None) -> Snapshot:
    """Everything a decision needs except rate rows and the customer's own account, in a few queries."""
    snapshot = Snapshot(version=version, loaded_at=time.monotonic())
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.id, c.name, c.kind, c.currency,
                   coalesce(array_agg(v.live_from ORDER BY v.live_from) FILTER (WHERE v.id IS NOT NULL), '{}'),
                   coalesce(array_agg(v.id ORDER BY v.live_from) FILTER (WHERE v.id IS NOT NULL), '{}')
            FROM rates_ratecard c LEFT JOIN rates_raterevision v ON v.card_id = c.id GROUP BY c.id""")
        for card_id, name, kind, currency, lives, ids in cursor.fetchall():
            snapshot.cards[card_id] = Card(card_id, name, kind, currency, tuple(zip(lives, ids, strict=True)))

        cursor.execute("""
            SELECT r.id, r.customer_id, r.rate_card_id, r.tech_prefix, r.dial_pattern, r.priority, r.max_duration,
                   r.capped_rate, r.block_connect_cost, r.strategy, r.provider_capped_rate, r.profit_assurance,
                   r.rtp_mode, r.max_providers,
                   ARRAY(SELECT l.ratecard_id FROM routing_ingressroute_lock_cards l WHERE l.ingressroute_id = r.id),
                   ARRAY(SELECT e.ratecard_id FROM routing_ingressroute_exclude_cards e
                         WHERE e.ingressroute_id = r.id)
            FROM routing_ingressroute r""")
        for (rid, customer_id, card_id, tech, pattern, priority, max_duration, capped, block_connect, strategy,
             provider_cap, profit, rtp, max_providers, locks, excludes) in cursor.fetchall():
            snapshot.routes.setdefault(customer_id, []).append(Route(
                rid, customer_id, card_id, tech, pattern, _compile(pattern), priority, max_duration, capped,
                block_connect, strategy, frozenset(locks), frozenset(excludes), provider_cap, profit, rtp,
                max_providers))
        for routes in snapshot.routes.values():
            routes.sort(key=route_order_key)

        cursor.execute("""
            SELECT p.id, p.name, p.status = 'active', p.currency, p.tier, p.weight,
                   coalesce(json_agg(json_build_array(g.id, g.host, g.port, g.transport, g.tech_prefix, g.weight)
                                     ORDER BY g.weight DESC, g.id) FILTER (WHERE g.id IS NOT NULL), '[]')
            FROM providers_provider p LEFT JOIN providers_gateway g ON g.provider_id = p.id AND g.enabled
            GROUP BY p.id""")
        for pid, name, active, currency, tier, weight, gateways in cursor.fetchall():
            snapshot.providers[pid] = Provider(pid, name, active, currency, tier, weight,
                                               tuple(Gateway(*g) for g in gateways))
        cursor.execute("SELECT card_id, provider_id FROM providers_providerratecard ORDER BY card_id")
        snapshot.provider_cards = tuple(cursor.fetchall())

        cursor.execute("""
            SELECT id, customer_id, position, cli_pattern, pai_pattern, dialed_pattern, direction, rewrite_cli,
                   rewrite_pai, forced FROM clirules_clirule ORDER BY customer_id, position, id""")
        for rid, customer_id, position, cli, pai, dialed, direction, rewrite_cli, rewrite_pai, forced in \
                cursor.fetchall():
            label = " · ".join(part for part in (cli and f"CLI {cli}", pai and f"PAI {pai}",
                                                 dialed and f"dialed {dialed}") if part) or "any call"
            snapshot.cli_rules.setdefault(customer_id, []).append(CliRule(
                rid, position, _compile(cli), _compile(pai), _compile(dialed), direction, rewrite_cli,
                rewrite_pai, forced, label))

        cursor.execute("""
            SELECT lower(address), tech_prefix, customer_id, address || ':' || port || '/' || upper(protocol)
            FROM sipauth_ipauthentry WHERE direction = 'ingress' ORDER BY length(tech_prefix) DESC, id""")
        for address, tech, customer_id, label in cursor.fetchall():
            snapshot.ip_entries.setdefault(address, []).append((tech, customer_id, label))
        cursor.execute("SELECT extension::text, customer_id FROM sipauth_sipuser")
        snapshot.sip_users = dict(cursor.fetchall())
    return snapshot


class RevisionRows:
    """Prefix → row terms maps of revisions, loaded on first use and kept (revisions never change).

    Each map is kept with the prefix lengths it holds, longest first, so the longest match of a
    number costs one dict probe per length the deck uses rather than one per digit."""

    def __init__(self):
        self._maps = {}
        self._lock = threading.Lock()

    def get(self, revision_id: int) -> dict:
        rows = self._maps.get(revision_id)
        if rows is None:
            with self._lock:
                rows = self._maps.get(revision_id)
                if rows is None:
                    rows = self._maps[revision_id] = self._load(revision_id)
        return rows

    @staticmethod
    def _load(revision_id):
        shared = {}  # many rows share their terms; one object each keeps big decks small in memory
        rows = {}
        with connection.cursor() as cursor:
            cursor.execute("""SELECT prefix, name, rate, connect_fee, mcd, pulse, grace, blocked
                              FROM rates_raterow WHERE revision_id = %s""", [revision_id])
            for prefix, *terms in cursor.fetchall():
                terms = tuple(terms)
                terms = shared.setdefault(terms, terms)
                rows[prefix] = terms
        lengths = tuple(sorted({len(prefix) for prefix in rows if len(prefix) <= MAX_PREFIX}, reverse=True))
        return rows, lengths

    def forget(self, keep: set):
        with self._lock:
            for revision_id in list(self._maps):
                if revision_id not in keep:
                    del self._maps[revision_id]

    def longest_match(self, revision_id: int, number: str) -> RateRow | None:
        rows, lengths = self._maps.get(revision_id) or self.get(revision_id)
        # A length past the number's end probes the whole number: a hit is then its longest match.
        for length in lengths:
            terms = rows.get(number[:length])
            if terms is not None:
                return RateRow(number[:length], *terms)
        return None


_redis = None


def redis_client():
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.2, socket_connect_timeout=0.2)
    return _redis


class Versions(NamedTuple):
    routing: bytes
    account: bytes | None  # None when no customer was asked for


def version_keys(customer_id: int | None = None) -> list[str]:
    """The keys versions_read(customer_id) reads (to prefetch them: connex.redis_batch.prefetch)."""
    keys = [VERSION_KEY, ACCOUNTS_KEY]
    if customer_id is not None:
        keys.append(f"{ACCOUNT_KEY}{customer_id}")
    return keys


def versions_read(customer_id: int | None = None) -> Versions | None:
    """The snapshot's version and the customer's account version, in one round trip (none when this
    request prefetched them); None without Redis."""
    keys = version_keys(customer_id)
    try:
        values = [prefetched(key) for key in keys]
        if MISSING in values:
            (values,) = batch(redis_client(), ("MGET", *keys))  # the hot path's lean client
        for index, value in enumerate(values):
            if value is None:
                # A key never set, or lost (a Redis restart, an eviction): a new token, so that a
                # missing key is never a version a process holds.
                token = secrets.token_hex(8).encode()
                (current,) = batch(redis_client(), ("SET", keys[index], token, "NX", "GET"))
                values[index] = current or token
    except (redis.RedisError, OSError):
        logger.warning("routing versions unavailable from Redis", exc_info=True)
        return None
    if customer_id is None:
        return Versions(values[0], None)
    return Versions(values[0], b"%s:%s" % (values[1], values[2]))


def _bump(keys: list):
    """New tokens for these version keys, now and again once the change is committed."""

    def bump():
        token = secrets.token_hex(8)
        try:
            redis_client().mset(dict.fromkeys(keys, token))
        except redis.RedisError:
            logger.warning("routing versions not bumped", exc_info=True)

    bump()
    transaction.on_commit(bump)


def routing_changed(**_):
    """Marks the snapshot stale everywhere: now, and again once the change is committed."""
    _bump([VERSION_KEY])


def accounts_changed(customer_ids=None):
    """Marks these customers' cached accounts stale everywhere (every customer's for None): now, and
    again once the change is committed."""
    if customer_ids is None:
        _bump([ACCOUNTS_KEY])
    elif customer_ids:
        _bump([f"{ACCOUNT_KEY}{customer_id}" for customer_id in sorted(set(customer_ids))])


_READ = object()


class RoutingCache:
    def __init__(self):
        self.snapshot = None
        self.rows = RevisionRows()
        self.accounts = {}  # customer_id -> (version, loaded at, account)
        self._lock = threading.Lock()

    def current(self, versions=_READ) -> Snapshot:
        """The snapshot as of `versions` (from versions_read; read here when not given)."""
        if versions is _READ:
            versions = versions_read()
        snapshot = self.snapshot
        fresh = snapshot is not None and (
            snapshot.version == versions.routing if versions is not None
            else time.monotonic() - snapshot.loaded_at < FALLBACK_TTL)
        if not fresh:
            with self._lock:
                snapshot = self.snapshot = snapshot_load(versions.routing if versions is not None else None)
                self.rows.forget({rev for card in snapshot.cards.values() for _, rev in card.revisions})
        return snapshot

    def account(self, customer_id: int, versions: Versions | None, load):
        """The customer's account as of `versions` (read for this customer), through `load(customer_id)`
        when it is not cached at that version. Without Redis every call loads."""
        version = versions.account if versions is not None else None
        cached = self.accounts.get(customer_id)
        now = time.monotonic()
        if version is not None and cached is not None and cached[0] == version and now - cached[1] < ACCOUNT_MAX_AGE:
            return cached[2]
        account = load(customer_id)
        if version is not None and account is not None:
            self.accounts[customer_id] = (version, now, account)
        return account

    def clear(self):
        self.snapshot = None
        self.rows = RevisionRows()
        self.accounts = {}


routing_cache = RoutingCache()
