"""The systemic issues pages: the PSW records and edits, the organisation's staff read, nobody else sees."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oversight.models import SystemicIssue
from oversight.services import systemic_issue_create

pytestmark = pytest.mark.django_db
LIST = reverse("oversight:systemic_list")
CREATE = reverse("oversight:systemic_create")


def detail(issue) -> str:
    return reverse("oversight:systemic_detail", args=[issue.pk])


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-issue="(\d+)"', response.content.decode())}


@pytest.fixture
def issue(people):
    return systemic_issue_create(
        actor=people["bexley-psw"], kind="it", title="Case system logs workers out",
        description="Notes are lost when the session times out.", owner=people["bexley-head-of-service"],
    )


def valid_post(people, **overrides) -> dict:
    data = {"kind": "relations", "title": "Tension between assessment and safeguarding teams",
            "description": "Referrals bounce between teams.", "owner": people["bexley-service-manager"].pk,
            "escalations": ""}
    data.update(overrides)
    return data


# --- the PSW --------------------------------------------------------------------------------------------
def test_the_psw_records_an_issue_and_lands_on_it(client, people, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-psw"])
    response = client.post(CREATE, valid_post(people, escalations=f"#{esc.pk}"))
    issue = SystemicIssue.objects.get()
    assert response.status_code == 302 and response.url == detail(issue)
    assert (issue.kind, issue.owner, issue.raised_by) == (
        "relations", people["bexley-service-manager"], people["bexley-psw"],
    )
    assert list(issue.escalations.all()) == [esc]
    page = client.get(response.url).content.decode()
    assert "recorded." in page and "Tension between assessment and safeguarding teams" in page
    assert f'href="{reverse("escalations:detail", args=[esc.pk])}"' in page


def test_the_create_form_offers_the_kinds_of_bexley_4_4_and_the_organisations_staff(client, people):
    client.force_login(people["bexley-psw"])
    page = client.get(CREATE).content.decode()
    for label in ("Obstructive bureaucratic processes", "IT problems", "Environmental constraints of the workplace",
                  "Ineffective or toxic communications or working relations"):
        assert label in page
    assert "Priya Nair" in page and "Owen Price" not in page  # Bexley's head of service, not Stoke's PSW


def test_an_empty_form_is_explained_field_by_field(client, people):
    client.force_login(people["bexley-psw"])
    response = client.post(CREATE, {"kind": "", "title": "", "description": "", "owner": "", "escalations": ""})
    page = response.content.decode()
    assert response.status_code == 200 and 'class="govuk-error-summary"' in page
    assert '<title>Error: Record a systemic issue' in page
    assert 'href="#id_kind_0">Choose the kind of issue.' in page
    assert 'href="#id_owner">Choose who owns this issue.' in page
    assert not SystemicIssue.objects.exists()


def test_the_service_rules_come_back_on_the_form(client, people):
    """Title and description are checked by the service and reported on their fields."""
    client.force_login(people["bexley-psw"])
    page = client.post(CREATE, valid_post(people, title="", description=" ")).content.decode()
    assert 'href="#id_title">Enter the title.' in page and 'href="#id_description">Enter the description.' in page
    assert not SystemicIssue.objects.exists()


def test_escalation_numbers_must_be_numbers(client, people):
    client.force_login(people["bexley-psw"])
    page = client.post(CREATE, valid_post(people, escalations="twelve")).content.decode()
    assert "Enter escalation numbers separated by commas, like 12, 15." in page
    assert not SystemicIssue.objects.exists()


def test_another_organisations_escalation_cannot_be_linked(client, people, raise_escalation):
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    client.force_login(people["bexley-psw"])
    page = client.post(CREATE, valid_post(people, escalations=str(stoke.pk))).content.decode()
    assert f"No escalation of your organisation has the number {stoke.pk}." in page
    assert not SystemicIssue.objects.exists()


def test_an_owner_from_another_organisation_is_refused(client, people):
    client.force_login(people["bexley-psw"])
    page = client.post(CREATE, valid_post(people, owner=people["stoke-director"].pk)).content.decode()
    assert "Choose the owner from the list." in page
    assert not SystemicIssue.objects.exists()


def test_the_psw_updates_status_owner_and_resolution(client, people, issue):
    client.force_login(people["bexley-psw"])
    response = client.post(detail(issue), {"status": "resolved", "owner": people["bexley-director"].pk,
                                           "resolution": "Timeout raised to two hours.", "escalations": ""})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.owner, issue.resolution) == ("resolved", people["bexley-director"],
                                                             "Timeout raised to two hours.")
    assert "Systemic issue updated." in client.get(detail(issue)).content.decode()


def test_the_edit_form_starts_from_the_issue_as_it_is(client, people, raise_escalation):
    first = raise_escalation("bexley-practitioner", "bexley-internal")
    second = raise_escalation("bexley-practitioner", "bexley-internal")
    issue = systemic_issue_create(actor=people["bexley-psw"], kind="it", title="T", description="D",
                                  owner=people["bexley-director"], escalation_ids=[second.pk, first.pk])
    client.force_login(people["bexley-psw"])
    page = client.get(detail(issue)).content.decode()
    assert 'value="open" checked' in page
    assert f'<option value="{people["bexley-director"].pk}" selected>' in page
    assert f'value="{first.pk}, {second.pk}"' in page


def test_resolving_without_a_resolution_is_explained(client, people, issue):
    client.force_login(people["bexley-psw"])
    page = client.post(detail(issue), {"status": "resolved", "owner": issue.owner_id, "resolution": "",
                                       "escalations": ""}).content.decode()
    assert 'href="#id_resolution">Enter the resolution.' in page
    issue.refresh_from_db()
    assert issue.status == "open"


# --- the organisation's staff and everyone else ---------------------------------------------------------
def test_staff_of_the_organisation_read_the_register_without_edit_controls(client, people, issue):
    client.force_login(people["bexley-practitioner"])
    listing = client.get(LIST).content.decode()
    assert shown(client.get(LIST)) == {issue.pk} and "Record a systemic issue" not in listing
    page = client.get(detail(issue)).content.decode()
    assert "Case system logs workers out" in page and "Save changes" not in page


def test_staff_of_the_organisation_may_not_edit(client, people, issue):
    client.force_login(people["bexley-director"])
    response = client.post(detail(issue), {"status": "resolved", "owner": issue.owner_id, "resolution": "Done."})
    assert response.status_code == 403
    issue.refresh_from_db()
    assert issue.status == "open"


def test_staff_other_than_the_psw_may_not_record_an_issue(client, people):
    client.force_login(people["bexley-director"])
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, valid_post(people)).status_code == 403
    assert not SystemicIssue.objects.exists()


def test_another_organisations_psw_cannot_see_the_issue(client, people, issue):
    client.force_login(people["stoke-psw"])
    assert client.get(detail(issue)).status_code == 404
    assert client.post(detail(issue), {"status": "resolved", "owner": "", "resolution": "x"}).status_code == 404
    assert shown(client.get(LIST)) == set()


@pytest.mark.parametrize("username", ["wiltshire-board-member", "wiltshire-qap-chair"])
def test_partnership_roles_have_no_register(client, people, issue, username):
    client.force_login(people[username])
    assert client.get(LIST).status_code == 403
    assert client.get(detail(issue)).status_code == 404


def test_a_reader_is_told_about_linked_escalations_they_cannot_open(client, people, raise_escalation):
    other = raise_escalation("bexley-team-manager", "bexley-internal", risk_level="significant_harm")
    issue = systemic_issue_create(actor=people["bexley-psw"], kind="it", title="T", description="D",
                                  owner=people["bexley-psw"], escalation_ids=[other.pk])
    client.force_login(people["bexley-practitioner"])
    page = client.get(detail(issue)).content.decode()
    assert "1 other escalation that you cannot open" in page
    assert reverse("escalations:detail", args=[other.pk]) not in page


# --- the list -------------------------------------------------------------------------------------------
def test_the_list_filters_by_status_and_kind(client, people):
    it = systemic_issue_create(actor=people["bexley-psw"], kind="it", title="IT", description="d",
                               owner=people["bexley-psw"])
    desks = systemic_issue_create(actor=people["bexley-psw"], kind="environment", title="Desks", description="d",
                                  owner=people["bexley-psw"])
    client.force_login(people["bexley-psw"])
    assert shown(client.get(LIST, {"kind": "environment"})) == {desks.pk}
    assert shown(client.get(LIST, {"status": "open"})) == {it.pk, desks.pk}
    assert shown(client.get(LIST, {"status": "resolved"})) == set()
    assert "Choose a status from the list." in client.get(LIST, {"status": "closed"}).content.decode()


def test_the_list_is_paged_and_its_queries_do_not_grow(client, people, django_assert_max_num_queries):
    def add(count):
        for n in range(count):
            systemic_issue_create(actor=people["bexley-psw"], kind="it", title=f"Issue {n}", description="d",
                                  owner=people["bexley-head-of-service"])

    client.force_login(people["bexley-psw"])
    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    add(24)
    with CaptureQueriesContext(connection) as many:
        first = client.get(LIST)
    assert len(shown(first)) == 25 and len(many) == len(few)
    assert len(shown(client.get(LIST, {"page": 2}))) == 1
    with django_assert_max_num_queries(10):
        client.get(LIST)


# --- the history ----------------------------------------------------------------------------------------
def test_the_page_shows_each_change_with_who_made_it(client, people, issue, raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-psw"])
    client.post(detail(issue), {"status": "resolved", "owner": people["bexley-director"].pk,
                                "resolution": "Timeout raised to two hours.", "escalations": str(esc.pk)})
    client.force_login(people["bexley-practitioner"])  # a reader sees the history too
    page = client.get(detail(issue)).content.decode()
    history = page[page.index('data-testid="history"'):]
    psw, head, director = (people[name].display_name for name in
                           ("bexley-psw", "bexley-head-of-service", "bexley-director"))
    lines = re.findall(r'<li data-event="(\w+)"><time[^>]*>[^<]*</time> · ([^:<]+): <span[^>]*>([^<]*)</span>', history)
    assert lines == [
        ("created", psw, f"Recorded (IT problems), owned by {head}"),
        ("status_changed", psw, "Status changed from Open to Resolved"),
        ("owner_changed", psw, f"Owner changed from {head} to {director}"),
        ("resolution_changed", psw, "Resolution recorded: Timeout raised to two hours."),
        ("escalations_linked", psw, f"Escalation #{esc.pk} linked"),
    ]


def test_an_issue_recorded_before_the_history_was_kept_says_so(client, people):
    # An issue moved from the old register has no history rows: made here without the service, which writes one
    # (the history is append-only, so its rows cannot be deleted to the same effect).
    psw = people["bexley-psw"]
    issue = SystemicIssue.objects.create(
        organisation_id=psw.organisation_id, kind="it", title="Case system logs workers out",
        description="Notes are lost when the session times out.", owner=people["bexley-head-of-service"],
        raised_by=psw)
    assert not issue.events.exists()
    client.force_login(psw)
    assert "No changes have been recorded." in client.get(detail(issue)).content.decode()
