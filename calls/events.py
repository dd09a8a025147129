"""The call-event stream: what the switch API writes without waiting for PostgreSQL.

authorize, answer and end append one JSON event each to a Redis stream; `call_events_drain` (a
Celery task every second) reads them through a consumer group in batches and writes each batch in
one transaction — attempts and live-call records of authorize events selected by PostgreSQL from
the events' JSON (others by COPY), answers by one UPDATE, ends through the
CDR import (calls.CDR rows are rated, debited to the ledger and queued for the rollup exactly as an
imported file is) — then acknowledges the batch. Delivery is at least once: a worker that dies
before acknowledging leaves its batch pending, and the next drain claims it after CLAIM_IDLE_MS;
writes are idempotent (CDRs skip a seen call_id, attempts one per call id, live calls by key).
"""

import json
import logging
import os
import socket
import time
from datetime import UTC, datetime

import orjson
import psycopg
import redis
from django.db import InterfaceError, OperationalError, connection, transaction

from . import live
from .models import CallAttempt

logger = logging.getLogger(__name__)

GROUP = "drain"
CLAIM_IDLE_MS = 30_000
BATCH = 5_000


def _consumer():
    return f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(client, stream):
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _when(epoch):
    return datetime.fromtimestamp(float(epoch), UTC)


def _copy(cursor, table, columns, rows):
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


ATTEMPT_COLUMNS = ("customer_id", "at", "call_id", "dialed", "cli", "pai", "source_ip", "sip_user", "switch_ip",
                   "allowed", "sip_code", "reasons", "result", "trace", "simulated", "flag")
LIVE_COLUMNS = ("call_id", "customer_id", "started", "answered", "expires_at", "scopes", "reserved", "info")
# Column types without the table's constraints (the id is made by the INSERT).
_TEMP_ATTEMPTS = (f"CREATE TEMP TABLE call_attempt_in ON COMMIT DROP AS SELECT {', '.join(ATTEMPT_COLUMNS)} "
                  "FROM calls_callattempt WITH NO DATA")
_TEMP_LIVE = (f"CREATE TEMP TABLE live_call_in ON COMMIT DROP AS SELECT {', '.join(LIVE_COLUMNS)} "
              "FROM calls_livecall WITH NO DATA")


