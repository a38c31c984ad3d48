"""Every change to a systemic issue leaves a row of its history: who, when, what; rows are never changed."""
import pytest
from django.core.exceptions import ValidationError

from core.errors import ActionNotPermitted
from oversight.models import SystemicIssueEvent
from oversight.services import systemic_issue_create, systemic_issue_update

pytestmark = pytest.mark.django_db


def create(people, **overrides):
    values = {
        "actor": people["bexley-psw"], "kind": "it", "title": "Case system logs workers out mid-assessment",
        "description": "Three teams report losing notes when the session times out.",
        "owner": people["bexley-head-of-service"], "escalation_ids": [],
    }
    values.update(overrides)
    return systemic_issue_create(**values)


def update(people, issue, **overrides):
    values = {"issue": issue, "actor": people["bexley-psw"], "status": issue.status, "owner": issue.owner,
              "resolution": issue.resolution, "escalation_ids": None}
    values.update(overrides)
    return systemic_issue_update(**values)


def history(issue) -> list[tuple[str, dict]]:
    return [(event.kind, event.params) for event in issue.events.order_by("at", "pk")]


def test_recording_an_issue_writes_who_recorded_it_and_what(people):
    issue = create(people)
    [event] = issue.events.all()
    assert (event.kind, event.actor, event.issue) == ("created", people["bexley-psw"], issue)
    assert event.params == {
        "title": "Case system logs workers out mid-assessment", "issue_kind": "it", "status": "open",
        "owner": {"id": people["bexley-head-of-service"].pk, "name": people["bexley-head-of-service"].display_name},
    }


def test_recording_an_issue_with_escalations_writes_their_link(people, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people, escalation_ids=[second.pk, first.pk])
    assert [kind for kind, _ in history(issue)] == ["created", "escalations_linked"]
    assert history(issue)[1][1] == {"escalation_ids": [first.pk, second.pk]}


def test_a_status_change_is_written_with_the_old_and_new_status(people):
    issue = create(people)
    update(people, issue, status="in_progress")
    assert history(issue)[1:] == [("status_changed", {"old": "open", "new": "in_progress"})]


def test_an_owner_change_is_written_with_both_people(people):
    issue = create(people)
    before, after = people["bexley-head-of-service"], people["bexley-service-manager"]
    update(people, issue, owner=after)
    assert history(issue)[1:] == [("owner_changed", {
        "old": {"id": before.pk, "name": before.display_name}, "new": {"id": after.pk, "name": after.display_name},
    })]


def test_resolving_writes_the_status_and_the_resolution(people):
    issue = create(people)
    update(people, issue, status="resolved", resolution="Session timeout raised to 2 hours.")
    assert history(issue)[1:] == [
        ("status_changed", {"old": "open", "new": "resolved"}),
        ("resolution_changed", {"old": "", "new": "Session timeout raised to 2 hours."}),
    ]


def test_linking_and_unlinking_escalations_are_written_apart(people, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people, escalation_ids=[first.pk])
    update(people, issue, escalation_ids=[second.pk])
    assert history(issue)[2:] == [
        ("escalations_linked", {"escalation_ids": [second.pk]}),
        ("escalations_unlinked", {"escalation_ids": [first.pk]}),
    ]


def test_each_change_names_the_actor(people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people)
    update(people, issue, status="resolved", owner=people["bexley-director"], resolution="Fixed.",
           escalation_ids=[esc.pk])
    kinds = [kind for kind, _ in history(issue)]
    assert kinds == ["created", "status_changed", "owner_changed", "resolution_changed", "escalations_linked"]
    assert set(issue.events.values_list("actor__username", flat=True)) == {"bexley-psw"}


def test_saving_an_issue_unchanged_writes_nothing(people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people, escalation_ids=[esc.pk])
    update(people, issue, escalation_ids=[esc.pk])
    update(people, issue)
    assert [kind for kind, _ in history(issue)] == ["created", "escalations_linked"]


def test_a_refused_change_writes_nothing(people):
    issue = create(people)
    with pytest.raises(ValidationError):
        update(people, issue, status="resolved", resolution="")
    with pytest.raises(ActionNotPermitted):
        update(people, issue, actor=people["bexley-director"], status="in_progress")
    assert [kind for kind, _ in history(issue)] == ["created"]


def test_a_refused_record_writes_nothing(people):
    with pytest.raises(ValidationError):
        create(people, title="")
    assert not SystemicIssueEvent.objects.exists()


def test_the_history_is_append_only(people):
    issue = create(people)
    event = issue.events.get()
    event.kind = "status_changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        SystemicIssueEvent.objects.filter(pk=event.pk).update(kind="status_changed")
    with pytest.raises(PermissionError):
        SystemicIssueEvent.objects.filter(pk=event.pk).delete()
    assert SystemicIssueEvent.objects.get(pk=event.pk).kind == "created"
