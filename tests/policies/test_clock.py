"""The working-day clock of CONTRACT section 2: every deadline in the product comes from it.

Expected dates are worked out by hand from the calendar (England and Wales bank holidays as
published by GOV.UK), never by calling the clock.
"""
import datetime as dt

import pytest

from policies import clock
from tests.conftest import at

UTC = dt.UTC
D = dt.date


def deadline(start, n, **kwargs):
    return clock.deadline(start, n, **kwargs)


# --- the contract's examples --------------------------------------------------------------------
def test_contract_tuesday_morning_plus_one_is_wednesday_close():
    assert deadline(at(2026, 11, 3, 10, 0), 1) == at(2026, 11, 4, 17, 0)


def test_contract_friday_evening_plus_one_is_monday_close():
    assert deadline(at(2026, 11, 6, 18, 30), 1) == at(2026, 11, 9, 17, 0)


def test_contract_saturday_plus_one_is_monday_close():
    assert deadline(at(2026, 11, 7, 11, 0), 1) == at(2026, 11, 9, 17, 0)


def test_contract_monday_after_close_same_day_is_tuesday_close():
    assert deadline(at(2026, 11, 2, 17, 30), 0) == at(2026, 11, 3, 17, 0)


# --- N >= 1 -------------------------------------------------------------------------------------
def test_time_of_day_does_not_matter_for_n_of_one_or_more():
    """Before, at and after close of business all count from the next working day."""
    for hour, minute in ((0, 0), (9, 0), (16, 59), (17, 0), (23, 59)):
        assert deadline(at(2026, 11, 3, hour, minute), 1) == at(2026, 11, 4, 17, 0)


def test_friday_before_close_plus_one_skips_the_weekend():
    assert deadline(at(2026, 11, 6, 9, 0), 1) == at(2026, 11, 9, 17, 0)


def test_sunday_plus_one_is_monday_close():
    assert deadline(at(2026, 11, 8, 20, 0), 1) == at(2026, 11, 9, 17, 0)


def test_weekend_plus_five_is_the_next_friday():
    assert deadline(at(2026, 11, 7, 10, 0), 5) == at(2026, 11, 13, 17, 0)


def test_local_date_is_used_not_the_utc_date():
    """23:30 UTC on 1 June 2026 is 00:30 on Tuesday 2 June in London (BST): counting starts after the 2nd."""
    start = dt.datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    assert deadline(start, 1) == at(2026, 6, 3, 17, 0)


def test_deadline_is_returned_in_london_time():
    result = deadline(at(2026, 11, 3, 10, 0), 1)
    assert result.utcoffset() == dt.timedelta(0)
    assert result.tzinfo == clock.LONDON
    summer = deadline(at(2026, 6, 2, 10, 0), 1)
    assert summer.utcoffset() == dt.timedelta(hours=1)


# N = 1..20 from Thursday 17 December 2026, across Christmas (Fri 25, Boxing Day on Saturday so
# Mon 28 substitute) and New Year's Day (Fri 1 January 2027).
CHRISTMAS_2026_TABLE = [
    (1, D(2026, 12, 18)), (2, D(2026, 12, 21)), (3, D(2026, 12, 22)), (4, D(2026, 12, 23)),
    (5, D(2026, 12, 24)), (6, D(2026, 12, 29)), (7, D(2026, 12, 30)), (8, D(2026, 12, 31)),
    (9, D(2027, 1, 4)), (10, D(2027, 1, 5)), (11, D(2027, 1, 6)), (12, D(2027, 1, 7)),
    (13, D(2027, 1, 8)), (14, D(2027, 1, 11)), (15, D(2027, 1, 12)), (16, D(2027, 1, 13)),
    (17, D(2027, 1, 14)), (18, D(2027, 1, 15)), (19, D(2027, 1, 18)), (20, D(2027, 1, 19)),
]


@pytest.mark.parametrize(("n", "day"), CHRISTMAS_2026_TABLE)
def test_n_working_days_across_christmas_2026(n, day):
    result = deadline(at(2026, 12, 17, 10, 0), n)
    assert result == dt.datetime.combine(day, dt.time(17, 0), tzinfo=clock.LONDON)
    assert result.astimezone(UTC).hour == 17  # GMT all winter