def _loads(raw):
    # orjson reads an event in a quarter of json's time; json still reads what orjson refuses
    # (an integer beyond 64 bits), so no event is lost to the faster parser.
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _json(value) -> str:
    """JSON text for a jsonb column of the COPY (values read from an event: plain JSON types)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _attempt_row(event):
    return (event.get("customer"), _when(event["at"]), event["call_id"][:200], (event.get("dialed") or "")[:64],
            (event.get("cli") or "")[:64], (event.get("pai") or "")[:64], (event.get("source_ip") or "")[:64],
            (event.get("sip_user") or "")[:64], (event.get("switch_ip") or "")[:64], event["allowed"],
            event["sip_code"], _json(event.get("reasons", [])), _json(event.get("result", {})),
            _json(event.get("trace", [])), False, event.get("flag", ""))


def _apply(events):
    """Writes one batch of events in one transaction; safe to run again for the same events."""
    attempts, lives, answers, ends = [], [], [], []
    for event in events:
        kind = event.get("kind")
        if kind == "authorize":
            attempts.append(_attempt_row(event))
            info = event.get("live")
            if info:
                lives.append((event["call_id"], info["customer"], _when(info["started"]), None,
                              _when(info["expires"]), info["scopes"], info["held"], _json(info)))
        elif kind == "answer":
            answers.append((event["call_id"], _when(event["answered"]), _when(event["expires"]),
                            _json(event["info"])))
        elif kind == "end":
            ends.append(event["record"])
        elif kind == "orphan":
            attempts.append(_attempt_row({
                "call_id": event["call_id"], "at": event["at"], "allowed": False,
                "sip_code": max(100, min(int(event.get("sip_code") or 0), 699)) if event.get("sip_code") else 500,
                "reasons": ["end without authorize"], "result": event,
                "flag": CallAttempt.Flag.END_WITHOUT_AUTHORIZE}))
    with transaction.atomic(), connection.cursor() as cursor:
        if attempts:
            cursor.execute(_TEMP_ATTEMPTS)
            _copy(cursor, "call_attempt_in", ATTEMPT_COLUMNS, attempts)
            cursor.execute(f"INSERT INTO calls_callattempt ({', '.join(ATTEMPT_COLUMNS)}) "
                           f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM call_attempt_in ON CONFLICT DO NOTHING")
            cursor.execute("DROP TABLE call_attempt_in")
        if lives:
            cursor.execute(_TEMP_LIVE)
            _copy(cursor, "live_call_in", LIVE_COLUMNS, lives)
            cursor.execute(f"INSERT INTO calls_livecall ({', '.join(LIVE_COLUMNS)}) "
                           f"SELECT {', '.join(LIVE_COLUMNS)} FROM live_call_in ON CONFLICT DO NOTHING")
            cursor.execute("DROP TABLE live_call_in")
        if answers:
            cursor.execute("CREATE TEMP TABLE live_answer_in (call_id text, answered timestamptz, "
                           "expires_at timestamptz, info jsonb) ON COMMIT DROP")
            _copy(cursor, "live_answer_in", ("call_id", "answered", "expires_at", "info"), answers)
            cursor.execute("UPDATE calls_livecall l SET answered = a.answered, expires_at = a.expires_at, "
                           "info = a.info FROM live_answer_in a WHERE l.call_id = a.call_id")
            cursor.execute("DROP TABLE live_answer_in")
        if ends:
            _write_cdrs(cursor, ends)


# Authorize events (nearly every event) are read by PostgreSQL itself: the batch's JSON texts go as
# one array parameter, each is taken apart once (jsonb_to_record), and the attempt and live-call rows
# are selected from the parts in one statement — the same values the Python rows above hold (text cut
# to the column, epoch seconds to the microsecond as datetime.fromtimestamp rounds them, the JSON
# parts as sent). (Copying them into a table first cost more than the Python rows: an event is larger
# than PostgreSQL stores uncompressed.) A batch holding anything these statements would read otherwise
# (another shape, a mistyped or null field, unreadable JSON) or refuse (a missing time) is written by
# the Python rows instead, which word each event's error as before.
AUTHORIZE_PREFIX = '{"kind":"authorize",'


def _epoch_sql(x):
    # to_timestamp(x) would round x * 1e6 after a lossy subtraction; this rounds the fraction half to
    # even as datetime.fromtimestamp does, so the row holds the same microsecond.
    x = f"({x})::float8"
    return f"(to_timestamp(floor({x})) + round(({x} - floor({x})) * 1000000.0::float8) * interval '1 microsecond')"


_AUTHORIZE_TEXT_FIELDS = ("dialed", "cli", "pai", "source_ip", "sip_user", "switch_ip")
_AUTHORIZE_PARTS = ("kind text, call_id jsonb, at text, customer text, "
                    + ", ".join(f"{name} jsonb" for name in _AUTHORIZE_TEXT_FIELDS)
                    + ", allowed jsonb, sip_code text, reasons jsonb, result jsonb, trace jsonb, live jsonb")
# jsonb_to_record reads a missing field and a JSON null alike (SQL NULL): the JSON parts must be there.
_AUTHORIZE_WELL_FORMED = " AND ".join([
    "kind = 'authorize'", "jsonb_typeof(call_id) = 'string'",
    *(f"coalesce(jsonb_typeof({name}), 'string') = 'string'" for name in _AUTHORIZE_TEXT_FIELDS),
    "reasons IS NOT NULL", "result IS NOT NULL", "trace IS NOT NULL",
    "coalesce(jsonb_typeof(live), 'object') = 'object'",
])
_STARTED, _EXPIRES = "live->>'started'", "live->>'expires'"
_AUTHORIZE_WRITE = (
    "WITH r AS MATERIALIZED (SELECT n, r.* FROM unnest(%b::text[]) WITH ORDINALITY AS t(e, n), "
    f"jsonb_to_record(e::jsonb) AS r({_AUTHORIZE_PARTS})), "
    f"attempts AS (INSERT INTO calls_callattempt ({', '.join(ATTEMPT_COLUMNS)}) "
    f"SELECT customer::bigint, {_epoch_sql('at')}, left(call_id #>> '{{}}', 200), "
    + ", ".join(f"left(coalesce({name} #>> '{{}}', ''), 64)" for name in _AUTHORIZE_TEXT_FIELDS)
    + ", allowed::boolean, sip_code::int, reasons, result, trace, false, '' FROM r ORDER BY n "
    "ON CONFLICT DO NOTHING), "
    f"lives AS (INSERT INTO calls_livecall ({', '.join(LIVE_COLUMNS)}) "
    f"SELECT call_id #>> '{{}}', (live->>'customer')::bigint, {_epoch_sql(_STARTED)}, NULL, "
    f"{_epoch_sql(_EXPIRES)}, ARRAY(SELECT jsonb_array_elements_text(live->'scopes')), "
    "(live->>'held')::numeric, live FROM r WHERE live <> '{}'::jsonb ORDER BY n ON CONFLICT DO NOTHING) "
    f"SELECT count(*) FILTER (WHERE NOT coalesce({_AUTHORIZE_WELL_FORMED}, false)) FROM r")


class _NotAsWritten(Exception):
    """A batch the SQL path does not take as written: the Python rows write it."""


def _apply_raw(raws):
    """Writes one batch of events given as their JSON texts, authorize events through PostgreSQL's
    JSON reading, in one transaction. Raises (nothing written) when it cannot: _NotAsWritten, or the
    database's error for a value the statements refuse."""
    authorizes, others = [], []
    for raw in raws:
        # A flag, which an authorize never has, would be read as absent: the Python rows take it.
        if type(raw) is str and raw.startswith(AUTHORIZE_PREFIX) and '"flag":' not in raw:
            authorizes.append(raw)
        else:
            try:
                others.append(_loads(raw))
            except (TypeError, ValueError):
                raise _NotAsWritten from None
    with transaction.atomic():
        if authorizes:
            connection.ensure_connection()
            # A cursor binding on the server, the texts in binary: Django's cursors write parameters
            # into the statement's text, which for megabytes of JSON costs more than reading it.
            with psycopg.Cursor(connection.connection) as cursor:
                cursor.execute(_AUTHORIZE_WRITE, [authorizes])
                if cursor.fetchone()[0]:
                    raise _NotAsWritten  # rolls back what the statement wrote
        if others:
            _apply(others)


