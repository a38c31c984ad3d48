"""Structured logs: one JSON line per web request and per Celery task when LOG_FORMAT=json."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.logging import JsonFormatter
from deadlines import tasks

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _json_lines(caplog, logger: str) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records if record.name == logger]


def test_a_request_is_logged_with_method_path_status_duration_and_user_id(client, people, raise_escalation, caplog):
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    escalation.case.display_name = "Jamie Example"
    escalation.case.save()
    user = people["bexley-practitioner"]
    client.force_login(user)

    with caplog.at_level(logging.INFO, logger="escalation_tracker.request"):
        response = client.get(f"/escalations/{escalation.pk}/?search=Jamie+Example")

    assert response.status_code == 200
    assert "Jamie Example" in response.content.decode()  # the page shows the name; the log must not
    [line] = _json_lines(caplog, "escalation_tracker.request")
    assert line["method"] == "GET"
    assert line["path"] == f"/escalations/{escalation.pk}/"
    assert line["status"] == 200
    assert line["user_id"] == user.pk
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    assert "Jamie" not in json.dumps(line)
    assert user.username not in json.dumps(line) and user.email not in json.dumps(line)


def test_an_anonymous_request_has_no_user_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="escalation_tracker.request"):
        client.get("/escalations/mine/")

    [line] = _json_lines(caplog, "escalation_tracker.request")
    assert (line["status"], line["user_id"]) == (302, None)


def test_a_celery_task_is_logged_with_its_name_state_and_duration(ladders, caplog):
    with caplog.at_level(logging.INFO, logger="escalation_tracker.task"):
        tasks.sweep_deadlines.apply()

    [line] = _json_lines(caplog, "escalation_tracker.task")
    assert line["task"] == "deadlines.tasks.sweep_deadlines"
    assert line["state"] == "SUCCESS"
    assert line["duration_ms"] >= 0 and line["task_id"]


def test_log_format_json_makes_every_line_json_and_plain_is_the_default(tmp_path):
    script = ("import logging, django; django.setup(); "
              "logging.getLogger('escalation_tracker.request').info('hello %s', 'there', extra={'status': 200})")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation_tracker.settings", "VAR_DIR": str(tmp_path)}
    env.pop("LOG_FORMAT", None)

    as_json = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**env, "LOG_FORMAT": "json"},
                             capture_output=True, text=True, check=True)
    plain = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True)

    line = json.loads(as_json.stderr.strip().splitlines()[-1])
    assert (line["message"], line["status"], line["logger"]) == ("hello there", 200, "escalation_tracker.request")
    assert plain.stderr.strip().endswith("INFO escalation_tracker.request: hello there")


def test_gunicorn_writes_its_own_lines_as_json_too(tmp_path):
    """gunicorn reads gunicorn.conf.py from the working directory, as the image's command does in /app."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation_tracker.settings", "VAR_DIR": str(tmp_path),
           "LOG_FORMAT": "json", "DEBUG": "0", "SECRET_KEY": "gunicorn-log-test"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "escalation_tracker.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        time.sleep(0.5)  # the worker's "Booting worker" line
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    lines = [json.loads(line) for line in output.strip().splitlines()]
    messages = [(line["logger"], line["message"]) for line in lines]
    assert ("gunicorn.error", "Starting gunicorn " + __import__("gunicorn").__version__) in messages
    assert any(message.startswith("Booting worker") for _, message in messages)
    assert any(message == "Handling signal: term" for _, message in messages)
