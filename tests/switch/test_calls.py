import time

import pytest

from tests.switch.loopback import PANEL_TOKEN, allowed

pytestmark = pytest.mark.switch


def uac(sipp, switch, scenario="uac.xml", *args, ip="127.0.0.2", calls=1, dialed="447911123456",
        cli="442071234567"):
    return sipp(scenario, "-s", dialed, "-key", "cli", cli, "-m", str(calls), "-l", str(calls),
                "-recv_timeout", "10000", *args, ip=ip, remote=f"127.0.0.1:{switch.sip_port}")


def test_an_allowed_call_is_relayed_answered_ended_and_reported(panel, switch, sipp):
    uas = sipp("uas.xml")
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
    assert 1400 <= end["body"]["duration_ms"] <= 2500
    assert end["body"]["duration"] == 2
    assert end["body"]["hangup"] == "caller"
    time.sleep(0.1)
