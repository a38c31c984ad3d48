"""The one way times and dates are said (``core.text``): GOV.UK style, in London time, on every page,
e-mail and timeline note."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core import text

LONDON = ZoneInfo("Europe/London")


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(("moment", "words"), [
    (london(2027, 1, 4, 17, 0), "5pm"),
    (london(2027, 1, 4, 14, 30), "2:30pm"),
    (london(2027, 1, 4, 9, 5), "9:05am"),
    (london(2027, 1, 4, 12, 0), "midday"),
    (london(2027, 1, 4, 0, 0), "midnight"),
    (london(2027, 1, 4, 0, 30), "12:30am"),
    (london(2027, 1, 4, 12, 45), "12:45pm"),
    (london(2027, 1, 4, 23, 59), "11:59pm"),
    (dt.time(17, 0), "5pm"),
    (dt.time(7, 15), "7:15am"),
])
def test_a_time_of_day_is_said_as_gov_uk_writes_it(moment, words):
    assert text.time_words(moment) == words


def test_a_moment_is_said_in_london_time_whatever_its_zone():
    # 17:00 UTC in summer is 6pm in London; in winter it is 5pm.
    assert text.time_words(dt.datetime(2026, 7, 1, 17, 0, tzinfo=dt.UTC)) == "6pm"
    assert text.when(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == "11:30pm on Thursday 31 December 2026"
    # Midnight UTC on the last day of British Summer Time is 1am the next day in London.
    assert text.when(dt.datetime(2026, 10, 24, 23, 0, tzinfo=dt.UTC)) == "midnight on Sunday 25 October 2026"


def test_days_have_their_weekday_no_leading_zero_and_the_year_unless_told():
    day = dt.date(2027, 1, 4)
    assert text.day_words(day) == "Monday 4 January 2027"
    assert text.day_words(day, weekday=False) == "4 January 2027"
    assert text.day_words(day, year=False) == "Monday 4 January"
    assert text.day_words(london(2027, 1, 4, 23, 0)) == "Monday 4 January 2027"


def test_a_moment_is_its_time_on_its_day_with_the_year_left_out_in_the_same_year_only_when_asked():
    moment = london(2027, 1, 4, 17, 0)
    assert text.when(moment) == "5pm on Monday 4 January 2027"
    assert text.when(moment, today=dt.date(2027, 3, 1)) == "5pm on Monday 4 January"
    assert text.when(moment, today=dt.date(2026, 12, 30)) == "5pm on Monday 4 January 2027"
    assert text.when_dated(london(2027, 1, 4, 14, 30)) == "Monday 4 January 2027 at 2:30pm"
    assert text.when(None) == "" and text.when_dated(None) == ""


@pytest.mark.parametrize("hour", range(24))
def test_no_hour_is_said_the_24_hour_way_or_as_12am(hour):
    for minute in (0, 30):
        words = text.time_words(dt.time(hour, minute))
        assert words != "12am" and words != "12pm"
        assert ":" not in words or words.endswith(("am", "pm"))
        assert words in ("midday", "midnight") or words.endswith(("am", "pm"))
        assert not words.startswith("0")
