"""Application logs hold no child's name or case reference: proved on every test run.

A handler on the root logger writes every record the run emits, formatted as production formats it
(``core.logging.JsonFormatter``), to a file under ``var/test-logs/<run>/`` (one a process: the xdist
workers each write their own). Every case the tests create is remembered (its reference and display
name), besides the shapes case references take in the demo, the factories and the bench. When the run
ends, the process that started it reads every line: a line that is not JSON, or that holds a remembered
reference or name or a string of a reference's shape, fails the run, with the lines named.

``LOG_SCAN=0`` turns it off (for a quick look at one test under a debugger).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

import pytest

ENV_DIR = "ET_LOG_SCAN_DIR"
# The shapes of the product's fictional references: the demo's, the factories' and the bench's.
REFERENCE_SHAPES = re.compile(r"\b(?:DEMO-[A-Z]{2}-\d{4}|LCS-\d{6}|TEST-\d{5}|SC-\d{7})\b")
# What is remembered of a case a test creates: references that look like one (five characters or more,
# letters and digits) and names that look like one (initials, or two capitalised words). A fuzzer's "0"
# or "x" would match any log line by chance, and names nothing.
LIKE_A_REFERENCE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)\S{5,}$")
LIKE_A_NAME = re.compile(r"^(?:[A-Z]\.){2,4}$|^[A-Z][a-z]+(?: [A-Z][a-z]+)+$")

_state: dict = {"handler": None, "forbidden": set()}


def _enabled() -> bool:
    return os.environ.get("LOG_SCAN", "1") != "0"


def _worker(config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "main")


def pytest_configure(config) -> None:
    if not _enabled() or hasattr(config, "workerinput"):
        return
    from django.conf import settings

    run = Path(settings.VAR_DIR if hasattr(settings, "VAR_DIR") else "var") / "test-logs"
    run = run / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{os.getpid()}"
    run.mkdir(parents=True, exist_ok=True)
    os.environ[ENV_DIR] = str(run)  # the xdist workers start after this and inherit it


# Hypothesis draws strings from the constants of the code under test, so a fuzzer may register a case whose
# "reference" is one of the product's own strings (a CSS class name) and then send the same string as a
# user name, which a sign-in refusal logs. Such a string names no child: it is not remembered.
PRODUCT_SOURCES = ("*.py", "*.html", "*.css", "*.js", "*.txt")
PRODUCT_SKIP = {".venv", "node_modules", "tests", "var", ".git", "docs"}


def _product_text() -> str:
    if "product_text" not in _state:
        root = Path(__file__).resolve().parent.parent
        parts = []
        for pattern in PRODUCT_SOURCES:
            for path in root.rglob(pattern):
                if not PRODUCT_SKIP & set(path.relative_to(root).parts):
                    try:
                        parts.append(path.read_text(encoding="utf-8", errors="ignore"))
                    except OSError:
                        continue
        _state["product_text"] = "\n".join(parts)
    return _state["product_text"]


def _remember_case(sender, instance, **kwargs) -> None:
    if LIKE_A_REFERENCE.match(instance.reference or "") and instance.reference not in _product_text():
        _state["forbidden"].add(instance.reference)
    if LIKE_A_NAME.match(instance.display_name or ""):
        _state["forbidden"].add(instance.display_name)


def _attach() -> None:
    root = logging.getLogger()
    if _state["handler"] is not None and _state["handler"] not in root.handlers:
        root.addHandler(_state["handler"])


def pytest_sessionstart(session) -> None:
    if not _enabled() or ENV_DIR not in os.environ:
        return
    from django.db.models.signals import post_save

    from core.logging import JsonFormatter
    from demo.services import CASES

    handler = logging.FileHandler(Path(os.environ[ENV_DIR]) / f"{_worker(session.config)}.jsonl", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.NOTSET)
    _state["handler"] = handler
    _attach()
    for rows in CASES.values():
        for reference, name, *_ in rows:
            _state["forbidden"].update({reference, name})
    post_save.connect(_remember_case, sender="cases.Case", dispatch_uid="logscan-case", weak=False)


@pytest.fixture(autouse=True)
def _log_scan_handler_attached():
    """Put the handler back if a test's logging configuration removed it."""
    _attach()


def scan(run: Path) -> list[str]:
    """The problems in a run's logs: lines that are not JSON, and lines naming a case or a child."""
    forbidden: set[str] = set()
    for path in run.glob("*.forbidden.json"):
        forbidden.update(json.loads(path.read_text(encoding="utf-8")))
    names = re.compile("|".join(re.escape(text) for text in sorted(forbidden, key=len, reverse=True))) \
        if forbidden else None
    problems = []
    for path in sorted(run.glob("*.jsonl")):
        # One record a line, split on "\n" only, as a log collector does (str.splitlines would also split on
        # the Unicode line separators a record's text may hold; the formatter escapes them too).
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            if not line:
                continue
            try:
                json.loads(line)
            except ValueError:
                problems.append(f"{path.name}:{number}: not JSON: {line[:200]}")
                continue
            found = REFERENCE_SHAPES.search(line) or (names.search(line) if names else None)
            if found:
                problems.append(f"{path.name}:{number}: names {found.group(0)!r}: {line[:300]}")
    return problems


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    if not _enabled() or ENV_DIR not in os.environ:
        return
    run = Path(os.environ[ENV_DIR])
    handler = _state["handler"]
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
        (run / f"{_worker(session.config)}.forbidden.json").write_text(
            json.dumps(sorted(_state["forbidden"])), encoding="utf-8")
    if hasattr(session.config, "workerinput"):
        return  # the process that started the run scans every worker's file
    problems = scan(run)
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"The application logs of this run name a case or a child, or are not JSON ({run}):",
                 *(f"  {problem}" for problem in problems[:50])]
        for line in lines:
            if reporter is not None:
                reporter.write_line(line, red=True)
            else:
                print(line)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