# N = 1..20 from Monday 15 March 2027, across Easter 2027 (Good Friday 26 March, Easter Monday
# 29 March) and the change to BST (Sunday 28 March 2027).
EASTER_2027_TABLE = [
    (1, D(2027, 3, 16)), (2, D(2027, 3, 17)), (3, D(2027, 3, 18)), (4, D(2027, 3, 19)),
    (5, D(2027, 3, 22)), (6, D(2027, 3, 23)), (7, D(2027, 3, 24)), (8, D(2027, 3, 25)),
    (9, D(2027, 3, 30)), (10, D(2027, 3, 31)), (11, D(2027, 4, 1)), (12, D(2027, 4, 2)),
    (13, D(2027, 4, 5)), (14, D(2027, 4, 6)), (15, D(2027, 4, 7)), (16, D(2027, 4, 8)),
    (17, D(2027, 4, 9)), (18, D(2027, 4, 12)), (19, D(2027, 4, 13)), (20, D(2027, 4, 14)),
]


@pytest.mark.parametrize(("n", "day"), EASTER_2027_TABLE)
def test_n_working_days_across_easter_and_the_clocks_going_forward_2027(n, day):
    result = deadline(at(2027, 3, 15, 10, 0), n)
    assert result.astimezone(clock.LONDON).date() == day
    assert result.astimezone(clock.LONDON).time() == dt.time(17, 0)
    expected_utc_hour = 17 if day < D(2027, 3, 28) else 16
    assert result.astimezone(UTC).hour == expected_utc_hour


# --- bank holidays ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day",
    [
        D(2025, 12, 25), D(2025, 12, 26),
        D(2026, 12, 25), D(2026, 12, 28),  # Boxing Day 2026 is a Saturday: Monday 28 is the substitute
        D(2027, 12, 27), D(2027, 12, 28),  # Christmas 2027 is a Saturday: Monday 27 and Tuesday 28
        D(2028, 1, 3),  # New Year's Day 2028 is a Saturday: Monday 3 January
        D(2028, 12, 25), D(2028, 12, 26),
        D(2025, 4, 18), D(2025, 4, 21), D(2026, 4, 3), D(2026, 4, 6),
        D(2027, 3, 26), D(2027, 3, 29), D(2028, 4, 14), D(2028, 4, 17),
        D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 31),
    ],
)
def test_england_and_wales_bank_holidays_are_not_working_days(day):
    assert clock.is_bank_holiday(day)
    assert not clock.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 12, 29),  # the Tuesday after the 2026 substitute day
        D(2027, 12, 29),
        D(2026, 3, 17),  # St Patrick's Day: a bank holiday in Northern Ireland only
        D(2026, 11, 30),  # St Andrew's Day: Scotland only
        D(2026, 8, 3),  # Scotland's summer bank holiday, not England's
        D(2026, 1, 2),  # 2 January: Scotland only
    ],
)
def test_other_nations_holidays_and_ordinary_weekdays_are_working_days(day):
    assert not clock.is_bank_holiday(day)
    assert clock.is_working_day(day)


def test_weekends_are_not_working_days():
    assert not clock.is_working_day(D(2026, 11, 7))
    assert not clock.is_working_day(D(2026, 11, 8))
    assert clock.is_working_day(D(2026, 11, 9))


def test_boxing_day_2026_substitute_moves_a_christmas_eve_deadline_to_tuesday():
    assert deadline(at(2026, 12, 24, 10, 0), 1) == at(2026, 12, 29, 17, 0)


def test_christmas_2027_on_saturday_gives_two_substitute_days():
    assert deadline(at(2027, 12, 24, 10, 0), 1) == at(2027, 12, 29, 17, 0)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (at(2025, 12, 24, 10, 0), 1, at(2025, 12, 29, 17, 0)),  # Thu 25, Fri 26 off
        (at(2025, 12, 23, 10, 0), 2, at(2025, 12, 29, 17, 0)),
        (at(2026, 12, 24, 10, 0), 2, at(2026, 12, 30, 17, 0)),
        (at(2027, 12, 23, 10, 0), 2, at(2027, 12, 29, 17, 0)),  # Fri 24, then Wed 29
        (at(2027, 12, 31, 10, 0), 1, at(2028, 1, 4, 17, 0)),  # Mon 3 January 2028 is the substitute
        (at(2028, 12, 22, 10, 0), 1, at(2028, 12, 27, 17, 0)),  # Mon 25, Tue 26 off
        (at(2028, 12, 25, 10, 0), 1, at(2028, 12, 27, 17, 0)),  # counting from a bank holiday
    ],
)
def test_christmas_and_new_year_of_several_years(start, n, expected):
    assert deadline(start, n) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (at(2025, 4, 17, 10, 0), at(2025, 4, 22, 17, 0)),  # Good Friday 18, Easter Monday 21 April 2025
        (at(2026, 4, 2, 10, 0), at(2026, 4, 7, 17, 0)),  # 3 and 6 April 2026
        (at(2027, 3, 25, 10, 0), at(2027, 3, 30, 17, 0)),  # 26 and 29 March 2027
        (at(2028, 4, 13, 10, 0), at(2028, 4, 18, 17, 0)),  # 14 and 17 April 2028
    ],
)
def test_easter_of_several_years_plus_one(start, expected):
    assert deadline(start, 1) == expected


