"""System health: checks registered by the core and the apps, run one by one so a failing or
crashing check is reported, never a 500. /healthz shows status and figures only; the Settings
page shows details (errors, hours set aside) to staff."""

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from connex.registry import HealthCheck, register_health_check, registry

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "connex:worker-heartbeat"
HEARTBEAT_STALE = timedelta(minutes=5)
BEAT_STALE = timedelta(minutes=10)


@dataclass
class Health:
    ok: bool
    summary: str  # short, no secrets: what /healthz says
    value: object = None  # a figure for monitors (a count, seconds)
    details: list = field(default_factory=list)  # lines for staff only


def health_report() -> list[tuple[HealthCheck, Health]]:
    results = []
    for check in sorted(registry.health_checks, key=lambda c: (c.order, c.key)):
        try:
            outcome = check.check()
        except Exception as exc:
            logger.exception("Health check %s failed", check.key)
            outcome = Health(False, "check failed", details=[f"{exc.__class__.__name__}: {exc}"])
        results.append((check, outcome))
    return results


def _redis():
    import redis

    url = getattr(settings, "REDIS_URL", "") or settings.CELERY_BROKER_URL
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)


def database_health():
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Health(True, "reachable", round((time.monotonic() - started) * 1000, 1))


def redis_health():
    _redis().ping()
    return Health(True, "reachable")


def worker_heartbeat_write():
    _redis().set(HEARTBEAT_KEY, datetime.now(UTC).isoformat(), ex=int(HEARTBEAT_STALE.total_seconds()) * 12)


def worker_health():
    raw = _redis().get(HEARTBEAT_KEY)
    if raw is None:
        return Health(False, "no heartbeat", details=["No worker has reported; is the Celery worker running?"])
    age = datetime.now(UTC) - datetime.fromisoformat(raw.decode())
    seconds = int(age.total_seconds())
    if age > HEARTBEAT_STALE:
        return Health(False, f"last heartbeat {seconds} s ago", seconds)
    return Health(True, f"last heartbeat {seconds} s ago", seconds)


def beat_health():
    from django_celery_beat.models import PeriodicTask

    last = PeriodicTask.objects.filter(enabled=True).exclude(last_run_at=None).order_by("-last_run_at").first()
    if last is None:
        return Health(False, "never ran", details=["No scheduled task has run; is celery beat running "
                                                   "(after manage.py setup_periodic_tasks)?"])
    seconds = int((datetime.now(UTC) - last.last_run_at).total_seconds())
    return Health(seconds <= BEAT_STALE.total_seconds(), f"last run {seconds} s ago", seconds,
                  details=[f"{last.name} at {last.last_run_at:%Y-%m-%d %H:%M:%S} UTC"])


def register_core_health_checks():
    register_health_check(HealthCheck("database", "Database", database_health, order=10))
    register_health_check(HealthCheck("redis", "Redis", redis_health, order=20))
    register_health_check(HealthCheck("worker", "Worker heartbeat", worker_health, order=30))
    register_health_check(HealthCheck("beat", "Scheduler (beat)", beat_health, order=40))
