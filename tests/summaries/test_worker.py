import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from connex.celery import app
from summaries.models import PendingRollupHour
from summaries.services import cdr_import
from summaries.tasks import summary_rollup_pending_task
from tests.factories import CustomerFactory

from .helpers import cdr_row, csv_stream, summary_count, summary_differences

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_rollup_task_runs_on_a_real_celery_worker_through_redis(settings):
    customer = CustomerFactory()
    start = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)
    rows = [cdr_row(customer.pk, f"w{i}", start_time=(start + timedelta(minutes=50 * i)).isoformat(),
                    answer_time=(start + timedelta(minutes=50 * i, seconds=2)).isoformat(),
                    end_time=(start + timedelta(minutes=50 * i, seconds=62)).isoformat()) for i in range(4)]
    cdr_import(stream=csv_stream(rows))
    queued = PendingRollupHour.objects.count()
    queue = f"test-rollup-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND, "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "connex", "worker", "--pool=solo", "-Q", queue, "-n", f"{queue}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    app.conf.task_always_eager = False
    try:
        result = summary_rollup_pending_task.apply_async(queue=queue)
        assert result.get(timeout=90) == queued
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    assert queued == 4, output
    assert summary_count() == 4
    assert summary_differences() == []
    assert not PendingRollupHour.objects.exists()