# --- same day (N = 0) ---------------------------------------------------------------------------
def test_same_day_before_close_is_today():
    assert deadline(at(2026, 11, 3, 10, 0), 0) == at(2026, 11, 3, 17, 0)


def test_same_day_one_second_before_close_is_today():
    assert deadline(at(2026, 11, 3, 16, 59, 59), 0) == at(2026, 11, 3, 17, 0)


def test_same_day_at_close_is_the_next_working_day():
    assert deadline(at(2026, 11, 3, 17, 0), 0) == at(2026, 11, 4, 17, 0)


def test_same_day_after_close_on_friday_is_monday():
    assert deadline(at(2026, 11, 6, 17, 30), 0) == at(2026, 11, 9, 17, 0)


def test_same_day_on_a_weekend_is_monday():
    assert deadline(at(2026, 11, 7, 9, 0), 0) == at(2026, 11, 9, 17, 0)
    assert deadline(at(2026, 11, 8, 9, 0), 0) == at(2026, 11, 9, 17, 0)


def test_same_day_on_a_bank_holiday_is_the_next_working_day():
    assert deadline(at(2026, 12, 28, 9, 0), 0) == at(2026, 12, 29, 17, 0)
    assert deadline(at(2027, 12, 27, 9, 0), 0) == at(2027, 12, 29, 17, 0)


def test_same_day_early_morning_is_today():
    assert deadline(at(2026, 11, 3, 0, 5), 0) == at(2026, 11, 3, 17, 0)


# --- daylight saving ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "n", "expected_local", "expected_utc"),
    [
        # Clocks go forward on Sunday 29 March 2026: Friday's deadline is GMT, Monday's BST.
        (at(2026, 3, 26, 10, 0), 1, at(2026, 3, 27, 17, 0), dt.datetime(2026, 3, 27, 17, 0, tzinfo=UTC)),
        (at(2026, 3, 27, 10, 0), 1, at(2026, 3, 30, 17, 0), dt.datetime(2026, 3, 30, 16, 0, tzinfo=UTC)),
        (at(2026, 3, 29, 1, 30), 0, at(2026, 3, 30, 17, 0), dt.datetime(2026, 3, 30, 16, 0, tzinfo=UTC)),
        # Clocks go back on Sunday 25 October 2026.
        (at(2026, 10, 23, 10, 0), 1, at(2026, 10, 26, 17, 0), dt.datetime(2026, 10, 26, 17, 0, tzinfo=UTC)),
        (at(2026, 10, 22, 10, 0), 1, at(2026, 10, 23, 17, 0), dt.datetime(2026, 10, 23, 16, 0, tzinfo=UTC)),
        # 2027: forward on 28 March (Easter weekend), back on 31 October.
        (at(2027, 3, 25, 10, 0), 1, at(2027, 3, 30, 17, 0), dt.datetime(2027, 3, 30, 16, 0, tzinfo=UTC)),
        (at(2027, 10, 29, 10, 0), 1, at(2027, 11, 1, 17, 0), dt.datetime(2027, 11, 1, 17, 0, tzinfo=UTC)),
        (at(2027, 10, 31, 1, 30), 0, at(2027, 11, 1, 17, 0), dt.datetime(2027, 11, 1, 17, 0, tzinfo=UTC)),
    ],
)
def test_deadline_is_five_pm_local_across_clock_changes(start, n, expected_local, expected_utc):
    result = deadline(start, n)
    assert result == expected_local == expected_utc
    assert result.astimezone(clock.LONDON).time() == dt.time(17, 0)


def test_start_given_in_utc_on_the_night_the_clocks_go_forward():
    """00:30 UTC on Monday 30 March 2026 is 01:30 BST Monday: same day is Monday 17:00 BST."""
    assert deadline(dt.datetime(2026, 3, 30, 0, 30, tzinfo=UTC), 0) == dt.datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def test_same_day_after_close_in_bst_uses_local_close():
    """16:30 UTC in June is 17:30 BST: past close of business, so the next working day."""
    assert deadline(dt.datetime(2026, 6, 2, 16, 30, tzinfo=UTC), 0) == at(2026, 6, 3, 17, 0)
    assert deadline(dt.datetime(2026, 6, 2, 15, 30, tzinfo=UTC), 0) == at(2026, 6, 2, 17, 0)


