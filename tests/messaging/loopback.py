"""Real SMTP and HTTP servers on 127.0.0.1 standing in for the mail relay and Twilio's API."""

import json
import logging
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from twilio.http.http_client import TwilioHttpClient

logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingSmtpHandler:
    """Keeps every accepted mail; can refuse recipients or answer with a given code N times."""

    def __init__(self):
        self.mails = []
        self.refuse = {}  # address -> "550 ..." reply
        self.fail_next = []  # replies to give to the next RCPT commands, in order

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_next:
            return self.fail_next.pop(0)
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "message": message})
        return "250 Message accepted for delivery"

    def to_addresses(self):
        return [address for mail in self.mails for address in mail["to"]]


class SmtpServer:
    def __init__(self):
        self.handler = RecordingSmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class TwilioApiServer(ThreadingHTTPServer):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio, recording each request."""

    daemon_threads = True

    def __init__(self):
        self.requests = []
        self.responses = []  # (status, json body) to give to the next requests, in order
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", free_port()), TwilioRequestHandler)
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


class TwilioRequestHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        server = self.server
        length = int(self.headers.get("Content-Length", 0))
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        with server.lock:
            server.requests.append({"path": urlsplit(self.path).path, "form": form, "at": time.monotonic(),
                                    "authorization": self.headers.get("Authorization", "")})
            number = len(server.requests)
            status, body = server.responses.pop(0) if server.responses else (201, None)
        if body is None:
            body = {"sid": f"SM{number:032x}", "status": "queued", "to": form.get("To"),
                    "from": form.get("From"), "body": form.get("Body")}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class LoopbackTwilioHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to the loopback server instead of api.twilio.com."""

    base_url = None

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        url = f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)
