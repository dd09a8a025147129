"""A customer's live limits (channels, CPS of the customer, its ingress routes, SIP users and IP
entries) and its credit, for the switch API: one query per customer, kept in process briefly.

The engine decides with a fresh balance; the credit reservation may use one up to LIMITS_TTL old
(the call path allows a balance cached about a minute). Limits edited in the panel apply within
LIMITS_TTL on every web worker.
"""

import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

LIMITS_TTL = 2.0


@dataclass(frozen=True)
class Limit:
    ident: int
    channels: int
    cps: int


@dataclass(frozen=True)
class CustomerLimits:
    customer_id: int
    balance: Decimal
    debit_limit: Decimal
    channels: int  # 0 blocks calls
    cps: int  # 0: no CPS limit of its own
    routes: dict = field(default_factory=dict)  # route id -> (Limit, max_duration)
    sip_users: dict = field(default_factory=dict)  # username -> Limit
    ip_entries: tuple = ()  # (address, tech_prefix, Limit), longest tech prefix first
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # what callers derive from these limits

    @property
    def available(self) -> Decimal:
        return self.balance + self.debit_limit

    def entry_for(self, *, sip_user: str, source_ip: str, dialed: str) -> tuple[str, Limit] | None:
        """The SIP user or IP entry the call came through, as the engine identifies callers."""
        if sip_user and sip_user in self.sip_users:
            return "sipuser", self.sip_users[sip_user]
        address = (source_ip or "").strip().lower()
        digits = dialed.lstrip("+")
        for entry_address, tech, limit in self.ip_entries:
            if entry_address == address and digits.startswith(tech):
                return "ip", limit
        return None


LIMITS_SQL = """
SELECT c.balance, c.debit_limit, c.channels, c.flow_speed,
  coalesce((SELECT json_agg(json_build_array(r.id, r.channels, r.flow_speed, r.max_duration))
            FROM routing_ingressroute r WHERE r.customer_id = c.id), '[]'),
  coalesce((SELECT json_agg(json_build_array(u.extension::text, u.id, u.channels, u.flow_speed))
            FROM sipauth_sipuser u WHERE u.customer_id = c.id), '[]'),
  coalesce((SELECT json_agg(json_build_array(lower(i.address), i.tech_prefix, i.id, i.channels, i.flow_speed)
                            ORDER BY length(i.tech_prefix) DESC, i.id)
            FROM sipauth_ipauthentry i WHERE i.customer_id = c.id AND i.direction = 'ingress'), '[]')
FROM customers_customer c WHERE c.id = %s
"""

_cache: dict = {}
_lock = threading.Lock()


def customer_limits(customer_id: int, *, fresh: bool = False) -> CustomerLimits | None:
    now = time.monotonic()
    cached = _cache.get(customer_id)
    if cached is not None and not fresh and now - cached[0] < LIMITS_TTL:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(LIMITS_SQL, [customer_id])
        row = cursor.fetchone()
    if row is None:
        return None
    balance, debit_limit, channels, cps, routes, users, entries = row
    limits = CustomerLimits(
        customer_id, balance, debit_limit, channels, cps,
        {rid: (Limit(rid, ch, fs), max_duration) for rid, ch, fs, max_duration in routes},
        {name: Limit(uid, ch, fs) for name, uid, ch, fs in users},
        tuple((address, tech, Limit(eid, ch, fs)) for address, tech, eid, ch, fs in entries))
    with _lock:
        _cache[customer_id] = (now, limits)
    return limits


def limits_forget():
    with _lock:
        _cache.clear()
