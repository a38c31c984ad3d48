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


# --- a worker killed in the middle of a task ----------------------------------------------------------
VISIBILITY_SECONDS = 2


def _start_worker(queue: str, tmp_path: Path, name: str, *, beat: bool) -> tuple[subprocess.Popen, Path]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(tmp_path),
        "DEADLINE_SWEEP_SECONDS": str(SWEEP_SECONDS),
        # One sweep interval, as in production (docs/deployment.md), scaled down to the test's.
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    log = tmp_path / f"{name}.log"
    command = [sys.executable, "-m", "celery", "-A", "escalation_tracker", "worker", "--concurrency", "1",
               "--loglevel", "INFO", "--without-mingle", "--without-gossip", "--hostname", f"{name}-{queue}@%h"]
    if beat:
        command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process, log


def _other_backends(ignore: frozenset[int] = frozenset()) -> list[tuple[int, str, str]]:
    """The other sessions on this test's database but those in ``ignore``: (pid, state, what they wait for)."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps showing the activity it first read: read it afresh.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT pid, coalesce(state, ''), coalesce(wait_event_type, '') FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [row for row in cursor.fetchall() if row[0] not in ignore]


def _wait_for(condition, what: str, logs: list[Path], seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s:\n" + "\n".join(_tail(log) for log in logs))


@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
def test_a_worker_killed_mid_sweep_leaves_its_message_to_another_worker_which_does_it_once(
        transactional_db, raise_escalation, tmp_path):
    """The sweep is stopped half-way (its escalation and timeline rows written, its notifications
    waiting on a table lock this test holds), the whole worker is killed with SIGKILL, and a second
    worker, without beat, is given the same message by Redis after the visibility timeout: the
    escalation advances once, with one timeline entry and one notification for each person told."""
    from django.db import transaction

    from escalation_tracker.celery import app
    from notifications.models import Kind, Notification

    raised = timezone.now() - dt.timedelta(days=10)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm", now=raised)
    notified_before = Notification.objects.count()
    queue = f"escalation-tracker-test-{uuid.uuid4().hex[:12]}"
    task_id = f"killed-sweep-{uuid.uuid4().hex[:12]}"
    ours = frozenset(pid for pid, _, _ in _other_backends())  # this process's other connections
    first, first_log = _start_worker(queue, tmp_path, "first", beat=False)
    second = None
    try:
        with transaction.atomic():
            # Writes to the notifications wait for this test: the sweep stops inside its batch.
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Notification._meta.db_table} IN EXCLUSIVE MODE")
            app.send_task("deadlines.tasks.sweep_deadlines", task_id=task_id, queue=queue)
            _wait_for(lambda: any(wait == "Lock" for _, _, wait in _other_backends(ours)),
                      "the first worker did not reach the notifications", [first_log])
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        # The killed worker's session is rolled back by PostgreSQL once it finds its client gone.
        _wait_for(lambda: not _other_backends(ours), "the killed worker's session did not end", [first_log])
        esc.refresh_from_db()
        assert esc.stage_index == 1 and not esc.timeline.filter(action="auto_advance").exists()
        assert Notification.objects.count() == notified_before

        second, second_log = _start_worker(queue, tmp_path, "second", beat=False)

        def advanced() -> bool:
            assert second.poll() is None, f"the second worker stopped:\n{_tail(second_log)}"
            esc.refresh_from_db()
            return esc.stage_index != 1

        _wait_for(advanced, "the second worker did not re-run the sweep", [first_log, second_log])
        log = second_log.read_text(errors="replace")
        assert f"deadlines.tasks.sweep_deadlines[{task_id}] received" in log
        assert (esc.stage_index, esc.holder.username, esc.times_auto_advanced) == (2, "bexley-head-of-service", 1)
        assert list(esc.timeline.filter(actor__isnull=True).values_list("action", flat=True)) == ["auto_advance"]
        told = Notification.objects.filter(escalation=esc, kind=Kind.AUTO_ADVANCED)
        assert told.count() == told.values("recipient").distinct().count() > 0
        # Run again, the same message changes nothing more.
        app.send_task("deadlines.tasks.sweep_deadlines", queue=queue)  # a second message, as beat would send
        _wait_for(lambda: log.count("succeeded") < second_log.read_text(errors="replace").count("succeeded"),
                  "the second sweep did not run", [second_log])
        esc.refresh_from_db()
        assert (esc.stage_index, esc.times_auto_advanced, told.count()) == (
            2, 1, told.values("recipient").distinct().count())
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)
        _forget_queue(queue)
