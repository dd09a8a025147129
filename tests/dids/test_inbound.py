"""Calls to a DID: identified by the dialled number, admitted like any call, rated on origination cards."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from dids.models import Did
from dids.services import did_release
from ledger.models import LedgerEntry
from routing.engine import CallRequest, decide
from summaries.models import CallDetailRecord
from summaries.services import CDR_COLUMNS, cdr_import
from tests.dids.helpers import NUMBER, PROVIDER_IP, inbound_setup
from tests.factories import IngressRouteFactory, IpAuthEntryFactory
from tests.routing.helpers import NOW, customer_with_route, deck
from tests.summaries.helpers import T0, cdr_row, csv_stream

pytestmark = pytest.mark.django_db
UNPRICED = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]


def inbound(number=NUMBER, source_ip=PROVIDER_IP, **extra):
    return decide(CallRequest(dialed=number, cli="33123456789", source_ip=source_ip, at=NOW, **extra))


def test_a_call_from_the_provider_to_the_did_is_the_holders_inbound_call_relayed_to_its_destination():
    customer, did = inbound_setup()

    decision = inbound("+" + NUMBER)

    assert decision.allowed, decision.reasons
    assert (decision.customer_id, decision.dialed, decision.sip_code) == (customer.pk, NUMBER, 200)
    assert [route.uri for route in decision.routes] == ["sip:100@pbx.example.com"]
    assert (decision.rate["per_min"], decision.rate["prefix"]) == (Decimal("0.01"), "44")
    assert decision.routes[0].cost_rate == Decimal("0.002")
    assert decision.did == {"id": did.pk, "number": NUMBER, "channels": 0, "cps": 0}
    # Credit covers 10.00 / 0.01 per minute = 1000 minutes: the DID's max duration is the limit.
    assert decision.max_duration == did.max_duration


def test_the_number_identifies_the_call_even_when_the_source_is_another_customers_address():
    customer, did = inbound_setup()
    other = Customer.objects.exclude(pk=customer.pk).first() or customer_with_route()[0]
    IpAuthEntryFactory(customer=other, address=PROVIDER_IP)

    decision = inbound()

    assert decision.customer_id == customer.pk


def test_the_switch_may_say_the_call_is_inbound():
    customer, _ = inbound_setup()

    decision = inbound(source_ip="", direction="origination")

    assert (decision.allowed, decision.customer_id) == (True, customer.pk)


def test_a_customer_who_cannot_pay_gets_no_inbound_call():
    inbound_setup(balance="0")

    decision = inbound()

    assert (decision.allowed, decision.sip_code, decision.routes) == (False, 402, [])
    assert decision.reasons == ["insufficient credit"]


def test_at_rate_zero_a_negative_balance_still_refuses():
    customer, _ = inbound_setup(balance="0", sell="0")
    Customer.objects.filter(pk=customer.pk).update(balance=Decimal("-1"))

    assert inbound().sip_code == 402


def test_an_inactive_holder_is_refused_like_an_outbound_call():
    inbound_setup(status=Customer.Status.INACTIVE)

    decision = inbound()

    assert (decision.allowed, decision.sip_code) == (False, 403)
    assert decision.reasons[0].startswith("status not active")


def test_unknown_and_released_numbers_are_404():
    _, did = inbound_setup()

    assert (inbound("442070000000").sip_code, inbound("442070000000").reasons) == (404, ["unknown number"])
    did_release(dids=[did])
    assert inbound().sip_code == 404


def test_outbound_calls_from_customers_do_not_look_up_dids(own_versions):
    inbound_setup()
    customer, _ = customer_with_route()
    IpAuthEntryFactory(customer=customer, address="198.51.100.9")
    decide(CallRequest(dialed=NUMBER, source_ip="198.51.100.9", at=NOW))  # warm the snapshot

    with CaptureQueriesContext(connection) as queries:
        decision = decide(CallRequest(dialed=NUMBER, source_ip="198.51.100.9", at=NOW))

    assert decision.customer_id == customer.pk
    assert not any("dids_did" in query["sql"] for query in queries.captured_queries)


def test_an_imported_inbound_call_is_rated_on_the_dids_origination_card_not_the_route():
    customer, did = inbound_setup(balance="0")
    route = IngressRouteFactory(customer=customer)
    deck(route.rate_card, {"44": "0.5000"})
    start = T0
    rows = [cdr_row(customer.pk, "in-1", dialed_number=NUMBER, duration=90, start_time=start.isoformat(),
                    answer_time=start.isoformat(), end_time=(start + timedelta(seconds=90)).isoformat()),
            cdr_row(customer.pk, "out-1", dialed_number="441234567", duration=60, start_time=start.isoformat(),
                    answer_time=start.isoformat(), end_time=(start + timedelta(seconds=60)).isoformat())]

    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))

    assert result.inserted == 2, result.rejects
    incoming = CallDetailRecord.objects.get(call_id="in-1")
    assert (incoming.rate_card_id, incoming.rate_prefix, incoming.charge) == (did.customer_card_id, "44",
                                                                              Decimal("0.0150"))
    assert CallDetailRecord.objects.get(call_id="out-1").charge == Decimal("0.5000")
    assert LedgerEntry.objects.get(customer=customer).amount == Decimal("-0.5150")


def test_a_did_of_another_customer_does_not_price_this_customers_call():
    holder, did = inbound_setup()
    caller, route = customer_with_route(rows={"44": "0.3000"})
    row = cdr_row(caller.pk, "x-1", dialed_number=NUMBER, duration=60, start_time=T0.isoformat(),
                  answer_time=T0.isoformat(), end_time=(T0 + timedelta(seconds=60)).isoformat())

    cdr_import(stream=csv_stream([row], columns=UNPRICED))

    cdr = CallDetailRecord.objects.get(call_id="x-1")
    assert (cdr.rate_card_id, cdr.charge) == (route.rate_card_id, Decimal("0.3000"))
    assert Did.objects.get().customer == holder
