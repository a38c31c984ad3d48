"""The report's running count of working days gives clock.working_days_between's answers."""
import datetime as dt
import random

from policies import clock
from reports.selectors import _WorkingDayCounter
from tests.conftest import at


def test_the_running_count_agrees_with_the_clock_for_every_pair():
    rng = random.Random(7)
    closures = {1: frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 29), dt.date(2027, 1, 2)}), 2: frozenset()}
    counter = _WorkingDayCounter(closures)
    start = at(2026, 11, 2, 9, 0)
    for _ in range(400):
        first = start + dt.timedelta(hours=rng.randrange(0, 24 * 120))
        last = first + dt.timedelta(hours=rng.randrange(-48, 24 * 30))
        organisation = rng.choice((1, 2, 3))
        expected = clock.working_days_between(first, last, closure_days=closures.get(organisation, ()))
        assert counter.between(first, last, organisation) == expected, (first, last, organisation)


def test_an_earlier_start_than_any_seen_counts_from_there():
    counter = _WorkingDayCounter({})
    assert counter.between(at(2026, 11, 16, 10, 0), at(2026, 11, 20, 10, 0), 1) == 4
    # Across the Christmas bank holidays, from a day before the first one seen.
    assert counter.between(at(2026, 11, 2, 10, 0), at(2026, 12, 31, 10, 0), 1) == clock.working_days_between(
        at(2026, 11, 2, 10, 0), at(2026, 12, 31, 10, 0))
