"""Dialogs (card tab and page), End call through the switch, Settings → Switches and → Calls,
attempt retention and the live Channels in use figure."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from calls.events import call_events_drain, channels_in_use_sync
from calls.models import CallAttempt, CallOptions, Switch
from calls.services import call_answer, call_attempts_purge, call_authorize
from tests.factories import CallAttemptFactory, IpAuthEntryFactory, StaffFactory
from tests.routing.helpers import customer_with_route, provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_state", "fresh_caches")]

IP = "198.51.100.7"


@pytest.fixture
def acme():
    provider({"44": "0.0050"}, name="Cheap")
    customer, _ = customer_with_route(balance="5")
    IpAuthEntryFactory(customer=customer, address=IP)
    return customer


class RpcServer(ThreadingHTTPServer):
    """A stand-in for Kamailio's jsonrpcs: records each call and answers `reply`."""

    daemon_threads = True

    def __init__(self):
        self.calls, self.reply = [], {"jsonrpc": "2.0", "result": None, "id": 1}
        super().__init__(("127.0.0.1", 0), RpcHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/RPC"


class RpcHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.server.calls.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        body = json.dumps(self.server.reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def rpc():
    server = RpcServer()
    yield server
    server.shutdown()
    server.server_close()


def place(call_id, answered=True):
    assert call_authorize(call_id=call_id, dialed="447911123456", cli="442071234567", source_ip=IP,
                          switch_ip="192.0.2.10")["allowed"]
    if answered:
        call_answer(call_id=call_id, h_entry=11, h_id=22, gateway="1")


def test_the_card_dialogs_tab_lists_the_customers_live_calls_and_refreshes_itself(staff_client, acme):
    place("d1@198.51.100.7")
    page = staff_client.get(f"/customers/{acme.pk}/tab/dialogs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "d1@198.51.100.7" in text and "447911123456" in text and 'hx-trigger="every 3s"' in text
    assert "1 / 10" in text  # live calls / channels
    refreshed = staff_client.get(f"/calls/customer/{acme.pk}/dialogs/", HTTP_HX_REQUEST="true")
    assert "d1@198.51.100.7" in refreshed.content.decode()


def test_the_dialogs_page_lists_every_customer_an_account_manager_only_their_own(client, staff_client, acme):
    place("mine")
    other, _ = customer_with_route()
    IpAuthEntryFactory(customer=other, address="198.51.100.8")
    assert call_authorize(call_id="theirs", dialed="447911123456", source_ip="198.51.100.8")["allowed"]
    text = staff_client.get("/calls/dialogs/").content.decode()
    assert "mine" in text and "theirs" in text
    manager = StaffFactory(username="am", groups=["Account manager"])
    acme.account_manager = manager
    acme.save()
    client.force_login(manager)
    text = client.get("/calls/dialogs/").content.decode()
    assert "mine" in text and "theirs" not in text


def test_end_call_asks_the_calls_switch_over_json_rpc(staff_client, acme, rpc):
    Switch.objects.create(name="Edge", address="192.0.2.10", rpc_url=rpc.url)
    place("e1")
    response = staff_client.post("/calls/dialogs/end/", {"call_id": "e1", "next": "/calls/dialogs/"}, follow=True)
    assert response.status_code == 200
    assert rpc.calls == [{"jsonrpc": "2.0", "method": "dlg.end_dlg", "params": [11, 22], "id": 1}]
    assert "asked to end call e1" in response.content.decode()


def test_end_call_says_why_when_the_switch_cannot_do_it(staff_client, acme, rpc):
    place("ringing", answered=False)
    response = staff_client.post("/calls/dialogs/end/", {"call_id": "ringing"}, follow=True)
    assert "not reported this call answered" in response.content.decode()
    place("no-switch")
    response = staff_client.post("/calls/dialogs/end/", {"call_id": "no-switch"}, follow=True)
    assert "No switch with address 192.0.2.10" in response.content.decode()
    Switch.objects.create(name="Edge", address="192.0.2.10", rpc_url=rpc.url)
    rpc.reply = {"jsonrpc": "2.0", "error": {"code": 500, "message": "Dialog not found"}, "id": 1}
    response = staff_client.post("/calls/dialogs/end/", {"call_id": "no-switch"}, follow=True)
    assert response.status_code == 200 and "Dialog not found" in response.content.decode()
    response = staff_client.post("/calls/dialogs/end/", {"call_id": "gone"}, follow=True)
    assert "no longer live" in response.content.decode()


def test_support_may_end_calls_read_only_may_not(client, acme):
    place("ro")
    client.force_login(StaffFactory(username="ro", groups=["Read-only"]))
    assert client.post("/calls/dialogs/end/", {"call_id": "ro"}).status_code == 403
    client.force_login(StaffFactory(username="support", groups=["Support"]))
    assert client.post("/calls/dialogs/end/", {"call_id": "ro"}).status_code == 302


def test_switches_are_added_edited_and_deleted_in_settings_with_errors_next_to_the_field(staff_client):
    bad = staff_client.post("/settings/switches/new/", {"name": "Edge", "address": "not-an-ip", "rpc_url": "nope"})
    assert bad.status_code == 422 and not Switch.objects.exists()
    assert "Enter a valid IPv4 or IPv6 address" in bad.content.decode()
    good = staff_client.post("/settings/switches/new/", {"name": "Edge", "address": "192.0.2.10",
                                                         "rpc_url": "http://192.0.2.10:5071/RPC"})
    assert good.status_code == 302
    switch = Switch.objects.get()
    assert "Edge" in staff_client.get("/settings/switches/").content.decode()
    staff_client.post(f"/settings/switches/{switch.pk}/", {"name": "Edge 2", "address": "192.0.2.10",
                                                           "rpc_url": "http://192.0.2.10:5071/RPC"})
    assert Switch.objects.get().name == "Edge 2"
    assert switch.events.count() == 2  # audit trail: created, updated
    staff_client.post(f"/settings/switches/{switch.pk}/delete/")
    assert not Switch.objects.exists()


def test_call_settings_save_and_attempts_older_than_the_retention_are_purged(staff_client, acme):
    response = staff_client.post("/settings/calls/", {"attempt_retention_days": 2, "cps_burst_percent": 50,
                                                      "unanswered_expiry": 300, "end_margin": 60})
    assert response.status_code == 302
    assert CallOptions.get().attempt_retention_days == 2
    now = datetime.now(UTC)
    old = CallAttemptFactory(customer=acme, at=now - timedelta(days=3))
    recent = CallAttemptFactory(customer=acme, at=now - timedelta(days=1))
    assert call_attempts_purge(now=now) == 1
    assert list(CallAttempt.objects.all()) == [recent] and old.pk not in CallAttempt.objects.values_list("pk")


def test_latest_calls_lists_real_attempts_with_reasons(staff_client, acme):
    place("real-1", answered=False)
    acme.status = "inactive"
    acme.save()
    call_authorize(call_id="real-2", dialed="447911123456", source_ip=IP)
    call_events_drain()
    text = staff_client.get(f"/customers/{acme.pk}/tab/calls/").content.decode()
    assert "200 allowed" in text and "403 refused" in text and "status not active" in text


def test_channels_in_use_on_the_card_header_follows_the_live_count(staff_client, acme):
    place("h1")
    place("h2")
    channels_in_use_sync()
    acme.refresh_from_db()
    assert acme.channels_in_use == 2
    assert "2 / 10" in staff_client.get(f"/customers/{acme.pk}/").content.decode()
    from calls.services import call_end

    call_end(call_id="h1", duration=3, sip_code=200)
    call_end(call_id="h2", duration=3, sip_code=200)
    channels_in_use_sync()
    acme.refresh_from_db()
    assert acme.channels_in_use == 0


@pytest.mark.django_db(transaction=True)
def test_the_card_header_shows_the_live_channels_before_any_sync_and_the_stored_figure_without_redis(
        staff_client, acme, monkeypatch):
    import redis

    from calls import live

    place("now-1")
    place("now-2", answered=False)
    page = staff_client.get(f"/customers/{acme.pk}/").content.decode()
    assert 'id="header-channels">2 / 10<' in page  # nothing synced the stored figure yet
    acme.refresh_from_db()
    assert acme.channels_in_use == 0

    def down(*args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    channels_in_use_sync()
    monkeypatch.setattr(live, "live_channels_in_use", down)
    page = staff_client.get(f"/customers/{acme.pk}/").content.decode()
    assert 'id="header-channels">2 / 10<' in page  # the figure the last sync stored


def test_a_call_taken_while_the_sync_drops_its_idle_customer_keeps_it_on_the_dialogs_page(staff_client, acme,
                                                                                          monkeypatch):
    from calls import live
    from calls.services import live_call_list

    client = live.live_redis()
    client.sadd(live.live_customers_key(), acme.pk)  # listed, but its calls have all ended
    remove = client.srem

    def remove_after_a_call(*args):
        place("between")  # an authorize lands after the sync counted none and before it removes
        return remove(*args)

    monkeypatch.setattr(client, "srem", remove_after_a_call)
    channels_in_use_sync()
    assert [row["call_id"] for row in live_call_list()] == ["between"]
    assert "between" in staff_client.get("/calls/dialogs/").content.decode()


@pytest.mark.django_db(transaction=True)  # committed, so that the other connection can lock the row
def test_channels_in_use_sync_skips_a_customer_row_a_cdr_write_holds_and_catches_up_after(acme):
    """A drain debiting the balance holds the customer row; the sync must neither wait for it (two
    drains would deadlock) nor lose the figure."""
    import psycopg
    from django.db import connection

    place("held-1")
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as other:
        other.execute("SELECT 1 FROM customers_customer WHERE id = %s FOR UPDATE", [acme.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '5s'")  # a wait here would fail the test, not hang it
        assert channels_in_use_sync() == 0
        acme.refresh_from_db()
        assert acme.channels_in_use == 0
        other.rollback()
    assert channels_in_use_sync() == 1
    acme.refresh_from_db()
    assert acme.channels_in_use == 1
