"""The switch's call-control API: authorize, answer, end, live calls, and the event stream that
writes attempts, live calls and CDRs to PostgreSQL."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from calls import live
from calls.events import call_events_drain
from calls.models import CallAttempt, LiveCall
from calls.services import call_authorize, call_end, live_state_restore
from customers.models import Customer
from ledger.models import LedgerEntry
from summaries.models import CallDetailRecord, CdrImport, PendingRollupHour
from tests.calls.conftest import wipe_live_state
from tests.factories import IpAuthEntryFactory
from tests.routing.helpers import customer_with_route, provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("live_state", "fresh_caches")]

IP = "198.51.100.7"


@pytest.fixture
def switch_api(api_client):
    return api_client("calls.switch_call", "calls.view_livecall", "customers.view_all_customers",
                      scopes=["switch", "read"])


@pytest.fixture
def acme():
    provider({"4479": "0.0600", "44": "0.0050"}, name="Cheap")
    customer, route = customer_with_route(balance="1.00")
    customer.channels, customer.flow_speed = 2, 0
    customer.save()
    IpAuthEntryFactory(customer=customer, address=IP)
    return customer


def authorize(api, call_id, dialed="447911123456", ip=IP, **extra):
    answer = api.post("/api/v1/calls/authorize", {"call_id": call_id, "source_ip": ip, "dialed": dialed,
                                                  "cli": "442071234567", **extra}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def end(api, call_id, duration=42, sip_code=200, **extra):
    answer = api.post(f"/api/v1/calls/{call_id}/end", {"duration": duration, "sip_code": sip_code, **extra},
                      format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_an_allowed_call_answered_and_ended_writes_one_rated_cdr_into_the_ledger_and_rollup(switch_api, acme):
    decision = authorize(switch_api, "c1@198.51.100.7")
    assert decision["allowed"] is True
    assert decision["routes"][0]["cost_rate"] == "0.060000"
    # Balance 1.00, rate 0.12/min + 0.01 connect on 30/6: (1.00 - 0.01) / 0.12 * 60 = 495 s, on the grid 492.
    assert decision["max_duration"] == 492
    answered = switch_api.post("/api/v1/calls/c1%40198.51.100.7/answer", {"h_entry": 1, "h_id": 2, "gateway":
                               str(decision["routes"][0]["gateway"])}, format="json")
    assert answered.json()["status"] == "answered"
    live_now = switch_api.get(f"/api/v1/calls/live?customer={acme.pk}").json()["results"]
    assert [row["call_id"] for row in live_now] == ["c1@198.51.100.7"]

    cdr = end(switch_api, "c1@198.51.100.7", duration=42)
    # 42 s on 30/6 bills 42 s: 0.01 + 0.12 * 42 / 60 = 0.094
    assert (cdr["status"], cdr["billed_duration"], Decimal(cdr["charge"])) == ("ended", 42, Decimal("0.094"))
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 0
    assert not CallDetailRecord.objects.exists()  # the API does not wait for PostgreSQL

    assert call_events_drain() == 3
    stored = CallDetailRecord.objects.get(call_id="c1@198.51.100.7")
    assert (stored.duration, stored.billed_duration, stored.charge) == (42, 42, Decimal("0.094000"))
    assert stored.cost == Decimal("0.042000")  # 0.06/min for 42 s at the provider
    acme.refresh_from_db()
    assert acme.balance == Decimal("0.906000")
    entry = LedgerEntry.objects.get(customer=acme)
    assert entry.source.origin == CdrImport.Origin.SWITCH and "Switch calls" in entry.description
    assert PendingRollupHour.objects.exists()
    attempt = CallAttempt.objects.get(call_id="c1@198.51.100.7")
    assert attempt.allowed and not attempt.simulated and attempt.trace
    assert not LiveCall.objects.exists()


def test_a_repeated_end_changes_nothing_and_answers_the_same_cdr(switch_api, acme):
    authorize(switch_api, "c2")
    first = end(switch_api, "c2", duration=10)
    again = end(switch_api, "c2", duration=99, sip_code=487)
    assert first == again
    call_events_drain()
    assert CallDetailRecord.objects.get(call_id="c2").duration == 10
    acme.refresh_from_db()
    assert acme.balance == Decimal("1") - Decimal("0.07")  # minimum 30 s: 0.01 + 0.06


def test_a_repeated_authorize_answers_the_stored_decision_without_a_second_channel(switch_api, acme):
    first = authorize(switch_api, "c3")
    assert authorize(switch_api, "c3") == first
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 1
    call_events_drain()
    assert CallAttempt.objects.filter(call_id="c3").count() == 1


def test_the_third_concurrent_call_of_a_customer_with_two_channels_is_refused_with_503(switch_api, acme):
    assert authorize(switch_api, "a")["allowed"] and authorize(switch_api, "b")["allowed"]
    third = authorize(switch_api, "c")
    assert (third["allowed"], third["sip_code"], third["step"]) == (False, 503, "channels")
    end(switch_api, "a")
    assert authorize(switch_api, "d")["allowed"]
    call_events_drain()
    refused = CallAttempt.objects.get(call_id="c")
    assert (refused.allowed, refused.sip_code) == (False, 503)
    assert "channel limit reached" in refused.reason


def test_calls_above_the_cps_limit_are_refused_with_503(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(channels=100, flow_speed=2)
    from calls.models import CallOptions

    CallOptions.objects.update_or_create(pk=1, defaults={"cps_burst_percent": 0})
    answers = [authorize(switch_api, f"burst-{n}") for n in range(4)]
    assert [a["allowed"] for a in answers] == [True, True, False, False]
    assert {a["sip_code"] for a in answers[2:]} == {503} and answers[2]["step"] == "cps"


def test_an_inactive_customer_is_refused_with_403_and_a_number_without_rate_with_404(switch_api, acme):
    refused = authorize(switch_api, "no-rate", dialed="99912345")
    assert (refused["allowed"], refused["sip_code"]) == (False, 404)
    Customer.objects.filter(pk=acme.pk).update(status=Customer.Status.INACTIVE)
    refused = authorize(switch_api, "inactive")
    assert (refused["allowed"], refused["sip_code"], refused["reason"]) == (False, 403, "status not active (Inactive)")
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 0


def test_live_calls_hold_their_minimum_charge_so_max_duration_shrinks_and_credit_runs_out(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(channels=100, balance=Decimal("0.20"))
    # Each call holds 0.07; 0.20 admits two (0.20, 0.13 left before each), not a third (0.06 left).
    first, second, third = (authorize(switch_api, f"credit-{n}") for n in range(3))
    assert first["max_duration"] == 90  # (0.20 - 0.01) / 0.12 * 60 = 95 → 90 on 30/6
    assert second["max_duration"] == 60  # (0.13 - 0.01) / 0.12 * 60 = 60
    assert (third["allowed"], third["sip_code"]) == (False, 402)
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 2  # the refusal took no channel


def test_an_allowed_call_stores_its_decision_live_info_and_attempt_with_the_reservation(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(balance=Decimal("1000"))  # credit is not the limit
    first = authorize(switch_api, "rich-1")
    assert first["allowed"] and first["max_duration"] == 7200  # the route's max duration
    assert authorize(switch_api, "rich-1") == first  # a repeat: the stored decision, nothing more taken
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 1
    assert live.credit_held(acme.pk) == Decimal("0.07")
    assert [row["call_id"] for row in switch_api.get("/api/v1/calls/live").json()["results"]] == ["rich-1"]
    assert call_events_drain() == 1
    attempt = CallAttempt.objects.get(call_id="rich-1")
    assert attempt.allowed and attempt.sip_code == 200 and attempt.result == first and attempt.trace
    assert LiveCall.objects.get(call_id="rich-1").info["max_duration"] == 7200


def test_a_refused_call_stores_no_live_call_and_holds_nothing(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(balance=Decimal("1000"), channels=1)
    assert authorize(switch_api, "one")["allowed"]
    refused = authorize(switch_api, "two")
    assert (refused["allowed"], refused["sip_code"], refused["step"]) == (False, 503, "channels")
    assert live.live_redis().get(live._info_key("two")) is None
    assert live.credit_held(acme.pk) == Decimal("0.07")  # the first call's hold only
    assert [row["call_id"] for row in switch_api.get("/api/v1/calls/live").json()["results"]] == ["one"]
    assert call_events_drain() == 2
    assert not CallAttempt.objects.get(call_id="two").allowed
    assert list(LiveCall.objects.values_list("call_id", flat=True)) == ["one"]


def test_the_credit_threshold_never_lets_credit_that_would_shorten_a_call_pass():
    import math
    import random

    from calls.services import _credit_threshold
    from routing.engine import billed_cap

    rng = random.Random(7)
    for _ in range(3000):
        per_min = Decimal(rng.choice(["0.000001", "0.0050", "0.12", "1.5", "37.123456"]))
        connect = Decimal(rng.choice(["0", "0.01", "0.333333"]))
        mcd, pulse = rng.choice([0, 1, 6, 30, 60]), rng.choice([1, 6, 30, 60])
        cap = rng.choice([0, 1, 5, 59, 60, 61, 3600, 7200])
        threshold = _credit_threshold(cap, per_min, connect, mcd, pulse)
        assert threshold is not False
        for left_us in (threshold, threshold + 1, threshold + rng.randrange(10**9), math.ceil(threshold * 1.5)):
            left = Decimal(left_us) / live.MICRO
            covered = int((left - connect) / per_min * 60)
            assert max(min(cap, billed_cap(covered, mcd, pulse)), 1) == max(cap, 1), (per_min, connect, mcd, pulse,
                                                                                  cap, left)
    assert _credit_threshold(60, Decimal("0"), Decimal("0"), 1, 1) is None  # free calls: never shortened


def test_an_end_for_a_call_never_authorized_is_recorded_and_flagged(switch_api, acme):
    answer = end(switch_api, "ghost@203.0.113.9", duration=5)
    assert answer == {"call_id": "ghost@203.0.113.9", "status": "unknown", "flagged": True}
    assert end(switch_api, "ghost@203.0.113.9", duration=5) == answer
    call_events_drain()
    flagged = CallAttempt.objects.get(call_id="ghost@203.0.113.9")
    assert flagged.flag == CallAttempt.Flag.END_WITHOUT_AUTHORIZE
    assert not CallDetailRecord.objects.exists()


def test_a_lost_end_frees_the_channel_at_expiry(switch_api, acme):
    import time

    assert authorize(switch_api, "lost-1")["allowed"] and authorize(switch_api, "lost-2")["allowed"]
    assert not authorize(switch_api, "lost-3")["allowed"]
    later = time.time() + 301  # unanswered calls expire after 300 s
    assert live.live_channels_in_use(f"customer:{acme.pk}", now=later) == 0
    assert live.live_reserve(call_id="x", scopes=[live.Scope(f"customer:{acme.pk}", channels=2)], ttl=10,
                             now=later).allowed


def test_a_late_end_after_expiry_still_writes_the_cdr(switch_api, acme):
    authorize(switch_api, "late")
    call_events_drain()
    wipe_live_state(live.PREFIX)  # the call expired from Redis (or Redis lost it)
    cdr = end(switch_api, "late", duration=30)
    assert cdr["status"] == "ended"
    call_events_drain()
    assert CallDetailRecord.objects.filter(call_id="late").exists()


def test_redis_restart_rebuilds_channels_and_credit_from_the_live_call_records(switch_api, acme):
    authorize(switch_api, "r1")
    authorize(switch_api, "r2")
    call_events_drain()
    wipe_live_state(live.PREFIX)
    assert not live.live_state_present()
    call_events_drain()  # every drain first restores a lost live state
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 2
    assert live.credit_held(acme.pk) == Decimal("0.14")
    assert not authorize(switch_api, "r3")["allowed"]
    end(switch_api, "r1")
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 1
    assert live_state_restore() == 1  # idempotent: r2 only
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 1
    assert [row["call_id"] for row in switch_api.get("/api/v1/calls/live").json()["results"]] == ["r2"]


def test_a_drain_that_dies_before_acknowledging_loses_nothing_and_duplicates_nothing(switch_api, acme):
    authorize(switch_api, "k1")
    end(switch_api, "k1", duration=12)
    client = live.live_redis()
    from calls.events import GROUP, _apply, _ensure_group

    _ensure_group(client, live.events_key())
    read = client.xreadgroup(GROUP, "dead-worker", {live.events_key(): ">"}, count=100)
    import json

    _apply([json.loads(fields["e"]) for _, fields in read[0][1]])  # written, then the worker died
    assert call_events_drain(consumer="next-worker", claim_idle_ms=0) == 2
    assert CallDetailRecord.objects.filter(call_id="k1").count() == 1
    assert CallAttempt.objects.filter(call_id="k1").count() == 1
    acme.refresh_from_db()
    assert acme.balance == Decimal("1") - Decimal("0.07")
    assert client.xlen(live.events_key()) == 0


def test_the_live_list_shows_each_customers_calls(switch_api, acme):
    authorize(switch_api, "l1")
    rows = switch_api.get("/api/v1/calls/live").json()["results"]
    assert [(row["call_id"], row["customer"], row["dialed"]) for row in rows] == [("l1", acme.pk, "447911123456")]
    assert switch_api.get("/api/v1/calls/live?customer=abc").status_code == 400


def test_bad_input_is_a_400_next_to_the_field(switch_api, acme):
    answer = switch_api.post("/api/v1/calls/authorize", {"call_id": "x", "dialed": "44abc"}, format="json")
    assert answer.status_code == 400 and "dialed" in answer.json()
    answer = switch_api.post("/api/v1/calls/x/end", {"duration": -1}, format="json")
    assert answer.status_code == 400 and {"duration", "sip_code"} <= set(answer.json())


def test_authorize_works_after_redis_lost_its_scripts(switch_api, acme, monkeypatch):
    from django.conf import settings

    authorize_script = live._authorize_script_for(settings.REDIS_URL)
    for script in (live._scripts().reserve, live._more_scripts_for(settings.REDIS_URL)[0], authorize_script):
        monkeypatch.setattr(script, "sha", "0" * 40)  # what Redis answers NOSCRIPT to, as after a restart
    answer = authorize(switch_api, "after-restart")
    assert answer["allowed"] and answer["max_duration"] == 492
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 1
    assert live.credit_held(acme.pk) == Decimal("0.07")


def test_a_token_without_the_switch_scope_is_refused(api_client, acme):
    reader = api_client("calls.switch_call", scopes=["read", "write"])
    answer = reader.post("/api/v1/calls/authorize", {"call_id": "x", "dialed": "4479"}, format="json")
    assert answer.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_counters_stay_exact_under_concurrent_authorize_and_end_from_many_threads(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(channels=5, balance=Decimal("1000"))
    results, lock = [], threading.Lock()

    def one(n):
        try:
            call_id = f"t{n}"
            answer = call_authorize(call_id=call_id, dialed="447911123456", source_ip=IP)
            if answer["allowed"]:
                with lock:
                    results.append(call_id)
                if n % 3:  # two in three end (some twice), one in three is left live
                    call_end(call_id=call_id, duration=0, sip_code=487)
                    call_end(call_id=call_id, duration=0, sip_code=487)
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(60)))
    still = [c for c in results if not int(c[1:]) % 3]
    assert live.live_channels_in_use(f"customer:{acme.pk}") == len(still) <= 5
    held = live.credit_held(acme.pk)
    assert held == Decimal("0.07") * len(still)
    for call_id in still:
        call_end(call_id=call_id, duration=0, sip_code=487)
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 0
    assert live.credit_held(acme.pk) == 0


def test_an_event_refused_on_its_own_data_is_set_aside_and_the_rest_are_written(switch_api, acme, staff_client):
    import json

    from calls.events import failed_events_key

    authorize(switch_api, "good-1")
    client = live.live_redis()
    client.xadd(live.events_key(), {"e": json.dumps({"kind": "authorize", "call_id": "broken-1"})})  # no time
    end(switch_api, "good-1", duration=12)

    assert call_events_drain() == 2

    assert CallDetailRecord.objects.filter(call_id="good-1").count() == 1
    assert client.xlen(live.events_key()) == 0  # nothing left to block the next drain
    (_, fields), = client.xrange(failed_events_key())
    assert json.loads(fields["e"])["call_id"] == "broken-1" and fields["error"].startswith("KeyError")
    page = staff_client.get("/settings/health/").content.decode()
    assert "1 set aside (24 h)" in page and "call broken-1: KeyError" in page


def test_postgresql_reads_authorize_events_into_the_same_rows_as_python(switch_api, acme):
    from calls.events import _apply, _apply_raw
    from calls.services import _dumps

    Customer.objects.filter(pk=acme.pk).update(balance=Decimal("0.20"), channels=100)
    for n in range(3):  # two allowed (one with its max duration cut by the credit), one refused for credit
        authorize(switch_api, f"same-{n}", cli="44 20 7\\1\"\tx", pai="+4420é")
    authorize(switch_api, "same-nope", dialed="99912345")  # no rate
    client = live.live_redis()
    raws = [fields["e"] for _, fields in client.xrange(live.events_key())]
    # Text the switch may send: long, quoted, escaped, beyond ASCII; a time on a half microsecond.
    event = json.loads(raws[0])
    raws.append(_dumps({**event, "call_id": "x" * 230, "dialed": "9" * 80, "sip_user": None, "at": 1796062917.4999995,
                        "live": None}).decode())

    def rows():
        attempts = list(CallAttempt.objects.order_by("call_id").values(*[f.name for f in CallAttempt._meta.fields
                                                                          if f.name != "id"]))
        lives = list(LiveCall.objects.order_by("call_id").values())
        return attempts, lives

    _apply([json.loads(raw) for raw in raws])
    by_python = rows()
    CallAttempt.objects.all().delete()
    LiveCall.objects.all().delete()
    _apply_raw(raws)
    assert rows() == by_python
    assert len(by_python[0]) == 5 and len(by_python[1]) == 2


def test_an_authorize_event_postgresql_cannot_take_as_written_is_written_or_set_aside_by_python(switch_api, acme):
    from calls.events import failed_events_key

    authorize(switch_api, "fine-1")
    client = live.live_redis()
    client.xadd(live.events_key(), {"e": '{"kind":"authorize","call_id":"no-time","allowed":true,"sip_code":200}'})
    event = json.loads(client.xrange(live.events_key())[0][1]["e"])
    client.xadd(live.events_key(), {"e": json.dumps({**event, "call_id": "dialed-0", "dialed": 0},
                                                    separators=(",", ":"))})
    assert call_events_drain() == 2
    assert set(CallAttempt.objects.values_list("call_id", flat=True)) == {"fine-1", "dialed-0"}
    assert CallAttempt.objects.get(call_id="dialed-0").dialed == ""  # as the Python rows read a falsy number
    (_, fields), = client.xrange(failed_events_key())
    assert json.loads(fields["e"])["call_id"] == "no-time" and fields["error"].startswith("KeyError")


def test_a_change_since_the_versions_were_last_read_is_seen_before_anything_is_taken_or_stored(switch_api, acme):
    from routing.cache import accounts_changed

    Customer.objects.filter(pk=acme.pk).update(balance=Decimal("1000"), channels=10)
    for n in range(2):
        authorize(switch_api, f"before-{n}")  # the versions are read, then assumed
    Customer.objects.filter(pk=acme.pk).update(status=Customer.Status.INACTIVE)
    accounts_changed([acme.pk])
    refused = authorize(switch_api, "while-inactive")  # the assumed account version is stale: read again
    assert (refused["allowed"], refused["sip_code"]) == (False, 403)
    Customer.objects.filter(pk=acme.pk).update(status=Customer.Status.ACTIVE)
    accounts_changed([acme.pk])
    # Decided on the process's inactive account, the refusal is not stored: its versions are checked first.
    again = authorize(switch_api, "after-reactivation")
    assert again["allowed"] is True
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 3
    assert authorize(switch_api, "after-reactivation") == again
    call_events_drain()
    assert CallAttempt.objects.filter(call_id="after-reactivation").count() == 1
    assert CallAttempt.objects.get(call_id="after-reactivation").allowed
    assert CallAttempt.objects.filter(call_id="while-inactive").count() == 1


def test_authorize_keeps_its_declared_permission_on_the_lean_path(api_client, acme):
    from apitokens.services import api_token_revoke

    body = {"call_id": "refused", "source_ip": IP, "dialed": "447911123456", "cli": "442071234567"}
    without_permission = api_client(scopes=["switch"])
    assert without_permission.post("/api/v1/calls/authorize", body, format="json").status_code == 403
    switch = api_client("calls.switch_call", scopes=["switch"])
    switch.user.is_active = False
    switch.user.save()
    assert switch.post("/api/v1/calls/authorize", body, format="json").status_code == 401
    revoked = api_client("calls.switch_call", scopes=["switch"])
    api_token_revoke(api_token=revoked.token)
    assert revoked.post("/api/v1/calls/authorize", body, format="json").status_code == 401
    revoked.credentials(HTTP_AUTHORIZATION="Bearer cx_nope_nope")
    assert revoked.post("/api/v1/calls/authorize", body, format="json").status_code == 401
    revoked.credentials()
    assert revoked.post("/api/v1/calls/authorize", body, format="json").status_code in (401, 403)
    assert live.live_channels_in_use(f"customer:{acme.pk}") == 0  # nothing refused took a channel


def test_a_body_left_to_the_serializer_gets_the_same_decision_as_a_switch_s_plain_one(switch_api, acme):
    Customer.objects.filter(pk=acme.pk).update(channels=5)
    plain = authorize(switch_api, "plain-1")
    validated = authorize(switch_api, "validated-1", cli=" 442071234567 ")  # trimmed by the serializer
    assert plain["allowed"] and validated["allowed"] and validated["call_id"] == "validated-1"
    assert {k: v for k, v in plain.items() if k not in ("call_id", "max_duration")} == \
        {k: v for k, v in validated.items() if k not in ("call_id", "max_duration")}
    answer = switch_api.post("/api/v1/calls/authorize", {"call_id": "form-1", "source_ip": IP,
                                                         "dialed": "447911123456"})  # multipart: the view
    assert answer.status_code == 200 and answer.json()["allowed"]


def test_an_authorize_reads_the_token_and_routing_versions_together_and_still_sees_each_change(
        own_versions, switch_api, acme, monkeypatch):
    import redis

    sent = []
    original = redis.connection.AbstractConnection.send_packed_command
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command",
                        lambda self, *args, **kwargs: sent.append(1) or original(self, *args, **kwargs))
    Customer.objects.filter(pk=acme.pk).update(balance=Decimal("1000"), channels=10)  # credit is not the limit
    authorize(switch_api, "warm-up")  # loads the token, the snapshot and the account (and sets their versions)
    sent.clear()
    assert authorize(switch_api, "warm-up-2")["allowed"] is True
    # The versions (token, snapshot, account) in one read; then one script for the limits, the credit
    # hold and the stored decision, live info and event.
    assert len(sent) == 2
    sent.clear()
    assert authorize(switch_api, "steady")["allowed"] is True
    # Versions read before are assumed: the script checks them before it takes or writes anything.
    assert len(sent) == 1
    sent.clear()
    assert authorize(switch_api, "steady") == authorize(switch_api, "steady")  # a repeat: one script each
    assert len(sent) == 2

    Customer.objects.filter(pk=acme.pk).update(status=Customer.Status.INACTIVE)
    from routing.cache import accounts_changed

    accounts_changed([acme.pk])
    assert authorize(switch_api, "after-change")["sip_code"] == 403
    from apitokens.services import api_token_revoke

    api_token_revoke(api_token=switch_api.token)
    assert switch_api.post("/api/v1/calls/authorize", {"call_id": "revoked", "source_ip": IP,
                                                       "dialed": "447911123456"}, format="json").status_code == 401


def test_a_request_run_again_on_fresh_versions_keeps_its_round_robin_turn(own_versions, switch_api):
    provider({"4479": "0.0500"}, name="First")
    provider({"4479": "0.0600"}, name="Second")
    customer, _ = customer_with_route(balance="1000", strategy="round_robin")
    IpAuthEntryFactory(customer=customer, address="198.51.100.8")
    from routing.cache import routing_changed

    def first_provider(call_id):
        answer = authorize(switch_api, call_id, ip="198.51.100.8")
        assert answer["allowed"], answer
        return answer["routes"][0]["provider"]

    first_provider("rr-warm")  # sets the versions this thread then takes as read
    firsts = [first_provider("rr-1")]
    routing_changed()  # the next request's assumed routing version is stale: it runs twice
    firsts.append(first_provider("rr-2"))
    firsts.append(first_provider("rr-3"))
    assert firsts[0] != firsts[1] and firsts[2] == firsts[0]
