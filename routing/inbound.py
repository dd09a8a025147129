"""Inbound calls: a call to one of the carrier's numbers (a DID) is the call of the customer who
holds the number, whoever sends it.

`decide` hands a call here when the switch says it is inbound (direction "origination") or when it
comes from a provider's gateway; the DID is then found by the dialled number exactly (the dids app
registers the lookup, see connex.registry.register_inbound_lookup). The customer's account goes
through the same admission checks as an outbound call (status, credit floor, daily spend, window,
verification); the call is priced on the DID's customer origination card, must be affordable (at
rate 0 the available credit must still not be negative), and its one route is the DID's
destination, with the provider origination card's price as the cost.
"""

from dataclasses import dataclass
from datetime import datetime

from .engine import (
    ZERO,
    CallRequest,
    Decision,
    Offer,
    Refusal,
    _finish,
    _row_text,
    _Trace,
    account_load,
    admission_check,
    billed_cap,
    normalise_number,
)

UNKNOWN_NUMBER = ("unknown number", 404)


@dataclass(frozen=True)
class InboundTarget:
    """What the decision needs of a DID (built by dids.selectors.did_for_number)."""

    did_id: int
    number: str
    customer_id: int | None
    customer_card_id: int | None
    provider_id: int
    provider_card_id: int | None
    uri: str  # where the call is relayed; "" when no destination is set
    destination: str  # for people: "SIP user 1001", "IP 198.51.100.7:5060", the URI
    channels: int
    cps: int
    max_duration: int


def lookup(number: str) -> InboundTarget | None:
    from connex.registry import registry

    for source in registry.inbound_lookups:
        target = source(number)
        if target is not None:
            return target
    return None


def _provider_hosts(snapshot) -> frozenset:
    hosts = getattr(snapshot, "_provider_hosts", None)
    if hosts is None:
        hosts = frozenset(g.host.lower() for p in snapshot.providers.values() for g in p.gateways)
        snapshot._provider_hosts = hosts
    return hosts


def is_inbound(call: CallRequest, snapshot) -> bool:
    """Only these calls cost a DID lookup: outbound calls from customers never do."""
    if call.direction == "origination":
        return True
    if call.customer_id is not None or call.sip_user:
        return False
    return bool(call.source_ip) and call.source_ip.strip().lower() in _provider_hosts(snapshot)


def decide_if_inbound(call: CallRequest, *, snapshot, rows) -> Decision | None:
    """The decision for an inbound call; None for a call to decide as outbound.

    From a provider's gateway, a number that is no DID is refused (404) unless the address is also
    a customer's (a carrier that both sends and buys traffic): then the call is that customer's.
    """
    if not is_inbound(call, snapshot):
        return None
    target = lookup(normalise_number(call.dialed))
    if target is None and call.direction != "origination" and \
            call.source_ip.strip().lower() in snapshot.ip_entries:
        return None
    return decide_inbound(call, snapshot=snapshot, rows=rows, at=call.at, target=target)


def decide_inbound(call: CallRequest, *, snapshot, rows, at: datetime, target: InboundTarget | None = None,
                   account=None) -> Decision:
    trace = _Trace()
    number = normalise_number(call.dialed)
    if target is None:
        target = lookup(number)
    if target is None or target.customer_id is None:
        trace.fail("DID", UNKNOWN_NUMBER, f"{number} is {'in stock' if target else 'not one of our numbers'}")
        return _finish(trace, Decision(False, 0, [], dialed=number))
    source = f" from {call.source_ip}" if call.source_ip else ""
    trace.ok("DID", f"+{target.number}{source} → customer #{target.customer_id}, {target.destination or 'no destination'}",
             did=target.did_id)
    account = account if account is not None else account_load(target.customer_id, at)
    decision = Decision(False, 0, [], customer_id=target.customer_id, dialed=target.number,
                        cli=normalise_number(call.cli), pai=normalise_number(call.pai), strategy="did")
    decision.did = {"id": target.did_id, "number": target.number, "channels": target.channels, "cps": target.cps}
    if account is None:
        trace.fail("customer", Refusal.UNKNOWN_CALLER, f"no customer #{target.customer_id}")
        return _finish(trace, decision)
    decision.customer = account.name
    trace.ok("customer", f"{account.name} (#{account.id}), balance {account.balance} {account.currency}")
    admission_check(account, at, trace)

    card = snapshot.cards.get(target.customer_card_id) if target.customer_card_id else None
    revision_id = card.revision_at(at) if card else None
    row = rows.longest_match(revision_id, target.number) if revision_id else None
    if row is None:
        trace.fail("rate", Refusal.NO_RATE, f"{card.name if card else 'no origination card'}: "
                                            f"{'no revision live' if card and not revision_id else 'no prefix'} "
                                            f"for {target.number}")
        return _finish(trace, decision)
    decision.rate = {"card": card.id, "card_name": card.name, "revision": revision_id, "prefix": row.prefix,
                     "name": row.name, "per_min": row.rate, "connect": row.connect_fee, "mcd": row.mcd,
                     "pulse": row.pulse, "grace": row.grace}
    if row.blocked:
        trace.fail("rate", Refusal.BLOCKED, f"prefix {row.prefix} blocked on {card.name}")
        return _finish(trace, decision)
    trace.ok("rate", f"{card.name} revision {revision_id}: {_row_text(row)}", revision=revision_id)

    available = account.balance + account.debit_limit
    needed = row.connect_fee + row.rate * row.mcd / 60
    max_duration = target.max_duration
    if row.rate > 0 and available >= row.connect_fee:
        covered = int((available - row.connect_fee) / row.rate * 60)
        max_duration = min(max_duration, billed_cap(covered, row.mcd, row.pulse))
    if available < needed or available < 0 or max_duration <= 0:
        # Not even the first billed second is paid for: no connect.
        trace.fail("credit", Refusal.INSUFFICIENT_CREDIT, f"available {available}, the call needs {needed}"
                   + (" and at least one billed second" if needed <= available else ""))
    else:
        decision.max_duration = max_duration
        trace.ok("credit", f"available {available} ≥ {needed}; max duration {max_duration} s "
                           f"(DID max {target.max_duration} s)")

    if not target.uri:
        trace.fail("destination", Refusal.NO_ROUTE, "the number has no destination")
        return _finish(trace, decision)
    provider = snapshot.providers.get(target.provider_id)
    cost_card = snapshot.cards.get(target.provider_card_id) if target.provider_card_id else None
    cost_revision = cost_card.revision_at(at) if cost_card else None
    cost_row = rows.longest_match(cost_revision, target.number) if cost_revision else None
    if cost_row is None:
        trace.info("cost", "no provider origination price for the number: cost 0")
    decision.routes = [Offer(target.provider_id, provider.name if provider else "", 0, target.destination,
                             target.uri, cost_card.id if cost_card else 0, cost_revision or 0,
                             cost_row.prefix if cost_row else "", cost_row.rate if cost_row else ZERO,
                             cost_row.connect_fee if cost_row else ZERO)]
    trace.ok("destination", f"relay to {target.destination} ({target.uri})")
    return _finish(trace, decision)