# --- the organisation's calendar ----------------------------------------------------------------
def test_closure_day_is_skipped():
    closed = {D(2026, 11, 4)}
    assert deadline(at(2026, 11, 3, 10, 0), 1, closure_days=closed) == at(2026, 11, 5, 17, 0)
    assert not clock.is_working_day(D(2026, 11, 4), closure_days=closed)


def test_closure_days_next_to_a_bank_holiday_stack():
    closed = {D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)}
    assert deadline(at(2026, 12, 24, 10, 0), 1, closure_days=closed) == at(2027, 1, 4, 17, 0)


def test_same_day_on_a_closure_day_is_the_next_working_day():
    closed = {D(2026, 11, 3)}
    assert deadline(at(2026, 11, 3, 10, 0), 0, closure_days=closed) == at(2026, 11, 4, 17, 0)


def test_closure_day_on_a_weekend_changes_nothing():
    closed = {D(2026, 11, 7)}
    assert deadline(at(2026, 11, 6, 10, 0), 1, closure_days=closed) == at(2026, 11, 9, 17, 0)


def test_earlier_close_of_business():
    four = dt.time(16, 0)
    assert deadline(at(2026, 11, 3, 10, 0), 1, close_of_business=four) == at(2026, 11, 4, 16, 0)
    assert deadline(at(2026, 11, 3, 15, 59), 0, close_of_business=four) == at(2026, 11, 3, 16, 0)
    assert deadline(at(2026, 11, 3, 16, 30), 0, close_of_business=four) == at(2026, 11, 4, 16, 0)


def test_later_close_of_business_keeps_the_same_day_open_longer():
    half_six = dt.time(18, 30)
    assert deadline(at(2026, 11, 3, 17, 30), 0, close_of_business=half_six) == at(2026, 11, 3, 18, 30)
    assert deadline(at(2026, 6, 2, 10, 0), 2, close_of_business=half_six) == at(2026, 6, 4, 18, 30)


# --- refusals -----------------------------------------------------------------------------------
def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="aware"):
        clock.deadline(dt.datetime(2026, 11, 3, 10, 0), 1)


def test_naive_datetime_is_refused_by_working_days_between():
    with pytest.raises(ValueError, match="aware"):
        clock.working_days_between(dt.datetime(2026, 11, 3, 10, 0), at(2026, 11, 5, 10, 0))


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        clock.deadline(at(2026, 11, 3, 10, 0), -1)


# --- next_working_day and working_days_between --------------------------------------------------
def test_next_working_day_is_strictly_after():
    assert clock.next_working_day(D(2026, 11, 3)) == D(2026, 11, 4)
    assert clock.next_working_day(D(2026, 11, 6)) == D(2026, 11, 9)
    assert clock.next_working_day(D(2027, 12, 24)) == D(2027, 12, 29)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(2026, 11, 3, 10, 0), at(2026, 11, 3, 18, 0), 0),  # same date
        (at(2026, 11, 3, 10, 0), at(2026, 11, 4, 9, 0), 1),
        (at(2026, 11, 3, 10, 0), at(2026, 11, 6, 9, 0), 3),
        (at(2026, 11, 6, 10, 0), at(2026, 11, 9, 9, 0), 1),  # over a weekend
        (at(2026, 11, 6, 10, 0), at(2026, 11, 8, 9, 0), 0),  # ending on a Sunday
        (at(2026, 12, 24, 10, 0), at(2026, 12, 29, 9, 0), 1),  # Christmas 2026
        (at(2026, 12, 17, 10, 0), at(2027, 1, 19, 17, 0), 20),  # matches the N = 20 deadline
        (at(2026, 11, 9, 10, 0), at(2026, 11, 3, 10, 0), 0),  # end before start
    ],
)
def test_working_days_between(start, end, expected):
    assert clock.working_days_between(start, end) == expected


def test_working_days_between_skips_closure_days():
    closed = {D(2026, 11, 4)}
    assert clock.working_days_between(at(2026, 11, 3, 10, 0), at(2026, 11, 6, 10, 0), closure_days=closed) == 2


def test_working_days_between_inverts_deadline():
    """The deadline N working days away is N working days away."""
    start = at(2027, 3, 15, 10, 0)
    for n in range(1, 21):
        assert clock.working_days_between(start, clock.deadline(start, n)) == n
