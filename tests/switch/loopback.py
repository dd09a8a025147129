"""A loopback HTTP server standing in for the panel's call-control endpoints, and process runners
for Kamailio and SIPp on free loopback ports."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
KAMAILIO_CFG = ROOT / "deploy" / "kamailio" / "kamailio.cfg"
SIPP_DIR = ROOT / "deploy" / "sipp"
PANEL_TOKEN = "switch-test-token"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_udp_port():
    return free_port(socket.SOCK_DGRAM)


def wait_for(predicate, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def allowed(*routes, max_duration=3600, dialed=None, cli=None, pai=None):
    """An authorize answer admitting the call over the given routes (uri, gateway) in order."""
    return {
        "allowed": True,
        "routes": [{"provider": 1, "gateway": gateway, "uri": uri, "cost_rate": "0.0100"}
                   for uri, gateway in routes],
        "dialed": dialed, "cli": cli, "pai": pai, "max_duration": max_duration,
        "rate": {"prefix": "44", "per_min": "0.0200"},
    }


def refused(sip_code, reason):
    return {"allowed": False, "sip_code": sip_code, "reason": reason, "reasons": [reason]}


class PanelStandIn(ThreadingHTTPServer):
    """Answers /api/v1/calls/authorize with scripted decisions and records every request.

    `decide(request) -> dict | (status, dict) | (status, dict, delay_seconds)` gives the answer.
    """

    daemon_threads = True

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        self.decide = lambda request: refused(403, "No decision scripted")
        super().__init__(("127.0.0.1", free_port()), PanelRequestHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def of_kind(self, kind):
        with self.lock:
            return [request for request in self.requests if request["kind"] == kind]

    def wait_for(self, kind, count=1, timeout=5.0):
        found = wait_for(lambda: len(self.of_kind(kind)) >= count and self.of_kind(kind), timeout)
        assert found and len(found) >= count, f"expected {count} {kind} request(s), got {self.requests}"
        return found


class PanelRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        path = urlsplit(self.path).path
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode(errors="replace")}
        match = re.fullmatch(r"/api/v1/calls/(?:(authorize)|([^/]+)/(answer|end))", path)
        kind = (match.group(1) or match.group(3)) if match else "unknown"
        request = {"kind": kind, "path": path, "call_id": unquote(match.group(2)) if match and match.group(2) else None,
                   "body": body, "at": time.monotonic(), "authorization": self.headers.get("Authorization", ""),
                   "content_type": self.headers.get("Content-Type", "")}
        with server.lock:
            server.requests.append(request)
        status, answer, delay = 200, {"ok": True}, 0
        if kind == "authorize":
            decision = server.decide(body)
            if isinstance(decision, tuple):
                status, answer, *rest = decision
                delay = rest[0] if rest else 0
            else:
                answer = decision
        elif kind == "unknown":
            status, answer = 404, {"detail": "Not found."}
        if delay:
            time.sleep(delay)
        payload = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the switch gave up waiting


class Kamailio:
    """deploy/kamailio/kamailio.cfg in the foreground on free loopback ports."""

    def __init__(self, workdir, panel_url, panel_timeout=1, sip_children=2, token=PANEL_TOKEN):
        self.workdir = Path(workdir)
        self.token = token
        self.sip_port = free_udp_port()
        self.rpc_port = free_port()
        self.panel_url = panel_url
        self.panel_timeout = panel_timeout
        self.sip_children = sip_children
        self.log_path = self.workdir / "kamailio.log"
        self.process = None

    def __enter__(self):
        rundir = self.workdir / "run"
        rundir.mkdir(parents=True, exist_ok=True)
        command = [
            "kamailio", "-DD", "-E", "-f", str(KAMAILIO_CFG), "-Y", str(rundir), "-P", str(rundir / "kamailio.pid"),
            "-m", "48", "-M", "8",
            "-A", f"SIP_PORT={self.sip_port}", "-A", f"RPC_PORT={self.rpc_port}",
            "-A", f'PANEL_URL="{self.panel_url}"', "-A", f'PANEL_TOKEN="{self.token}"',
            "-A", f"PANEL_TIMEOUT={self.panel_timeout}", "-A", f"SIP_CHILDREN={self.sip_children}",
            "-A", f"LOG_LEVEL={os.environ.get('KAMAILIO_LOG_LEVEL', '2')}",
        ]
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for(self._answers_rpc, timeout=10):
            self.stop()
            raise RuntimeError(f"Kamailio did not start:\n{self.log_text()[-3000:]}")
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def _answers_rpc(self):
        try:
            return self.rpc("core.version") is not None
        except OSError:
            return False

    def rpc(self, method, *params):
        """JSON-RPC 2.0 over HTTP, as the panel calls it."""
        import urllib.request

        payload = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.rpc_port}/RPC", data=payload,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def log_text(self):
        return self.log_path.read_text(errors="replace")


class Sipp:
    """One SIPp process running a scenario of deploy/sipp/ on a free loopback port."""

    def __init__(self, workdir, scenario, *args, ip="127.0.0.1", remote=None, trace=True):
        """`args` are SIPp's own options; with `trace` every message is kept to read back what arrived."""
        self.workdir = Path(workdir)
        self.port = free_udp_port()
        self.ip = ip
        self.name = f"{Path(scenario).stem}-{self.port}"
        self.log_path = self.workdir / f"{self.name}.log"
        self.actions_path = self.workdir / f"{self.name}-actions.log"
        self.messages_path = self.workdir / f"{self.name}-messages.log"
        tracing = ["-trace_msg", "-message_file", str(self.messages_path)] if trace else []
        command = ["sipp", "-sf", str(SIPP_DIR / scenario), "-i", ip, "-p", str(self.port),
                   "-mp", str(free_udp_port()), "-nostdin", "-trace_logs", "-log_file", str(self.actions_path),
                   "-trace_err", "-error_file", str(self.workdir / f"{self.name}-errors.log"), *tracing, *args]
        if remote:
            command.append(remote)
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def uri_host(self):
        return f"{self.ip}:{self.port}"

    def wait(self, timeout=15):
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if not self.log.closed:
            self.log.close()

    def final_codes(self):
        text = self.actions_path.read_text() if self.actions_path.exists() else ""
        return [int(code) for code in re.findall(r"final: SIP/2\.0 (\d{3})", text)]

    def received_invites(self):
        """The INVITEs this SIPp received, as {header name (lower case): value} plus "request-line"."""
        text = self.messages_path.read_text(errors="replace") if self.messages_path.exists() else ""
        invites = []
        for block in re.split(r"^-{20,}.*$", text, flags=re.MULTILINE):
            head, _, message = block.partition(" message received ")
            lines = message.partition("\n\n")[2].splitlines()
            if not lines or not lines[0].startswith("INVITE "):
                continue
            headers = {"request-line": lines[0]}
            for line in lines[1:]:
                if not line.strip():
                    break
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            invites.append(headers)
        return invites

    def errors(self):
        path = self.workdir / f"{self.name}-errors.log"
        return path.read_text(errors="replace") if path.exists() else ""
