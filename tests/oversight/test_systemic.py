"""The systemic issues register (Bexley 4.4): the PSW records and updates; the rules of each field."""
import pytest
from django.core.exceptions import ValidationError

from core.errors import ActionNotPermitted
from oversight.filters import SystemicIssueFilter
from oversight.models import SystemicIssue
from oversight.selectors import systemic_issue_escalations, systemic_issue_list
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


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- create ---------------------------------------------------------------------------------------------
def test_the_psw_records_an_open_issue_of_their_organisation(people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people, escalation_ids=[esc.pk])
    assert issue.organisation.slug == "bexley"
    assert (issue.status, issue.raised_by, issue.owner) == (
        "open", people["bexley-psw"], people["bexley-head-of-service"],
    )
    assert list(issue.escalations.all()) == [esc]


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-director", "wiltshire-qap-chair"])
def test_only_a_psw_records_an_issue(people, username):
    with pytest.raises(ActionNotPermitted):
        create(people, actor=people[username])
    assert not SystemicIssue.objects.exists()


def test_kind_must_be_one_of_bexley_4_4(people):
    assert errors_of(lambda: create(people, kind="weather")) == {"kind": ["Choose the kind of issue."]}


def test_title_and_description_are_required(people):
    assert errors_of(lambda: create(people, title="  ", description="")) == {
        "title": ["Enter the title."], "description": ["Enter the description."],
    }


def test_title_has_a_length_limit(people):
    assert errors_of(lambda: create(people, title="x" * 201)) == {
        "title": ["The title must be 200 characters or fewer."],
    }


def test_owner_is_required(people):
    assert errors_of(lambda: create(people, owner=None)) == {"owner": ["Choose who owns this issue."]}


@pytest.mark.parametrize("owner", ["stoke-director", "wiltshire-qap-chair"])
def test_owner_must_be_staff_of_the_organisation(people, owner):
    assert errors_of(lambda: create(people, owner=people[owner])) == {
        "owner": ["The owner must be an active member of staff of your organisation."],
    }


def test_an_inactive_person_cannot_own_an_issue(people):
    people["bexley-head-of-service"].is_active = False
    people["bexley-head-of-service"].save(update_fields=["is_active"])
    assert "owner" in errors_of(lambda: create(people))


def test_linked_escalations_must_be_the_organisations(people, raise_escalation):
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    assert errors_of(lambda: create(people, escalation_ids=[stoke.pk, 99999])) == {
        "escalations": [f"No escalations of your organisation have the numbers {stoke.pk}, 99999."],
    }
    assert not SystemicIssue.objects.exists()


def test_an_escalation_the_organisation_receives_may_be_linked(people, raise_escalation):
    """A partner's escalation against the PSW's organisation shows a systemic issue too."""
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    wiltshire_psw = people["wiltshire-head-of-service"]
    wiltshire_psw.role = "psw"
    wiltshire_psw.save(update_fields=["role"])
    issue = create(people, actor=wiltshire_psw, owner=people["wiltshire-service-manager"], escalation_ids=[esc.pk])
    assert list(issue.escalations.all()) == [esc]


# --- update ---------------------------------------------------------------------------------------------
def test_the_psw_moves_an_issue_on_and_resolves_it(people):
    issue = create(people)
    issue = systemic_issue_update(issue=issue, actor=people["bexley-psw"], status="in_progress",
                                  owner=people["bexley-service-manager"], resolution="")
    assert (issue.status, issue.owner) == ("in_progress", people["bexley-service-manager"])
    issue = systemic_issue_update(issue=issue, actor=people["bexley-psw"], status="resolved",
                                  owner=people["bexley-service-manager"],
                                  resolution="Session timeout raised to 2 hours.")
    issue.refresh_from_db()
    assert (issue.status, issue.resolution) == ("resolved", "Session timeout raised to 2 hours.")


def test_a_resolved_issue_needs_a_resolution(people):
    issue = create(people)
    assert errors_of(lambda: systemic_issue_update(
        issue=issue, actor=people["bexley-psw"], status="resolved", owner=issue.owner, resolution=" ",
    )) == {"resolution": ["Enter the resolution."]}
    issue.refresh_from_db()
    assert issue.status == "open"


def test_status_must_be_known(people):
    issue = create(people)
    assert errors_of(lambda: systemic_issue_update(
        issue=issue, actor=people["bexley-psw"], status="closed", owner=issue.owner, resolution="",
    )) == {"status": ["Choose open, in progress or resolved."]}


def test_update_relinks_escalations(people, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = create(people, escalation_ids=[first.pk])
    systemic_issue_update(issue=issue, actor=people["bexley-psw"], status="open", owner=issue.owner,
                          resolution="", escalation_ids=[second.pk])
    assert list(issue.escalations.all()) == [second]


@pytest.mark.parametrize("username", ["bexley-head-of-service", "stoke-psw"])
def test_only_the_organisations_psw_updates_an_issue(people, username):
    issue = create(people)
    with pytest.raises(ActionNotPermitted):
        systemic_issue_update(issue=issue, actor=people[username], status="resolved", owner=issue.owner,
                              resolution="Done.")
    issue.refresh_from_db()
    assert issue.status == "open"


# --- reads ----------------------------------------------------------------------------------------------
def test_the_register_shows_only_the_readers_organisation(people):
    create(people, title="Bexley issue")
    stoke = create(people, actor=people["stoke-psw"], title="Stoke issue", owner=people["stoke-director"])
    assert [i.title for i in systemic_issue_list(user=people["bexley-practitioner"])] == ["Bexley issue"]
    assert list(systemic_issue_list(user=people["stoke-social-worker"])) == [stoke]
    assert list(systemic_issue_list(user=people["wiltshire-board-member"])) == []


def test_the_register_filters_by_status_and_kind(people):
    it = create(people, kind="it", title="IT")
    create(people, kind="environment", title="Desks")
    systemic_issue_update(issue=it, actor=people["bexley-psw"], status="in_progress", owner=it.owner, resolution="")
    reader = people["bexley-practitioner"]

    def listed(**query):
        return SystemicIssueFilter(query, queryset=systemic_issue_list(user=reader)).qs

    assert [i.title for i in listed(status="in_progress")] == ["IT"]
    assert [i.title for i in listed(kind="environment")] == ["Desks"]
    assert list(listed(status="resolved")) == []


def test_a_reader_sees_only_the_linked_escalations_they_may_open(people, raise_escalation):
    mine = raise_escalation("bexley-practitioner", "bexley-internal")
    other = raise_escalation("bexley-team-manager", "bexley-internal", risk_level="significant_harm")
    issue = create(people, escalation_ids=[mine.pk, other.pk])
    assert systemic_issue_escalations(issue=issue, user=people["bexley-practitioner"]) == ([mine], 1)
    assert systemic_issue_escalations(issue=issue, user=people["bexley-psw"]) == ([mine, other], 0)
