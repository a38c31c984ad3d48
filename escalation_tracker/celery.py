"""The Celery application: the deadline clock's beat and the e-mail worker."""
import logging
import os
import time
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")

app = Celery("escalation_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

task_logger = logging.getLogger("escalation_tracker.task")
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    """One line per task run: its name, id, final state and duration (never its arguments or result)."""
    started = _started.pop(task_id or "", None)
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    name = getattr(task, "name", "?")
    task_logger.info("task %s %s %s ms", name, state, duration_ms,
                     extra={"task": name, "task_id": task_id, "state": state, "duration_ms": duration_ms})
