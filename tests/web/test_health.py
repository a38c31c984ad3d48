"""Liveness (/healthz/) and readiness (/readyz/): the database, the broker and the clock's heartbeat.

The failures are real: a database alias and a broker address pointing at a port where nothing
listens, and a heartbeat older than two sweep intervals.
"""
import copy
import datetime as dt
import socket

import pytest
from django.db import connections
from django.utils import timezone

from deadlines import tasks
from deadlines.heartbeat import clock_heartbeat_age, clock_heartbeat_record
from deadlines.models import ClockHeartbeat

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port with nothing listening on it (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_heartbeat():
    clock_heartbeat_record()


@pytest.fixture
def database_down(settings):
    """A PostgreSQL alias on a stopped port, checked by /readyz/ beside the real one."""
    alias = "stopped"
    config = copy.deepcopy(connections.settings["default"])
    config.update(ENGINE="django.db.backends.postgresql", NAME="escalations", USER="escalations", PASSWORD="",
                  HOST="127.0.0.1", PORT=str(_closed_port()), OPTIONS={"connect_timeout": 2}, CONN_MAX_AGE=0)
    connections.settings[alias] = config
    connections[alias]  # made from the settings, then kept while its settings entry goes:
    # Django's test case allows a connection it did not know of when the test began.
    del connections.settings[alias]
    settings.READYZ_DATABASES = ["default", alias]
    yield alias
    connections[alias].close()
    del connections[alias]


def test_healthz_answers_ok(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_broker_and_clock_are(client, fresh_heartbeat):
    response = client.get("/readyz/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["failing"] == []
    assert body["checks"]["database"] == {"ok": True, "default": "ok"}
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["clock"]["ok"] is True
    assert body["checks"]["clock"]["last_sweep_seconds_ago"] < 5


def test_readyz_names_a_database_that_cannot_be_reached(client, fresh_heartbeat, database_down):
    response = client.get("/readyz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["failing"] == ["database"]
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"].startswith(f"{database_down}: ")
    assert body["checks"]["clock"]["ok"] is True  # the default database still answers


def test_readyz_names_a_broker_that_cannot_be_reached(client, settings, fresh_heartbeat):
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://:not-shown@127.0.0.1:{port}/0"

    response = client.get("/readyz/")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert f"redis://…@127.0.0.1:{port}/0" in body["checks"]["broker"]["error"]
    assert "not-shown" not in response.content.decode()


def test_readyz_names_a_stale_clock(client, settings):
    settings.DEADLINE_SWEEP_SECONDS = 60
    clock_heartbeat_record(now=timezone.now() - dt.timedelta(seconds=121))

    response = client.get("/readyz/")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["clock"]
    assert "the limit is 120 s (two sweep intervals)" in body["checks"]["clock"]["error"]


def test_readyz_accepts_a_heartbeat_within_two_intervals(client, settings):
    settings.DEADLINE_SWEEP_SECONDS = 60
    clock_heartbeat_record(now=timezone.now() - dt.timedelta(seconds=110))

    assert client.get("/readyz/").status_code == 200


def test_readyz_is_not_ready_before_the_clock_first_runs(client):
    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.json()["failing"] == ["clock"]
    assert "has not run yet" in response.json()["checks"]["clock"]["error"]


def test_the_beat_sweep_task_records_the_heartbeat(ladders):
    assert clock_heartbeat_age() is None

    tasks.sweep_deadlines.apply()

    assert ClockHeartbeat.objects.count() == 1
    age = clock_heartbeat_age()
    assert age is not None and age < dt.timedelta(seconds=5)


def test_not_ready_is_one_warning_naming_what_fails_not_an_error_each_poll(client, settings, fresh_heartbeat, caplog):
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://:not-shown@127.0.0.1:{port}/0"

    with caplog.at_level("INFO"):
        assert client.get("/readyz/").status_code == 503

    [warning] = [r for r in caplog.records if r.name == "escalation_tracker.health"]
    assert warning.levelname == "WARNING" and warning.failing == "broker"
    assert warning.getMessage().startswith("not ready: broker: ") and f"127.0.0.1:{port}" in warning.getMessage()
    assert "not-shown" not in caplog.text
    assert [r for r in caplog.records if r.name == "django.request"] == []


def test_any_other_503_is_still_djangos_error_line():
    """The filter lets every answer but a probe's through (a real fault must reach the error log)."""
    import logging

    from core.logging import ProbeAnswerFilter

    class Request:
        def __init__(self, path):
            self.path = path

    def record(path):
        entry = logging.LogRecord("django.request", logging.ERROR, "", 0, "Service Unavailable: %s", (path,), None)
        entry.request = Request(path)
        return entry

    probe_filter = ProbeAnswerFilter()
    assert probe_filter.filter(record("/escalations/1/record.pdf")) is True
    assert probe_filter.filter(logging.LogRecord("django.request", logging.ERROR, "", 0, "x", (), None)) is True
    assert probe_filter.filter(record("/readyz/")) is False
    assert probe_filter.filter(record("/healthz/")) is False
