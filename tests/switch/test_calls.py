import math
import time

import pytest

from tests.switch.loopback import PANEL_TOKEN, allowed, refused

pytestmark = pytest.mark.switch


def uac(sipp, switch, scenario="uac.xml", *args, ip="127.0.0.2", calls=1, dialed="447911123456",
        cli="442071234567"):
    return sipp(scenario, "-s", dialed, "-key", "cli", cli, "-m", str(calls), "-l", str(calls),
                "-recv_timeout", "10000", *args, ip=ip, remote=f"127.0.0.1:{switch.sip_port}")


def test_an_allowed_call_is_relayed_answered_ended_and_reported(panel, switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{uas.uri_host}", 7), max_duration=60)
    caller = uac(sipp, switch, "uac.xml", "-d", "1500")
    assert caller.wait() == 0, switch.log_text()[-4000:]

    authorize = panel.wait_for("authorize")[0]
    assert authorize["authorization"] == f"Token {PANEL_TOKEN}"
    assert authorize["body"]["source_ip"] == "127.0.0.2"
    assert authorize["body"]["dialed"] == "447911123456"
    assert authorize["body"]["cli"] == "442071234567"
    call_id = authorize["body"]["call_id"]
    answer = panel.wait_for("answer")[0]
    end = panel.wait_for("end")[0]
    assert answer["call_id"] == end["call_id"] == call_id
    assert end["body"]["sip_code"] == 200
    assert end["body"]["gateway"] == "7"
    assert 1400 <= end["body"]["duration_ms"] <= 3500  # the caller talked for 1.5 s (slack for a busy machine)
    assert end["body"]["duration"] == math.ceil(end["body"]["duration_ms"] / 1000)
    assert end["body"]["hangup"] == "caller"
    time.sleep(0.1)


def test_a_refusal_reaches_the_caller_with_the_panels_sip_code(panel, switch, sipp):
    panel.decide = lambda request: refused(403, "Customer inactive")
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [403]
    assert "Customer inactive" in caller.actions_path.read_text()

    panel.decide = lambda request: refused(503, "Channel limit reached")
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [503]
    time.sleep(0.3)
    assert panel.of_kind("end") == []  # a refused call never held a channel: nothing to end


def test_a_503_from_the_first_gateway_moves_the_call_to_the_next_route(panel, switch, sipp):
    busy = sipp("uas_unavailable.xml", "-m", "1")
    answering = sipp("uas.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:449999999999@{busy.uri_host}", 11),
                                           (f"sip:449999999999@{answering.uri_host}", 12),
                                           cli="441234500000", pai="441234500001")
    caller = uac(sipp, switch, "uac.xml", "-d", "500")
    assert caller.wait() == 0, switch.log_text()[-3000:]
    assert busy.wait() == 0  # the first gateway did see the call, and refused it
    # Both gateways got the number and the presentation the panel decided.
    for gateway in (busy, answering):
        invite = gateway.received_invites()[0]
        assert invite["request-line"].startswith("INVITE sip:449999999999@")
        assert "<sip:441234500000@" in invite["from"]
        assert invite["p-asserted-identity"].startswith("<sip:441234500001@")
    end = panel.wait_for("end")[0]
    assert panel.wait_for("answer")[0]["body"]["gateway"] == "12"
    assert (end["body"]["sip_code"], end["body"]["gateway"]) == (200, "12")


def test_when_every_route_fails_the_caller_is_refused_and_the_end_is_reported(panel, switch, sipp):
    busy = sipp("uas_unavailable.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{busy.uri_host}", 11))
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [500]  # a proxy turns a gateway's 503 into 500 (RFC 3261 16.7)
    end = panel.wait_for("end")[0]
    assert (end["body"]["duration"], end["body"]["sip_code"], end["body"]["gateway"]) == (0, 503, "11")
    assert panel.of_kind("answer") == []


def test_a_call_is_cut_at_its_max_duration_and_the_reported_duration_matches(panel, switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{uas.uri_host}", 7), max_duration=2)
    caller = uac(sipp, switch, "uac_until_bye.xml")
    assert caller.wait(timeout=10) == 0, switch.log_text()[-3000:]
    assert uas.wait(timeout=5) == 0  # both sides got the switch's BYE
    end = panel.wait_for("end")[0]
    assert end["body"]["hangup"] == "switch"
    # Dialog timers tick once a second and count from the ACK: the cut comes within a second of it.
    assert 1000 < end["body"]["duration_ms"] < 3000
    assert end["body"]["duration"] == math.ceil(end["body"]["duration_ms"] / 1000)


def test_a_call_cancelled_while_ringing_is_reported_ended_with_487(panel, switch, sipp):
    ringing = sipp("uas_ringing.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{ringing.uri_host}", 7))
    caller = uac(sipp, switch, "uac_cancel.xml")
    assert caller.wait() == 0, switch.log_text()[-3000:]
    assert ringing.wait() == 0  # the gateway got the CANCEL and ended its side with 487
    end = panel.wait_for("end")[0]
    assert (end["body"]["duration"], end["body"]["sip_code"], end["body"]["gateway"]) == (0, 487, "7")
    assert panel.of_kind("answer") == []
