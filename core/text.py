"""Limits on free text, shared by services, forms and API serializers; times and dates in words."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TEXT_LIMIT = 10_000  # characters in a free-text field: a long e-mail's worth, no more


# --- Times and dates in words: the one way every page, e-mail and timeline note says them -------------------
# GOV.UK style: "5pm", "2:30pm", "midday", "midnight" (never "17:00" or "12am"); "Monday 4 January 2027".
# Moments are said in London time, where the partnerships work.
LONDON = ZoneInfo("Europe/London")


def local(moment: dt.datetime) -> dt.datetime:
    """The moment in London time (a naive datetime is taken as London's already)."""
    return moment.astimezone(LONDON) if moment.tzinfo is not None else moment


def time_words(moment: dt.datetime | dt.time) -> str:
    """A time of day: "5pm", "9:30am", "midday", "midnight"."""
    clock = local(moment).timetz() if isinstance(moment, dt.datetime) else moment
    if (clock.hour, clock.minute) == (12, 0):
        return "midday"
    if (clock.hour, clock.minute) == (0, 0):
        return "midnight"
    hour = clock.hour % 12 or 12
    suffix = "am" if clock.hour < 12 else "pm"
    return f"{hour}{suffix}" if clock.minute == 0 else f"{hour}:{clock.minute:02d}{suffix}"


def day_words(day: dt.date, *, weekday: bool = True, year: bool = True) -> str:
    """A day: "Monday 4 January 2027"; "4 January 2027" without the weekday; the year may go."""
    if isinstance(day, dt.datetime):
        day = local(day).date()
    words = f"{day.day} {day:%B}"
    if weekday:
        words = f"{day:%A} {words}"
    return f"{words} {day.year}" if year else words


def when(moment: dt.datetime | None, *, today: dt.date | None = None) -> str:
    """A moment: "5pm on Monday 4 January 2027"; with ``today``, the year only when it is not this year."""
    if moment is None:
        return ""
    there = local(moment)
    return f"{time_words(there)} on {day_words(there.date(), year=today is None or there.year != today.year)}"


def when_dated(moment: dt.datetime | None) -> str:
    """A moment as a dated record says it, the day first: "Monday 4 January 2027 at 5pm"."""
    if moment is None:
        return ""
    there = local(moment)
    return f"{day_words(there.date())} at {time_words(there)}"
