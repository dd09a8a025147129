import time

import redis

from . import live


def call_events_health():
    """Switch call events waiting to be written: a growing backlog means no drain is running."""
    from connex.health import Health

    client = live.live_redis()
    try:
        waiting = client.xlen(live.events_key())
        oldest = client.xrange(live.events_key(), count=1) if waiting else []
    except redis.RedisError as exc:
        return Health(False, "Redis unavailable", details=[str(exc)])
    lag = time.time() - int(oldest[0][0].split("-")[0]) / 1000 if oldest else 0.0
    ok = lag < 60
    return Health(ok, f"{waiting} waiting" + (f", oldest {lag:.0f} s" if waiting else ""), value=round(lag, 1),
                  details=[] if ok else ["Start a Celery worker and beat: the call-events drain runs every second."])
