"""The reports read from the replica alias when there is one (core.db.ReplicaRouter); writes stay on the primary."""
import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from core.db import replica_reads
from escalations.models import Escalation
from reports.selectors import ReportPeriod, report_scope_for, themes_report

# Committed rows (a transactional test): the replica alias is a second connection to the same database
# in tests, and a second connection sees only what is committed, as a real streaming replica does.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

THIS_YEAR = ReportPeriod(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))


@pytest.fixture
def bexley_escalation(raise_escalation, travel):
    travel(dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.UTC))
    return raise_escalation("bexley-practitioner", "bexley-internal")


def _counted(report) -> str:
    return {row.label: row.cells[0].text for row in report.table("summary").rows}["Escalations raised"]


def test_the_themes_report_reads_every_row_from_the_replica_connection(settings, people, bexley_escalation):
    settings.REPORTS_DATABASE = "replica"
    scope = report_scope_for(user=people["bexley-psw"])

    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        report = themes_report(scope=scope, period=THIS_YEAR)

    assert _counted(report) == "1"  # the replica sees the committed escalation
    assert len(on_replica.captured_queries) > 0
    assert on_primary.captured_queries == []


def test_without_a_replica_the_report_reads_the_primary(settings, people, bexley_escalation):
    settings.REPORTS_DATABASE = "default"
    scope = report_scope_for(user=people["bexley-psw"])

    with CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        report = themes_report(scope=scope, period=THIS_YEAR)

    assert _counted(report) == "1"
    assert on_replica.captured_queries == []
    assert len(on_primary.captured_queries) > 0


def test_writes_inside_replica_reads_still_go_to_the_primary(settings, bexley_escalation):
    settings.REPORTS_DATABASE = "replica"

    with replica_reads(), CaptureQueriesContext(connections["replica"]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        Escalation.objects.filter(pk=bexley_escalation.pk).update(concern="Still a concern.")
        read_back = Escalation.objects.get(pk=bexley_escalation.pk)

    assert read_back.concern == "Still a concern."
    assert [q["sql"].split()[0] for q in on_primary.captured_queries] == ["UPDATE"]
    assert [q["sql"].split()[0] for q in on_replica.captured_queries] == ["SELECT"]


def test_outside_replica_reads_other_pages_read_the_primary(settings, bexley_escalation):
    settings.REPORTS_DATABASE = "replica"

    with CaptureQueriesContext(connections["replica"]) as on_replica:
        Escalation.objects.get(pk=bexley_escalation.pk)

    assert on_replica.captured_queries == []
