"""Deadlines in words and the red/amber/green mark the lists show (its rule: tests/escalations/test_status.py)."""
import datetime as dt

import pytest

from escalations.templatetags.escalation_tags import date_words, deadline_words, time_in_words
from tests.conftest import at

pytestmark = pytest.mark.django_db


def test_a_deadline_reads_as_the_time_then_the_day_in_words():
    assert deadline_words(at(2026, 12, 29, 17, 0), today=dt.date(2026, 12, 28)) == "5pm on Tuesday 29 December"


def test_a_deadline_in_another_year_names_the_year():
    assert deadline_words(at(2027, 1, 4, 17, 0), today=dt.date(2026, 12, 29)) == "5pm on Monday 4 January 2027"


def test_a_deadline_is_given_in_uk_time_whatever_the_instant_s_zone():
    summer_close = dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC)  # 17:00 BST
    assert deadline_words(summer_close, today=dt.date(2026, 7, 1)) == "5pm on Wednesday 1 July"


@pytest.mark.parametrize(("hour", "minute", "words"), [
    (17, 30, "5:30pm"), (9, 5, "9:05am"), (12, 0, "midday"), (0, 0, "midnight"), (12, 30, "12:30pm"),
])
def test_times_read_as_gov_uk_writes_them(hour, minute, words):
    assert time_in_words(at(2026, 11, 10, hour, minute)) == words


def test_a_timeline_moment_reads_with_the_year():
    assert date_words(at(2026, 11, 10, 10, 0)) == "Tuesday 10 November 2026 at 10am"


def test_an_empty_deadline_reads_as_nothing():
    assert deadline_words(None) == ""


def test_the_rag_mark_shows_the_model_s_status_in_words(raise_escalation, travel):
    from django.template import Context, Template

    travel(at(2026, 11, 12, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")  # due Friday 13 November: amber
    html = Template("{% load escalation_tags %}{% rag esc %}").render(Context({"esc": esc}))
    assert 'data-rag="amber"' in html and "Due soon" in html
