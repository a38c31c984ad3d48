"""The deadline clock in a real Celery worker with embedded beat, on Redis and PostgreSQL.

The test starts ``celery worker --beat`` as a separate process pointed at this test's database
and at the local Redis, on a queue of its own, with a two-second sweep. It raises a
significant-harm escalation whose same-day deadline has passed and waits (at most a minute) for
the worker, not this process, to advance it.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from deadlines.schedules import clock_schedules_sync
from escalations.models import Escalation

# The worker process must share the test database, so this runs on PostgreSQL (the marker gates it).
pytestmark = [pytest.mark.celery_integration, pytest.mark.postgres]

SWEEP_SECONDS = 2
WAIT_SECONDS = 60


def _database_url() -> str:
    """The URL of the database this test runs in (pytest-django's test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A Celery worker with embedded beat sharing this test's database; stopped after the test."""
    queue = f"escalation-tracker-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(tmp_path),
        "DEADLINE_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "escalation_tracker", "worker", "--beat",
             "--concurrency", "1", "--loglevel", "INFO", "--without-mingle", "--without-gossip",
             "--hostname", f"{queue}@%h", "--schedule", str(tmp_path / "beat-schedule")],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield process, log
    finally:
        _stop(process)
        _forget_queue(queue)


def _stop(process: subprocess.Popen) -> None:
    """Stop the worker and its children (its own process group) and wait for them."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _forget_queue(queue: str) -> None:
    """Delete the test's queue from Redis (beat may have sent a sweep the worker never took)."""
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def test_the_worker_advances_an_overdue_escalation_by_itself(worker, raise_escalation):
    process, log = worker
    # Raised ten days ago at significant harm: due at the Service Manager the same (working) day.
    raised = timezone.now() - dt.timedelta(days=10)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm", now=raised)
    assert esc.stage_index == 1 and esc.stage_deadline < timezone.now()
    clock_schedules_sync(sweep_seconds=SWEEP_SECONDS)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the worker stopped:\n{_tail(log)}"
        esc.refresh_from_db()
        if esc.stage_index != 1:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the worker did not advance the escalation within {WAIT_SECONDS} s:\n{_tail(log)}")

    assert (esc.stage_index, esc.holder.username) == (2, "bexley-head-of-service")
    entry = esc.timeline.get(action="auto_advance")
    assert entry.actor is None and entry.actor_name == "system"
    assert "deadlines.tasks.sweep_deadlines" in log.read_text(errors="replace")
    assert Escalation.objects.filter(pk=esc.pk, times_auto_advanced=1).exists()
