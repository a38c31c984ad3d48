"""Real-browser journeys: Playwright (pytest-playwright) drives Debian's Chromium against pytest-django's live
server, and every page a journey visits passes axe-core and the 320 px reflow check (tests/browser/checks.py).

Headed and slowed down: ``BROWSER_TESTS=1 HEADED=1 SLOW_MO=250`` (or pytest's ``--headed --slowmo 250``).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.checks import AXE, CSP_WATCH, ROOT, WIDE, Checker, artefacts_folder, slug
from tests.browser.plugin import CHROMIUM, NEEDS

PASSWORD = "demo-pass-2026"


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"The browser journeys need {what}, and in CI its absence is a failure.")
    pytest.skip(f"{what} is missing: {NEEDS}.")


def _axe_installed() -> None:
    """Install the npm packages once (``npm ci`` from package-lock.json), one test process at a time."""
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if AXE.exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm (for axe-core)")
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=ROOT, check=True,
                       timeout=600, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright's own browsers are never downloaded), headless unless HEADED=1."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        _missing(f"Chromium ({CHROMIUM})")
    _axe_installed()
    args = {**browser_type_launch_args, "executable_path": executable,
            "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]}
    if os.environ.get("HEADED") == "1":
        args["headless"] = False
    if os.environ.get("SLOW_MO"):
        args["slow_mo"] = int(os.environ["SLOW_MO"])
    return args


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are opened by path on pytest-django's live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The site's Content-Security-Policy stays in force: axe-core is evaluated by the driver (checks.py).
    return {**browser_context_args, "viewport": WIDE,
            "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API keeps an event loop running in this thread, so Django takes the test's own database
    calls (and the flush after each journey) for async ones; they are synchronous. Only around a journey."""
    if item.get_closest_marker("browser") is None:
        return (yield)
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def artefacts(request) -> Path:
    return artefacts_folder() / slug(request.node.name)


@pytest.fixture
def check_page(artefacts):
    """check_page(page): axe-core and reflow at 320 px on the page shown now (see checks.py)."""
    return Checker(artefacts)


@pytest.fixture
def journey(new_context, check_page, artefacts, request):
    """journey.sign_in(username) -> a page signed in as that person, in a browser of their own; journey.visit(page,
    path) opens a page and checks it; every page shown after a click is checked with journey.check(page).
    The last page of the journey is saved as a screenshot when the test ends."""

    class Journey:
        last = None

        def check(self, page):
            check_page(page)
            self.last = page
            return page

        def new_page(self):
            context = new_context()
            context.add_init_script(CSP_WATCH)
            page = context.new_page()
            page.set_default_timeout(10_000)  # the live server answers in well under a second
            return page

        def sign_in(self, username: str, password: str = PASSWORD):
            page = self.new_page()
            page.goto("/sign-in/")
            self.check(page)
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("main button[type=submit]")
            page.wait_for_selector("[data-testid=user-bar]")
            return self.check(page)

        def visit(self, page, path: str):
            page.goto(path)
            return self.check(page)

        def submit(self, page, button):
            """Press a form's button, wait for the page it leads to, and check that page."""
            page.wait_for_load_state("networkidle")  # htmx previews settle before the button is pressed
            with page.expect_navigation():
                button.click()
            return self.check(page)

    walk = Journey()
    yield walk
    if walk.last is not None and not walk.last.is_closed():
        # A failed journey keeps its own error: the screenshot of where it stopped is extra.
        with contextlib.suppress(Exception):
            check_page.screenshot(walk.last, "last-page")
