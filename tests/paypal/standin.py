"""A local stand-in for PayPal on loopback: the checkout page, IPNs, and the IPN verification answer.

It answers VERIFIED only for IPN bodies it issued itself (byte for byte), like PayPal, and counts
how often each body was posted back. Its checkout page posts a genuine IPN to the notify_url it
was given and sends the browser back to the return URL.
"""

import html
import itertools
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

VALIDATE = b"cmd=_notify-validate&"


class PayPalStandIn:
    def __init__(self):
        self.issued = set()
        self.verifications = []
        self.answer_override = None  # e.g. "ERROR" to play an unreachable PayPal
        self._numbers = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=b"", content_type="text/plain", headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 - the checkout page
                query = dict(parse_qsl(urlparse(self.path).query))
                hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                                 for k, v in query.items())
                page = (f"<html><body><h1>PayPal stand-in</h1><p id='summary'>Pay {html.escape(query.get('amount', ''))} "
                        f"{html.escape(query.get('currency_code', ''))} to {html.escape(query.get('business', ''))}</p>"
                        f"<form method='post' action='/pay'>{hidden}<button id='pay-now' type='submit'>Pay now</button>"
                        "</form></body></html>").encode()
                self._send(200, page, "text/html")

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path.startswith("/pay"):
                    fields = dict(parse_qsl(body.decode()))
                    ipn = standin.issue(txn_type="web_accept", payment_status="Completed",
                                        receiver_email=fields.get("business", ""), mc_gross=fields.get("amount", ""),
                                        mc_currency=fields.get("currency_code", ""), custom=fields.get("custom", ""),
                                        payer_email="buyer@example.com")
                    request = urllib.request.Request(fields["notify_url"], data=ipn, method="POST", headers={
                        "Content-Type": "application/x-www-form-urlencoded"})
                    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                        response.read()
                    self._send(302, headers={"Location": fields.get("return", "/")})
                    return
                if not body.startswith(VALIDATE):
                    self._send(400, b"bad request")
                    return
                original = body[len(VALIDATE):]
                standin.verifications.append(original)
                if standin.answer_override:
                    self._send(200, standin.answer_override.encode())
                    return
                self._send(200, b"VERIFIED" if original in standin.issued else b"INVALID")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webscr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def issue(self, **fields) -> bytes:
        """A genuine IPN body (PayPal would verify it)."""
        fields.setdefault("txn_id", f"STANDIN{next(self._numbers):06d}")
        fields.setdefault("charset", "utf-8")
        body = urlencode(fields).encode()
        self.issued.add(body)
        return body

    def verification_count(self, body) -> int:
        return sum(1 for posted in self.verifications if posted == body)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
