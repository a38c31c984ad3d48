"""Moving SystemicIssue from escalations to oversight keeps every issue and its links to escalations.

The database is taken back to the state before the move (escalations.0002), an issue is written there
with the models as they were then, and the move is applied: the issue reads back through the new model.
"""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oversight.models import SystemicIssue
from oversight.services import systemic_issue_create

BEFORE = [("escalations", "0002_initial")]
AFTER = [("oversight", "0001_initial")]  # after escalations.0003, which it depends on

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    """Migrate to ``targets`` and return the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # read back what is applied now
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Whatever a test migrates to, the database ends at the latest migrations for the next test."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_moving_the_model_keeps_issues_their_links_and_their_content_type(people, raise_escalation, back_to_latest):
    # Given escalations, people and an issue written by the code of before the move
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    unlinked = raise_escalation("bexley-practitioner", "bexley-internal")
    owner, psw = people["bexley-head-of-service"], people["bexley-psw"]
    created_at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)

    old = migrate(BEFORE)
    OldIssue = old.get_model("escalations", "SystemicIssue")
    old_issue = OldIssue.objects.create(
        organisation_id=owner.organisation_id, kind="it", title="Case system logs workers out",
        description="Notes are lost when the session times out.", status="resolved", owner_id=owner.pk,
        raised_by_id=psw.pk, created_at=created_at, resolution="Timeout raised to two hours.",
    )
    old_issue.escalations.set([first.pk, second.pk])
    content_type_id = ContentType.objects.get(app_label="escalations", model="systemicissue").pk

    # When the move is applied
    migrate(AFTER)
    ContentType.objects.clear_cache()

    # Then the same row, with its links, reads back through oversight's model
    issue = SystemicIssue.objects.get(pk=old_issue.pk)
    assert (issue.organisation_id, issue.kind, issue.title, issue.description) == (
        owner.organisation_id, "it", "Case system logs workers out", "Notes are lost when the session times out.")
    assert (issue.status, issue.owner, issue.raised_by, issue.created_at, issue.resolution) == (
        "resolved", owner, psw, created_at, "Timeout raised to two hours.")
    assert sorted(issue.escalations.values_list("pk", flat=True)) == [first.pk, second.pk]
    assert list(first.systemic_issues.all()) == [issue] and not unlinked.systemic_issues.exists()
    assert SystemicIssue._meta.db_table == "oversight_systemicissue"
    # its permissions and admin history stay attached to it
    assert ContentType.objects.get_for_model(SystemicIssue).pk == content_type_id
    assert not ContentType.objects.filter(app_label="escalations", model="systemicissue").exists()
    # and the next issue gets the next number, with its history
    newer = systemic_issue_create(actor=psw, kind="other", title="Desks", description="Too few.", owner=owner,
                                  escalation_ids=[unlinked.pk])
    assert newer.pk > issue.pk
    assert [kind for kind in newer.events.values_list("kind", flat=True)] == ["created", "escalations_linked"]
    assert list(unlinked.systemic_issues.all()) == [newer]


def test_undoing_the_move_gives_the_table_back_to_escalations(people, back_to_latest):
    # Given an issue recorded after the move
    owner, psw = people["bexley-head-of-service"], people["bexley-psw"]
    issue = systemic_issue_create(actor=psw, kind="it", title="Printers", description="None work.", owner=owner)

    # When the move is undone
    old = migrate(BEFORE)

    # Then the issue is escalations' again (its history goes with oversight.0001)
    old_issue = old.get_model("escalations", "SystemicIssue").objects.get(pk=issue.pk)
    assert (old_issue.title, old_issue.owner_id) == ("Printers", owner.pk)
    assert "escalations_systemicissue" in connection.introspection.table_names()
    assert "oversight_systemicissue" not in connection.introspection.table_names()
