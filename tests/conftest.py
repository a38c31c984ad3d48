"""Shared fixtures: the seeded ladders and the demo people, a fixed working-day moment, clients."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

# The browser journeys' run: its artefacts folder and its one-line summary (tests/browser/plugin.py).
# Every run's application logs are scanned for case references and children's names (tests/logscan.py).
pytest_plugins = ["tests.browser.plugin", "tests.logscan"]

LONDON = ZoneInfo("Europe/London")


def at(*args) -> dt.datetime:
    """A local (Europe/London) moment: at(2026, 11, 10, 10, 0)."""
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A ``replica`` alias that mirrors the primary in tests (as DATABASE_REPLICA_URL adds in production).

    Nothing reads from it unless a test sets ``REPORTS_DATABASE = "replica"`` and allows the alias
    (``django_db(databases=["default", "replica"])``): the reports' router test does.
    """
    import copy

    from django.conf import settings

    if "replica" not in settings.DATABASES:
        replica = copy.deepcopy(settings.DATABASES["default"])
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica"] = replica


@pytest.fixture(autouse=True)
def _fast_and_in_process(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests move the clock by days between signing in and asking for a page: the session timeouts are
    # off unless a test turns them on (tests/security/test_sessions.py does).
    settings.SESSION_IDLE_TIMEOUT = 0
    settings.SESSION_ABSOLUTE_TIMEOUT = 0
    settings.SESSION_COOKIE_AGE = 14 * 24 * 3600  # the stored session's expiry: Django's default
    # A cache of this test's own (throttle counts are per test, not shared between parallel workers);
    # tests/security/test_signin_throttle.py runs the throttle on the shared caches themselves.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "tests"}}
    from django.core.cache import cache

    cache.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from escalation_tracker.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


@pytest.fixture
def ladders(db):
    """The organisations, partnerships and six ladders of CONTRACT section 3."""
    from policies.services import policies_seed

    policies_seed()
    from policies.models import Ladder

    return {ladder.slug: ladder for ladder in Ladder.objects.current()}


@pytest.fixture
def people(ladders):
    """The demo people of CONTRACT section 4, by username (no escalations)."""
    from demo.services import demo_people_seed

    return demo_people_seed()


@pytest.fixture
def demo(db):
    """The whole demo data set, escalations included."""
    from demo.services import demo_seed

    demo_seed()


@pytest.fixture
def travel():
    """travel(at(...)): move the clock (it ticks on from there); undone after the test."""
    import time_machine

    travellers = []

    def go(when):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(when, tick=True)
        traveller.start()
        travellers.append(traveller)

    yield go
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def raise_escalation(people):
    """raise_escalation("bexley-practitioner", "bexley-internal", risk_level=..., receiving=...)."""
    from tests.factories import raise_for_test

    def go(username, ladder_slug, **kwargs):
        return raise_for_test(people=people, username=username, ladder_slug=ladder_slug, **kwargs)

    return go


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed the ladders and demo people once for a module, in a transaction rolled back at its end.

    Each test then runs in a savepoint inside it, so ``ladders`` and ``people`` only read (about
    three times faster). Use it with ``pytest.mark.usefixtures("seeded_once")`` in modules whose
    tests are not transactional (``transaction=True`` tests flush the database and cannot nest).
    """
    from django.db import transaction
    from django.test.utils import override_settings

    from demo.services import demo_people_seed
    from policies.services import policies_seed

    # Module fixtures run before the per-test settings above: hash the demo passwords fast here too.
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        policies_seed()
        demo_people_seed()
        yield
        transaction.set_rollback(True)


def pytest_collection_modifyitems(config, items):
    """Run the browser journeys and the real-worker test only where CI switches them on, and the
    PostgreSQL-only tests only on PostgreSQL; say why when they do not run."""
    import os

    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    gates = {
        "browser": (os.environ.get("BROWSER_TESTS") == "1", "real-browser journeys run with BROWSER_TESTS=1 (CI)"),
        "celery_integration": (
            os.environ.get("CELERY_INTEGRATION") == "1" and bool(os.environ.get("REDIS_URL")),
            "the real Celery worker test runs with CELERY_INTEGRATION=1 and REDIS_URL (CI)",
        ),
        "postgres": (on_postgres, "needs PostgreSQL row locks (CI runs the suite on PostgreSQL too)"),
    }
    for item in items:
        for marker, (enabled, reason) in gates.items():
            if marker in item.keywords and not enabled:
                item.add_marker(pytest.mark.skip(reason=reason))
