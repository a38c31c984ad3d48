"""The browser journeys' run: name its artefacts folder before any test process starts, write what each
process checked at its end, and say in one line what was checked (or how to switch the journeys on).

Registered by tests/conftest.py, so that it also runs in the process that hands tests to xdist's workers.
"""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from tests.browser.checks import ROOT, TALLY, artefacts_folder

CHROMIUM = "/usr/bin/chromium"
NEEDS = f"they need Chromium at {CHROMIUM} (`apt-get install chromium`) and Node.js with npm (for axe-core)"
ENABLE = f"set BROWSER_TESTS=1 to run them ({NEEDS})"


def browser_tests_on() -> bool:
    return os.environ.get("BROWSER_TESTS") == "1"


def pytest_configure(config: pytest.Config) -> None:
    if browser_tests_on():
        # Playwright's sync API starts an event loop in the test process's thread and keeps it for the session
        # (its browser is shared by the journeys), so every later test in the same process would find Django's
        # synchronous database calls refused as if they ran in async code. Nothing here is async: with the
        # journeys on, Django is told so for the whole run, in each process.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if browser_tests_on() and not os.environ.get("BROWSER_ARTIFACTS") and not hasattr(config, "workerinput"):
        run = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
        os.environ["BROWSER_ARTIFACTS"] = str(ROOT / "var" / "browser-artifacts" / run)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if TALLY.pages or TALLY.screenshots:
        worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
        TALLY.write(artefacts_folder(), worker)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    browser_reports = [r for r in terminalreporter.stats.get("skipped", []) if "browser" in getattr(r, "keywords", {})]
    if not browser_tests_on():
        if browser_reports:
            terminalreporter.write_line(f"Browser journeys: {len(browser_reports)} skipped; {ENABLE}.")
        return
    folder = artefacts_folder()
    parts = sorted(folder.glob("summary-*.json")) if folder.is_dir() else []
    if not parts:
        if browser_reports:
            reason = browser_reports[0].longrepr[2] if isinstance(browser_reports[0].longrepr, tuple) else ""
            reason = reason.removeprefix("Skipped: ")
            terminalreporter.write_line(f"Browser journeys: {len(browser_reports)} skipped; {reason}".rstrip("; "))
        return
    total: dict = {"pages_checked_by_axe": 0, "axe_violations": 0, "violations": [], "reflow_failures": [],
                   "screenshots": 0}
    for part in parts:
        found = json.loads(part.read_text())
        for key, value in found.items():
            total[key] += value
    (folder / "summary.json").write_text(json.dumps(total, indent=2))
    terminalreporter.write_line(
        f"Browser journeys: {total['pages_checked_by_axe']} pages checked by axe, {total['axe_violations']} "
        f"violations found, {len(total['reflow_failures'])} pages scrolling sideways at 320 px; "
        f"screenshots and summary.json in {folder}")
