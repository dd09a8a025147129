"""Calls through Kamailio at a fixed rate, with the panel's call-control endpoints on loopback.

SIPp places short calls at CALL_RATE calls/s for SECONDS through deploy/kamailio/kamailio.cfg to a
SIPp answering machine; a loopback HTTP server answers `authorize` at once and counts the answer and
end reports. Figures: calls placed, answered, failed (goal 0), ends reported (must equal answered),
and calls answered and setup time (INVITE to 200 OK, SIPp's millisecond resolution) through the
switch against the same SIPp pair calling each other directly in the same run.
"""

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.switch.loopback import Kamailio, PanelStandIn, Sipp, allowed  # noqa: E402

CALL_RATE = int(os.environ.get("BENCH_CALL_RATE", "50"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CALL_MS = 1000


def setup_ms(value):
    """SIPp's response time 'HH:MM:SS:uuuuuu' in milliseconds."""
    hours, minutes, seconds, micros = (int(part) for part in value.split(":"))
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + micros / 1000


def place_calls(workdir, remote, calls):
    stats = workdir / f"uac-{remote.replace(':', '-')}.csv"
    uac = Sipp(workdir, "uac.xml", "-s", "447911123456", "-key", "cli", "442071234567", "-d", str(CALL_MS),
               "-r", str(CALL_RATE), "-m", str(calls), "-l", str(CALL_RATE * 3), "-recv_timeout", "10000",
               "-trace_stat", "-stf", str(stats), "-fd", "1", ip="127.0.0.2", remote=remote, trace=False)
    uac.wait(timeout=SECONDS + 60)
    with open(stats, newline="") as handle:
        last = list(csv.DictReader(handle, delimiter=";"))[-1]
    return {"placed": int(last["OutgoingCall(C)"]), "answered": int(last["SuccessfulCall(C)"]),
            "failed": int(last["FailedCall(C)"]), "setup_ms": setup_ms(last["ResponseTime1(C)"])}


class _existing:
    def __init__(self, path):
        self.path = path
        Path(path).mkdir(parents=True, exist_ok=True)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        return False


def main():
    calls = CALL_RATE * SECONDS
    # BENCH_WORKDIR keeps the SIPp and Kamailio logs for a look after the run.
    keep = os.environ.get("BENCH_WORKDIR")
    with (tempfile.TemporaryDirectory() if not keep else _existing(keep)) as directory, PanelStandIn() as panel:
        workdir = Path(directory)
        uas = Sipp(workdir, "uas.xml", trace=False)
        panel.decide = lambda request: allowed((f"sip:{request['dialed']}@{uas.uri_host}", 1), max_duration=60)
        try:
            direct = place_calls(workdir, uas.uri_host, calls)
            print(f"direct UAC -> UAS: {direct}")
            with Kamailio(workdir / "kamailio", panel.url, sip_children=4) as switch:
                started = time.monotonic()
                through = place_calls(workdir, f"127.0.0.1:{switch.sip_port}", calls)
                elapsed = time.monotonic() - started
                deadline = time.monotonic() + 30
                while len(panel.of_kind("end")) < through["answered"] and time.monotonic() < deadline:
                    time.sleep(0.2)
        finally:
            uas.stop()
        authorized = len(panel.of_kind("authorize"))
        answers = len(panel.of_kind("answer"))
        ends = len(panel.of_kind("end"))
    print(f"through Kamailio at {CALL_RATE} calls/s for {SECONDS} s: {through}, "
          f"authorize requests {authorized}, answer reports {answers}, end reports {ends}, {elapsed:.1f} s")
    answered_ratio = through["answered"] / direct["answered"] if direct["answered"] else None
    print(json.dumps({
        "benchmark": "switch_calls", "call_rate": CALL_RATE, "seconds": SECONDS,
        "placed": through["placed"], "answered": through["answered"], "failed": through["failed"],
        "authorize_requests": authorized, "answer_reports": answers, "end_reports": ends,
        "ends_equal_answered": ends == through["answered"],
        "setup_ms_direct": round(direct["setup_ms"], 3), "setup_ms_through_switch": round(through["setup_ms"], 3),
        "answered_direct": direct["answered"],
        "answered_ratio_vs_direct": round(answered_ratio, 4) if answered_ratio else None,
    }))


if __name__ == "__main__":
    main()
