import http.client
import json
import time

import pytest

from tests.switch.loopback import Kamailio, allowed, free_port, refused
from tests.switch.test_calls import uac

pytestmark = pytest.mark.switch


def test_a_panel_that_does_not_answer_gets_calls_refused_with_503(sipp, tmp_path):
    nobody = f"http://127.0.0.1:{free_port()}"
    with Kamailio(tmp_path / "kamailio", nobody) as switch:
        caller = uac(sipp, switch, "uac_refused.xml")
        assert caller.wait() == 0
        assert caller.final_codes() == [503]


def test_a_panel_answering_an_error_or_garbage_gets_calls_refused_with_503(panel, switch, sipp):
    panel.decide = lambda request: (500, {"detail": "Server error"})
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [503]

    panel.decide = lambda request: (200, "<html>maintenance</html>")
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [503]


def test_a_slow_panel_gets_503_while_the_next_call_goes_through_on_the_only_sip_worker(panel, sipp, tmp_path):
    uas = sipp("uas.xml", "-m", "1")

    def decide(request):
        if request["dialed"] == "441111111111":
            return 200, refused(403, "Too late to matter"), 4  # longer than the switch waits
        return allowed((f"sip:{request['dialed']}@{uas.uri_host}", 7))

    panel.decide = decide
    with Kamailio(tmp_path / "kamailio", panel.url, panel_timeout=2, sip_children=1) as switch:
        slow = uac(sipp, switch, "uac_refused.xml", dialed="441111111111")
        panel.wait_for("authorize")
        started = time.monotonic()
        fast = uac(sipp, switch, "uac.xml", "-d", "200", ip="127.0.0.3", dialed="442222222222")
        assert fast.wait() == 0
        fast_done = time.monotonic() - started
        assert slow.process.poll() is None, "the second call waited for the first call's decision"
        assert slow.wait() == 0
        slow_done = time.monotonic() - started
        assert slow.final_codes() == [503]
        assert fast_done < slow_done
        ends = {end["call_id"]: end["body"] for end in panel.wait_for("end", count=2)}
        slow_call = next(request["body"]["call_id"] for request in panel.of_kind("authorize")
                         if request["body"]["dialed"] == "441111111111")
        # The switch tells the panel it gave up, so a channel the panel reserved is freed at once.
        assert ends[slow_call] == {"call_id": slow_call, "duration": 0, "sip_code": 503, "reason": "auth_timeout"}


def test_ending_a_call_through_json_rpc_hangs_up_both_sides_and_reports_the_end(panel, switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{uas.uri_host}", 7))
    caller = uac(sipp, switch, "uac_until_bye.xml")
    answer = panel.wait_for("answer")[0]["body"]
    time.sleep(0.5)
    reply = switch.rpc("dlg.end_dlg", answer["h_entry"], answer["h_id"])
    assert "error" not in reply, reply
    assert caller.wait(timeout=5) == 0
    assert uas.wait(timeout=5) == 0
    end = panel.wait_for("end")[0]
    assert end["call_id"] == answer["call_id"]
    assert end["body"]["hangup"] == "switch"
    assert 400 <= end["body"]["duration_ms"] <= 4000  # ended about 0.5 s after the answer
    time.sleep(0.3)
    assert len(panel.of_kind("end")) == 1  # one end per call, however the switch learnt of it


def test_json_rpc_lists_live_calls(panel, switch, sipp):
    uas = sipp("uas.xml", "-m", "1")
    panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{uas.uri_host}", 7))
    caller = uac(sipp, switch, "uac.xml", "-d", "1500")
    answer = panel.wait_for("answer")[0]["body"]
    listed = switch.rpc("dlg.list")["result"]
    assert [(dialog["h_entry"], dialog["h_id"]) for dialog in listed] == [(answer["h_entry"], answer["h_id"])]
    assert caller.wait() == 0


def test_json_rpc_refuses_any_other_source_address(switch):
    connection = http.client.HTTPConnection("127.0.0.1", switch.rpc_port, timeout=5,
                                            source_address=("127.0.0.9", 0))
    connection.request("POST", "/RPC", body=json.dumps({"jsonrpc": "2.0", "method": "dlg.list", "id": 1}),
                       headers={"Content-Type": "application/json"})
    assert connection.getresponse().status == 403
    connection.close()


def test_a_decision_without_routes_or_with_an_odd_code_is_still_a_clean_refusal(panel, switch, sipp):
    panel.decide = lambda request: {"allowed": True, "routes": [], "max_duration": 60}
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [404]

    panel.decide = lambda request: {"allowed": False, "sip_code": 200, "reason": "Odd"}
    caller = uac(sipp, switch, "uac_refused.xml")
    assert caller.wait() == 0
    assert caller.final_codes() == [403]
