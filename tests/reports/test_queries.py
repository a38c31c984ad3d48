"""The report is computed by the database: its number of queries does not grow with the escalations."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services
from reports.selectors import ReportPeriod, report_scope_for, themes_report
from tests.conftest import at

pytestmark = pytest.mark.django_db

PERIOD = ReportPeriod(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 30))
CATEGORIES = ["level-of-need", "communication", "need-for-action", "roles-and-responsibilities"]
# The queries one report takes: fixed by its tables, whatever the number of escalations.
QUERY_BUDGET = 25


def _build(count, *, start, raise_escalation, people, travel):
    """Raise ``count`` Bexley and Wiltshire escalations, resolving every third one the next day."""
    for i in range(start, start + count):
        when = at(2026, 10, 5 + (i % 20), 10, 0)
        travel(when)
        if i % 2:
            esc = raise_escalation("bexley-practitioner", "bexley-internal", category=CATEGORIES[i % 4], now=when)
        else:
            esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                                   category=CATEGORIES[i % 4], now=when)
        if i % 3 == 0:
            travel(when + dt.timedelta(days=1))
            esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Agreed.")
            services.escalation_accept(escalation=esc, actor=esc.raised_by, agreed_outcome="Agreed.",
                                       outstanding_actions="None.")


def _queries(user):
    with CaptureQueriesContext(connection) as captured:
        themes_report(scope=report_scope_for(user=user), period=PERIOD, now=at(2026, 11, 30, 12, 0))
    return len(captured)


@pytest.mark.parametrize("reader", ["bexley-psw", "wiltshire-board-member"])
def test_query_count_is_the_same_for_5_and_30_escalations(raise_escalation, people, travel, reader):
    _build(5, start=0, raise_escalation=raise_escalation, people=people, travel=travel)
    with_5 = _queries(people[reader])
    _build(25, start=5, raise_escalation=raise_escalation, people=people, travel=travel)
    with_30 = _queries(people[reader])
    assert with_5 == with_30
    assert with_30 <= QUERY_BUDGET


def test_the_page_query_count_does_not_grow_either(client, raise_escalation, people, travel):
    client.force_login(people["bexley-psw"])
    query = {"from": "2026-10-01", "to": "2026-11-30"}
    _build(5, start=0, raise_escalation=raise_escalation, people=people, travel=travel)
    with CaptureQueriesContext(connection) as with_5:
        assert client.get(reverse("reports:themes"), query).status_code == 200
    _build(25, start=5, raise_escalation=raise_escalation, people=people, travel=travel)
    with CaptureQueriesContext(connection) as with_30:
        assert client.get(reverse("reports:themes"), query).status_code == 200
    assert len(with_5) == len(with_30)
