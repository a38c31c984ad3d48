"""Each page's and API list's SQL statements do not depend on how much data there is.

The data set is bench/scale.py's: a small one, then ten times as many escalations among the same
people. The pages are bench/run.py's, each for the person who was busiest in the small one.
"""
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import run as bench_run
from bench import scale

# The most statements each page or API call may take, whatever the data: what it takes today, which
# includes the session and the user (2) and, for the API, the throttle's and paginator's reads; the
# escalation page and the record also read the board logs, the panel, the debriefs and the eligible people.
# The escalation page, the record and the API's reads each write one row to the access log (one INSERT;
# the API list writes its page's rows in one).
MOST = {
    "awaiting my response": 12,
    "my escalations": 12,
    "my team's escalations": 16,
    "PSW overview": 15,
    "QA&P board log": 12,
    "themes report, a year": 17,
    "escalation page": 32,
    "printable record": 18,
    "notifications": 8,
    "API list, PSW": 13,
    "API list, holder=me": 15,
    "API detail": 15,
    "API notifications": 6,
}


def _counts(targets) -> dict[str, int]:
    """The statements of one request to each page (after a first one)."""
    counts = {}
    for target in targets:
        client = Client()
        client.force_login(target.user)
        client.get(target.url)  # the escalation page marks notifications read the first time
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target.url)
        assert response.status_code == 200, target.url
        counts[target.name] = len(queries.captured_queries)
    return counts


@pytest.fixture
def data_set(db):
    cache.clear()

    def build(escalations: int) -> None:
        scale.build(escalations=escalations, organisations=8, users=240, seed=escalations, say=lambda _: None)

    yield build
    cache.clear()


def test_every_page_takes_as_many_statements_with_ten_times_the_data(data_set, django_assert_max_num_queries):
    data_set(150)
    targets = bench_run.targets_choose()
    small = _counts(targets)
    assert set(small) == set(MOST)
    assert {name: n for name, n in small.items() if n > MOST[name]} == {}
    data_set(1350)
    large = _counts(targets)
    assert large == small
    for target in targets:
        client = Client()
        client.force_login(target.user)
        with django_assert_max_num_queries(MOST[target.name]):
            assert client.get(target.url).status_code == 200
