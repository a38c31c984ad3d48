"""Logs are JSON and name no case or child; e-mails, which carry case references, never go through them."""
import json
import logging
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.checks import CONSOLE_BACKEND, email_not_in_logs
from tests import logscan

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def test_the_scan_finds_references_names_and_lines_that_are_not_json(tmp_path):
    clean = {"time": "2026-11-10T10:00:00+00:00", "level": "INFO", "logger": "escalation_tracker.request",
             "message": "GET /escalations/42/ 200 12.0 ms", "user_id": 7}
    (tmp_path / "gw0.jsonl").write_text(json.dumps(clean) + "\n", encoding="utf-8")
    assert logscan.scan(tmp_path) == []
    (tmp_path / "gw0.forbidden.json").write_text(json.dumps(["Q.R.S.", "CMS-77"]), encoding="utf-8")
    (tmp_path / "gw1.jsonl").write_text("\n".join([
        json.dumps({**clean, "message": "raised on DEMO-BX-1001"}),
        json.dumps({**clean, "message": "for Q.R.S. today"}),
        json.dumps({**clean, "path": "/cases/CMS-77/"}),
        "plain text, not JSON",
    ]) + "\n", encoding="utf-8")
    problems = logscan.scan(tmp_path)
    assert [problem.split(": ", 2)[:2] for problem in problems] == [
        ["gw1.jsonl:1", "names 'DEMO-BX-1001'"], ["gw1.jsonl:2", "names 'Q.R.S.'"],
        ["gw1.jsonl:3", "names 'CMS-77'"], ["gw1.jsonl:4", "not JSON"],
    ]


def test_this_run_writes_every_record_as_json_to_the_scanned_file():
    if not logscan._enabled() or logscan._state["handler"] is None:
        pytest.skip("the log scan is off (LOG_SCAN=0)")
    logging.getLogger("escalation_tracker.probe").info("probe %s", 12345)
    handler = logscan._state["handler"]
    handler.flush()
    with open(handler.baseFilename, encoding="utf-8") as written:
        last = written.read().splitlines()[-1]
    assert json.loads(last)["message"] == "probe 12345"


def test_e_mails_go_to_files_not_to_the_logs(settings, tmp_path, raise_escalation, caplog,
                                              django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    mails = "".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())
    assert escalation.case.reference in mails  # the holder was told, by e-mail
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert escalation.case.reference not in logged


def test_development_e_mails_are_files_by_default(monkeypatch):
    """With DEBUG on (and under scripts/run, which asks for the same) e-mails are files under var/mail/, never
    the console; without DEBUG the default is SMTP (tests/security/test_containers.py)."""
    import importlib

    import escalation_tracker.settings as project

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("DEBUG", "1")
    try:
        reloaded = importlib.reload(project)
        assert reloaded.EMAIL_BACKEND == FILE_BACKEND
        assert reloaded.EMAIL_FILE_PATH.endswith("mail")
    finally:
        monkeypatch.undo()
        importlib.reload(project)
    run_script = (Path(project.BASE_DIR) / "scripts" / "run").read_text()
    assert f"EMAIL_BACKEND=\"${{EMAIL_BACKEND:-{FILE_BACKEND}}}\"" in run_script


def test_the_console_backend_is_refused_outside_development(settings):
    settings.EMAIL_BACKEND = CONSOLE_BACKEND
    settings.DEBUG = True
    assert email_not_in_logs() == []
    settings.DEBUG = False
    [error] = email_not_in_logs()
    assert error.id == "audit.E001"
    settings.EMAIL_BACKEND = FILE_BACKEND
    assert email_not_in_logs() == []


def test_the_deploy_check_names_the_console_backend(settings):
    from django.core.management.base import SystemCheckError

    settings.EMAIL_BACKEND = CONSOLE_BACKEND
    settings.DEBUG = False
    with pytest.raises(SystemCheckError, match=r"audit\.E001"):
        call_command("check", "--deploy", "--tag", "security")


def test_the_scan_remembers_what_looks_like_a_reference_or_a_name_not_a_fuzzers_noise(monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setitem(logscan._state, "forbidden", set())
    for reference, name in [("LCS-100001", "A.B."), ("0", "x"), ("abc", "Jo"), ("TEST-00007", "Jamie Example")]:
        logscan._remember_case(None, SimpleNamespace(reference=reference, display_name=name))
    assert logscan._state["forbidden"] == {"LCS-100001", "A.B.", "TEST-00007", "Jamie Example"}


def test_a_record_with_unicode_line_separators_stays_one_line():
    """A fuzzed username holding U+2028, U+2029 or NEL is logged by the sign-in lockout: the record stays one
    line for every reader (str.splitlines splits on them; json.dumps leaves them as they are)."""
    from core.logging import JsonFormatter

    message = "AXES: New login failure by {username: \"a\u2028b\x85c\u2029d\"}"
    line = JsonFormatter().format(logging.LogRecord("axes", logging.WARNING, "", 0, message, None, None))
    assert len(line.splitlines()) == 1
    assert json.loads(line)["message"] == message