def _write_cdrs(cursor, records):
    from summaries.models import CdrImport
    from summaries.services import cdr_import_records

    result = cdr_import_records(records=records, origin=CdrImport.Origin.SWITCH)
    if result.rejects:
        by_call = {record["call_id"]: record for record in records}
        rows = []
        for _, call_id, reason in result.rejects:
            record = by_call.get(call_id, {})
            logger.error("CDR for call %s refused by the import: %s", call_id, reason)
            rows.append(_attempt_row({
                "call_id": call_id or "", "at": time.time(), "customer": record.get("customer_id"),
                "dialed": record.get("dialed_number", ""), "cli": record.get("cli", ""), "allowed": False,
                "sip_code": int(record.get("sip_code") or 500), "reasons": [f"CDR refused: {reason}"],
                "result": record, "flag": CallAttempt.Flag.CDR_REJECTED}))
        cursor.execute(_TEMP_ATTEMPTS)
        _copy(cursor, "call_attempt_in", ATTEMPT_COLUMNS, rows)
        cursor.execute(f"INSERT INTO calls_callattempt ({', '.join(ATTEMPT_COLUMNS)}) "
                       f"SELECT {', '.join(ATTEMPT_COLUMNS)} FROM call_attempt_in ON CONFLICT DO NOTHING")
        cursor.execute("DROP TABLE call_attempt_in")
    cursor.execute("DELETE FROM calls_livecall WHERE call_id = ANY(%s)", [[r["call_id"] for r in records]])
    return result


# Outages leave a batch unacknowledged for the next drain; anything else is a problem of the events.
_TRANSIENT = (OperationalError, InterfaceError, redis.RedisError)
FAILED_KEEP = 10_000  # events set aside, newest kept (Settings → System health lists them)


def failed_events_key(stream=None):
    return f"{stream or live.events_key()}:failed"


def _apply_batch(client, stream, entries):
    """Write a batch of (entry id, JSON text) in one transaction; when the SQL path cannot take it,
    write the events read in Python, and when that batch is refused, write them one by one and set
    aside (with the error) each one refused alone, so one bad event never stalls the stream.
    Returns (events read, how many were set aside)."""
    try:
        _apply_raw([raw for _, raw in entries])
        return len(entries), 0
    except _TRANSIENT:
        raise
    except Exception:  # _NotAsWritten, or a value the statements refuse: the Python rows word it
        pass
    events = []
    for entry_id, raw in entries:
        try:
            events.append((entry_id, _loads(raw)))
        except (TypeError, ValueError):
            logger.error("unreadable call event %s: %r", entry_id, raw)
    return len(events), _apply_events(client, stream, events)


