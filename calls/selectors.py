import json
import time
from datetime import UTC, datetime

import redis

from . import live


def call_events_health():
    """Switch call events waiting to be written: a growing backlog means no drain is running. Events
    the drain set aside in the last day (each refused on its own data) need a person."""
    from connex.health import Health

    from .events import failed_events_key

    client = live.live_redis()
    day_ago_ms = int((time.time() - 86400) * 1000)
    try:
        waiting = client.xlen(live.events_key())
        oldest = client.xrange(live.events_key(), count=1) if waiting else []
        # Newest first; the stream keeps at most FAILED_KEEP entries, so this read stays bounded.
        failed = client.xrevrange(failed_events_key(), min=f"{day_ago_ms}-0")
        failed_count = len(failed)
    except redis.RedisError as exc:
        return Health(False, "Redis unavailable", details=[str(exc)])
    lag = time.time() - int(oldest[0][0].split("-")[0]) / 1000 if oldest else 0.0
    details = [] if lag < 60 else ["Start a Celery worker and beat: the call-events drain runs every second."]
    details += [f"Set aside {_stamp(entry_id)} UTC — call {_call_id(fields)}: {fields.get('error', '')}"
                for entry_id, fields in failed[:FAILED_SHOWN]]
    summary = f"{waiting} waiting" + (f", oldest {lag:.0f} s" if waiting else "")
    if failed_count:
        summary += f", {failed_count} set aside (24 h)"
    return Health(lag < 60 and not failed_count, summary, value=round(lag, 1), details=details)


FAILED_SHOWN = 10


def _stamp(entry_id):
    return datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _call_id(fields):
    try:
        return json.loads(fields.get("e", "{}")).get("call_id") or "?"
    except (TypeError, ValueError, AttributeError):
        return "?"
