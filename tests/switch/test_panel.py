"""Kamailio and SIPp against the panel itself (the live test server): the call-control API, its
live limits, the CDRs it writes, and ending a call from the panel."""

import time
from decimal import Decimal

import pytest

from calls import live
from calls.models import CallAttempt, CallOptions, Switch
from calls.services import call_hangup, live_channels
from customers.models import Customer
from summaries.models import CallDetailRecord
from tests.factories import GatewayFactory, IpAuthEntryFactory
from tests.routing.helpers import customer_with_route, deck
from tests.switch.loopback import wait_for
from tests.switch.test_calls import uac

pytestmark = pytest.mark.switch

CALLER_IP = "127.0.0.2"


def carrier(uas, rows=None, currency="USD"):
    """A provider whose one gateway is the SIPp UAS."""
    from tests.factories import ProviderRateCardFactory

    link = ProviderRateCardFactory(provider__name="Loopback carrier", provider__currency=currency)
    deck(link.card, rows or {"44": "0.0060"})
    GatewayFactory(provider=link.provider, host="127.0.0.1", port=uas.port)
    return link


def customer(*, channels=10, cps=0, balance="10", rows=None, **route):
    acme, ingress = customer_with_route(balance=balance, rows=rows or {"44": {"rate": "0.0600", "connect_fee":
                                                                                 "0.0100", "mcd": 1, "pulse": 1}},
                                        **route)
    Customer.objects.filter(pk=acme.pk).update(channels=channels, flow_speed=cps)
    IpAuthEntryFactory(customer=acme, address=CALLER_IP)
    return acme


def cdr(call_id=None, timeout=30):
    def found():
        rows = CallDetailRecord.objects.all()
        return rows.filter(call_id=call_id).first() if call_id else rows.first()
    row = wait_for(found, timeout=timeout)
    assert row is not None, "no CDR written"
    return row


def attempts(count, timeout=30):
    rows = wait_for(lambda: CallAttempt.objects.count() >= count and list(CallAttempt.objects.order_by("at")),
                    timeout=timeout)
    assert rows and len(rows) >= count, f"{len(rows or [])} attempts"
    return rows


def test_an_allowed_call_is_answered_ended_and_its_cdr_rated(real_switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    carrier(uas)
    acme = customer()
    caller = uac(sipp, real_switch, "uac.xml", "-d", "2000", ip=CALLER_IP)
    assert caller.wait() == 0, real_switch.log_text()[-3000:]
    row = cdr()
    assert row.customer_id == acme.pk and row.answer_time is not None and row.sip_code == 200
    assert 2 <= row.duration <= 4
    # 0.06/min on 1/1 plus 0.01 connect; the provider's 0.006/min is the cost.
    assert row.billed_duration == row.duration
    assert row.charge == (Decimal("0.01") + Decimal("0.06") * row.duration / 60).quantize(Decimal("0.000001"))
    assert row.cost == (Decimal("0.006") * row.duration / 60).quantize(Decimal("0.000001"))
    acme.refresh_from_db()
    assert acme.balance == Decimal("10") - row.charge
    assert wait_for(lambda: live_channels(acme.pk) == 0)
    attempt = attempts(1)[0]
    assert attempt.allowed and attempt.call_id == row.call_id


def test_the_third_concurrent_call_with_two_channels_is_refused_with_503(real_switch, sipp):
    uas = sipp("uas.xml", "-m", "2")
    carrier(uas)
    acme = customer(channels=2)
    talking = uac(sipp, real_switch, "uac.xml", "-d", "4000", ip=CALLER_IP, calls=2)
    assert wait_for(lambda: live_channels(acme.pk) == 2, timeout=5)
    third = uac(sipp, real_switch, "uac_refused.xml", ip=CALLER_IP)
    assert third.wait() == 0
    assert third.final_codes() == [503]
    assert talking.wait() == 0
    assert wait_for(lambda: CallDetailRecord.objects.count() == 2)


def test_calls_above_the_cps_limit_are_refused(real_switch, sipp):
    uas = sipp("uas.xml", "-m", "2")
    carrier(uas)
    customer(channels=50, cps=2)
    CallOptions.objects.update_or_create(pk=1, defaults={"cps_burst_percent": 0})
    burst = uac(sipp, real_switch, "uac.xml", "-d", "200", "-r", "50", ip=CALLER_IP, calls=5)
    burst.wait(timeout=20)
    rows = attempts(5)
    assert sorted(row.sip_code for row in rows) == [200, 200, 503, 503, 503]
    assert all("CPS limit reached" in row.reason for row in rows if not row.allowed)


def test_an_inactive_customer_is_refused_with_403_and_a_number_without_rate_with_404(real_switch, sipp):
    acme = customer()
    caller = uac(sipp, real_switch, "uac_refused.xml", ip=CALLER_IP, dialed="99912345")
    assert caller.wait() == 0
    assert caller.final_codes() == [404]
    Customer.objects.filter(pk=acme.pk).update(status=Customer.Status.INACTIVE)
    caller = uac(sipp, real_switch, "uac_refused.xml", ip=CALLER_IP)
    assert caller.wait() == 0
    assert caller.final_codes() == [403]
    reasons = [row.reason for row in attempts(2)]
    assert reasons == ["no rate", "status not active (Inactive)"]


def test_a_call_is_cut_at_max_duration_and_the_cdr_duration_matches(real_switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    carrier(uas)
    customer(max_duration=2)
    caller = uac(sipp, real_switch, "uac_until_bye.xml", ip=CALLER_IP)
    assert caller.wait(timeout=10) == 0, real_switch.log_text()[-3000:]
    assert cdr().duration in (2, 3)  # dialog timers tick once a second and count from the ACK


def test_end_call_from_the_panel_ends_a_live_sipp_call(real_switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    carrier(uas)
    acme = customer()
    Switch.objects.create(name="Loopback", address="127.0.0.1", rpc_url=f"http://127.0.0.1:{real_switch.rpc_port}/RPC")
    caller = uac(sipp, real_switch, "uac_until_bye.xml", ip=CALLER_IP)
    from calls.services import live_call_list

    live_call = wait_for(lambda: [row for row in live_call_list(customer_id=acme.pk) if row["can_end"]])
    assert live_call, real_switch.log_text()[-3000:]
    time.sleep(0.5)
    call_hangup(call_id=live_call[0]["call_id"])
    assert caller.wait(timeout=5) == 0
    assert uas.wait(timeout=5) == 0
    assert cdr(live_call[0]["call_id"]).answer_time is not None
    assert wait_for(lambda: live_channels(acme.pk) == 0)


def test_a_lost_end_frees_the_channel_after_expiry(real_switch, sipp):
    from calls.services import live_call_list

    uas = sipp("uas.xml", "-m", "1")
    carrier(uas)
    acme = customer(channels=1, max_duration=3)
    CallOptions.objects.update_or_create(pk=1, defaults={"end_margin": 0})
    caller = uac(sipp, real_switch, "uac_until_bye.xml", ip=CALLER_IP)
    assert wait_for(lambda: any(row["can_end"] for row in live_call_list(customer_id=acme.pk)))
    # The switch dies with the call up: no end report ever arrives.
    real_switch.stop()
    caller.stop()
    assert live_channels(acme.pk) == 1
    expiry = live.live_calls(f"customer:{acme.pk}")[0].expires_at
    assert expiry - time.time() <= 3  # answered + max duration 3 s + margin 0
    assert wait_for(lambda: live_channels(acme.pk) == 0, timeout=6)
    assert live.live_reserve(call_id="next", scopes=[live.Scope(f"customer:{acme.pk}", channels=1)], ttl=5).allowed