def _apply_events(client, stream, events):
    try:
        _apply([event for _, event in events])
        return 0
    except _TRANSIENT:
        raise
    except Exception:
        logger.exception("A batch of %s call events was refused; writing them one by one", len(events))
    set_aside = 0
    for entry_id, event in events:
        try:
            _apply([event])
        except _TRANSIENT:
            raise
        except Exception as exc:
            logger.exception("Call event %s set aside", entry_id)
            client.xadd(failed_events_key(stream), {"e": json.dumps(event), "id": entry_id,
                                                    "error": f"{exc.__class__.__name__}: {exc}"[:500]},
                        maxlen=FAILED_KEEP, approximate=True)
            set_aside += 1
    return set_aside


def call_events_drain(*, consumer: str | None = None, batch: int = BATCH, budget: float = 0.9,
                      claim_idle_ms: int = CLAIM_IDLE_MS) -> int:
    """Writes the call events queued when it starts to PostgreSQL (up to `budget` seconds of batches,
    the rest left for the next drain); returns how many events were written.

    Restores the live state first when Redis lost it (a restart): see services.live_state_restore.
    """
    from .services import live_state_restore

    client = live.live_redis()
    if not live.live_state_present():
        live_state_restore()
    channels_in_use_sync()
    stream = live.events_key()
    consumer = consumer or _consumer()
    _ensure_group(client, stream)
    started, written = time.monotonic(), 0
    while True:
        _, entries, *_ = client.xautoclaim(stream, GROUP, consumer, min_idle_time=claim_idle_ms,
                                           start_id="0-0", count=batch)
        entries = [entry for entry in entries if entry and entry[1]]
        caught_up = False
        if not entries:
            read = client.xreadgroup(GROUP, consumer, {stream: ">"}, count=batch)
            entries = read[0][1] if read else []
            # A short read took everything queued until now. What the switch queues meanwhile waits
            # for the next drain: reading on at once would write it a few events per transaction.
            caught_up = len(entries) < batch
        if not entries:
            break
        ids = [entry_id for entry_id, _ in entries]
        raws = []
        for entry_id, fields in entries:
            if "e" in fields:
                raws.append((entry_id, fields["e"]))
            else:
                logger.error("unreadable call event %s: %r", entry_id, fields)
        read, set_aside = _apply_batch(client, stream, raws)
        client.xack(stream, GROUP, *ids)
        client.xdel(stream, *ids)
        written += read - set_aside
        if caught_up or time.monotonic() - started > budget:
            break
    return written


def call_events_pending() -> int:
    """Events waiting to be written (queued and claimed but not yet acknowledged)."""
    client = live.live_redis()
    try:
        return client.xlen(live.events_key())
    except redis.RedisError:
        return 0



def _customers_channels(customer_ids):
    return live.live_channels_in_use_many([live.scope_key("customer", customer_id) for customer_id in customer_ids])


def channels_in_use_sync() -> int:
    """Copies each customer's live channel count into Customer.channels_in_use (the board and the
    card header), for customers with live calls now or at the last sync; returns rows changed."""
    client = live.live_redis()
    customers_key = live.live_customers_key()
    members = [int(m) for m in client.smembers(customers_key)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM customers_customer WHERE channels_in_use > 0")
        ids = sorted(set(members) | {row[0] for row in cursor.fetchall()})
        if not ids:
            return 0
        counts = _customers_channels(ids)
        idle = [customer_id for customer_id, count in zip(ids, counts, strict=True) if not count]
        if idle:
            client.srem(customers_key, *idle)
            # A call taken between the count and the removal added its customer before the removal
            # took it out again: counted once more, such a customer goes back (the global Dialogs
            # list reads this set).
            busy = [customer_id for customer_id, count in zip(idle, _customers_channels(idle), strict=True) if count]
            if busy:
                client.sadd(customers_key, *busy)
        # Rows a CDR write holds (its balance debit) are skipped, never waited for: waiting here while
        # that write waits for a row this UPDATE holds is a deadlock. The next sync, a second on, gets them.
        cursor.execute(
            "UPDATE customers_customer c SET channels_in_use = v.n FROM unnest(%s::bigint[], %s::int[]) v(id, n) "
            "WHERE c.id = v.id AND c.channels_in_use <> v.n AND c.id IN (SELECT id FROM customers_customer "
            "WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED)", [ids, counts, ids])
        return cursor.rowcount
