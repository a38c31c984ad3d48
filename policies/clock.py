"""The working-day clock of CONTRACT section 2: every deadline in the product comes from here.

A working day is Monday to Friday, not an England and Wales bank holiday (``holidays``, GB/ENG,
substitute days included) and not a closure day of the organisation. Deadlines fall at close of
business, local time in Europe/London.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
DEFAULT_CLOSE_OF_BUSINESS = dt.time(17, 0)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year, observed=True))


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def bank_holiday_name(day: dt.date) -> str | None:
    """The name of the England and Wales bank holiday on ``day`` ("Christmas Day"), or None."""
    if not is_bank_holiday(day):
        return None
    return holidays.country_holidays("GB", subdiv="ENG", years=day.year, observed=True).get(day)


def is_working_day(day: dt.date, *, closure_days: Collection[dt.date] = ()) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day) and day not in closure_days


def local(instant: dt.datetime) -> dt.datetime:
    """Return an aware instant in Europe/London."""
    if instant.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    return instant.astimezone(LONDON)


def _close(day: dt.date, close_of_business: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, close_of_business, tzinfo=LONDON)


def next_working_day(day: dt.date, *, closure_days: Collection[dt.date] = ()) -> dt.date:
    """Return the first working day strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_working_day(day, closure_days=closure_days):
        day += dt.timedelta(days=1)
    return day


def deadline(
    start: dt.datetime,
    working_days: int,
    *,
    closure_days: Collection[dt.date] = (),
    close_of_business: dt.time = DEFAULT_CLOSE_OF_BUSINESS,
) -> dt.datetime:
    """Return the deadline ``working_days`` working days from ``start``.

    N >= 1: close of business on the N-th working day strictly after start's local date.
    N == 0 (same day): close of business today if today is a working day and it is not yet close
    of business, else close of business on the next working day.
    """
    if working_days < 0:
        raise ValueError("working_days must be 0 (same day) or more")
    moment = local(start)
    today = moment.date()
    if working_days == 0:
        if is_working_day(today, closure_days=closure_days) and moment < _close(today, close_of_business):
            return _close(today, close_of_business)
        return _close(next_working_day(today, closure_days=closure_days), close_of_business)
    day = today
    for _ in range(working_days):
        day = next_working_day(day, closure_days=closure_days)
    return _close(day, close_of_business)


def working_days_between(
    start: dt.datetime, end: dt.datetime, *, closure_days: Collection[dt.date] = ()
) -> int:
    """Count the working days after start's local date up to and including end's local date."""
    first, last = local(start).date(), local(end).date()
    if last <= first:
        return 0
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day, closure_days=closure_days):
            count += 1
    return count
