"""System health: /healthz for monitors (JSON, 200 or 503, nothing sensitive) and the Settings page."""

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from connex import health
from customers.models import CustomerImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def beat_ran(db):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=60, period="seconds")
    PeriodicTask.objects.create(name="t", task="connex.tasks.worker_heartbeat_task", interval=every,
                                last_run_at=timezone.now())


@pytest.fixture
def heartbeat(settings):
    from connex.tasks import worker_heartbeat_task

    worker_heartbeat_task.delay()  # eager in tests: runs here, writing to this worktree's Redis db
    yield
    health._redis().delete(health.HEARTBEAT_KEY)


@pytest.fixture
def no_call_events_waiting(monkeypatch):
    """Live call state under a key prefix of its own: events other tests left undrained stay out of it."""
    from calls import live

    monkeypatch.setattr(live, "PREFIX", f"live-health-{uuid.uuid4().hex[:10]}")


def test_healthz_is_200_when_every_check_passes(client, beat_ran, heartbeat, no_call_events_waiting):
    response = client.get("/healthz")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert {"database", "redis", "worker", "beat", "rollup_queue", "rollup_set_aside", "failed_messages",
            "stuck_imports", "call-events"} <= set(body["checks"])


def test_a_set_aside_hour_makes_healthz_503_and_shows_its_error_on_the_health_page(client, staff_client,
                                                                                    beat_ran, heartbeat):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO summaries_setasiderolluphour (hour, error) "
                       "VALUES ('2026-11-20 10:00+00', 'DataError: numeric field overflow')")

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["rollup_set_aside"] == {"ok": False, "status": "1 hour(s) set aside",
                                                             "value": 1}
    assert "numeric field overflow" not in response.content.decode()  # details are for staff only

    page = staff_client.get("/settings/health/").content.decode()
    assert "2026-11-20 10:00 UTC — DataError: numeric field overflow" in page
    assert "Needs attention" in page


def test_no_heartbeat_and_a_stuck_import_are_failures(client, staff, beat_ran):
    health._redis().delete(health.HEARTBEAT_KEY)
    stuck = CustomerImport.objects.create(user=staff, original_name="big.csv", file="x.csv")
    CustomerImport.objects.filter(pk=stuck.pk).update(updated=timezone.now() - timedelta(hours=2))

    checks = client.get("/healthz").json()["checks"]

    assert checks["worker"]["ok"] is False
    assert checks["stuck_imports"] == {"ok": False, "status": "1 stuck", "value": 1}


def test_a_crashing_check_is_reported_failed_not_a_500(client, beat_ran, heartbeat):
    with mock.patch.object(health, "database_health", side_effect=RuntimeError("secret dsn")):
        from connex.registry import HealthCheck, register_health_check, registry

        saved = list(registry.health_checks)
        registry.health_checks[:] = [c for c in saved if c.key != "database"]
        register_health_check(HealthCheck("database", "Database", health.database_health, order=10))
        try:
            response = client.get("/healthz")
        finally:
            registry.health_checks[:] = saved
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "check failed"
    assert "secret dsn" not in response.content.decode()


def test_the_health_page_is_for_staff_only(client):
    assert client.get("/settings/health/").status_code == 302
