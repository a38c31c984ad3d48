"""Shared fixtures: the seeded ladders and the demo people, a fixed working-day moment, clients."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

LONDON = ZoneInfo("Europe/London")


def at(*args) -> dt.datetime:
    """A local (Europe/London) moment: at(2026, 11, 10, 10, 0)."""
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _fast_and_in_process(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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
    from escalations.demo import _people

    return _people()


@pytest.fixture
def demo(db):
    """The whole demo data set, escalations included."""
    from escalations.demo import demo_seed

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
    from escalations.factories_support import raise_for_test

    def go(username, ladder_slug, **kwargs):
        return raise_for_test(people=people, username=username, ladder_slug=ladder_slug, **kwargs)

    return go
