"""A real Celery worker process on a queue of its own, against the test database and the Redis broker."""

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from connex.celery import app

ROOT = Path(__file__).resolve().parents[1]


def database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(name="test"):
    """Yields the queue name; send tasks with `.apply_async(..., queue=queue)`. Output is kept in
    `worker.output` for assertion messages."""
    queue = f"{name}-{uuid.uuid4().hex[:8]}"
    env = os.environ | {"DATABASE_URL": database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND, "CELERY_TASK_ALWAYS_EAGER": "false",
                        "MEDIA_ROOT": str(settings.MEDIA_ROOT)}  # uploads saved by the test are read by the worker
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "connex", "worker", "--pool=solo", "-Q", queue, "-n", f"{queue}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        process.communicate(timeout=30)


def wait_until(condition, timeout=30):
    """Polls `condition` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
