"""The holes found by attacking the product (issue 14, holes 1, 2, 4, 9 and the username enumeration of 10), each
reproduced as it was first found, on the seeded demo, and each refused."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import Case
from deadlines.sweep import MEETING_IN_TIME, deadlines_sweep
from escalations import services
from escalations.apis import NOT_ELIGIBLE
from escalations.attachments import attachment_create
from escalations.models import Escalation, Participant, State
from organisations.models import User
from tests.demo.conftest import demo_once  # noqa: F401 (the module's demo)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


def person(username: str) -> User:
    return User.objects.get(username=username)


def api(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(person(username))
    return client


def page(client, username: str):
    client.force_login(person(username))
    return client


def wiltshire_open() -> Escalation:
    """DEMO-PD-4002: Puddleducks challenges Wiltshire on the multi-agency ladder, open, held in Wiltshire."""
    return Escalation.objects.get(case__reference="DEMO-PD-4002", ladder__slug="wiltshire-multi-agency")


def timeline(escalation: Escalation) -> list[str]:
    return list(escalation.timeline.order_by("at", "pk").values_list("action", flat=True))


def unchanged(escalation: Escalation, *, state: str, entries: list[str]) -> None:
    escalation.refresh_from_db()
    assert escalation.state == state and escalation.mediator_id is None
    assert timeline(escalation) == entries


# --- hole 1: an outsider handed a partnership case -------------------------------------------------------
def test_hole_1_the_holder_cannot_name_an_outsider_as_mediator_on_the_page(client):
    esc = wiltshire_open()
    entries = timeline(esc)
    holder = esc.holder.username
    response = page(client, holder).post(reverse("escalations:start_mediation", args=[esc.pk]),
                                         {"start_mediation-mediator": person("bexley-practitioner").pk})
    assert response.status_code == 400
    assert "Choose one of the people listed" in response.content.decode()
    unchanged(esc, state=State.OPEN, entries=entries)


def test_hole_1_the_holder_cannot_name_an_outsider_as_mediator_through_the_api():
    esc = wiltshire_open()
    entries = timeline(esc)
    response = api(esc.holder.username).post(f"/api/v1/escalations/{esc.pk}/start-mediation/",
                                             {"mediator": "bexley-practitioner"}, format="json")
    assert response.status_code == 400
    assert response.json()["mediator"] == [NOT_ELIGIBLE]
    unchanged(esc, state=State.OPEN, entries=entries)


def test_hole_1_the_partnership_check_lives_in_the_service_not_in_a_form():
    esc = wiltshire_open()
    entries = timeline(esc)
    with pytest.raises(ValidationError) as refused:
        services.escalation_start_mediation(escalation=esc, actor=esc.holder, mediator=person("bexley-practitioner"))
    assert "another organisation of the partnership" in refused.value.message_dict["mediator"][0]
    unchanged(esc, state=State.OPEN, entries=entries)
    assert not Participant.objects.filter(escalation=esc, user__username="bexley-practitioner").exists()


def test_hole_1_the_outsider_then_reads_neither_the_escalation_its_case_nor_its_attachment(client):
    esc = wiltshire_open()
    attachment = attachment_create(escalation=esc, actor=esc.raised_by,
                                   upload=SimpleUploadedFile("minutes.txt", b"Strategy meeting minutes.\n"))
    page(client, "bexley-practitioner")
    for url in (reverse("escalations:detail", args=[esc.pk]), reverse("escalations:record", args=[esc.pk]),
                reverse("escalations:attachment_download", args=[attachment.pk])):
        response = client.get(url)
        assert response.status_code == 404, url
        assert esc.case.reference not in response.content.decode()
    outsider = api("bexley-practitioner")
    assert outsider.get(f"/api/v1/escalations/{esc.pk}/").status_code == 404
    assert outsider.get("/api/v1/cases/", {"reference": esc.case.reference}).json()["results"] == []
    listed = outsider.get("/api/v1/escalations/").json()["results"]
    assert esc.pk not in [row["id"] for row in listed]


# --- hole 2: the superuser acts as anyone ----------------------------------------------------------------
def stoke_open() -> Escalation:
    return Escalation.objects.filter(ladder__slug="stoke-crm", state=State.OPEN).order_by("pk").first()


def test_hole_2_the_admin_cannot_respond_on_a_stoke_escalation_it_does_not_hold(client):
    esc = stoke_open()
    entries = timeline(esc)
    admin = person("admin")
    assert admin.is_superuser and esc.holder_id != admin.pk
    assert not admin.has_perm("escalations.respond", esc)
    body = {"decision": "agree", "rationale": "Agreed."}
    assert api("admin").post(f"/api/v1/escalations/{esc.pk}/respond/", body, format="json").status_code == 404
    response = page(client, "admin").post(reverse("escalations:respond", args=[esc.pk]),
                                          {"respond-decision": "agree", "respond-rationale": "Agreed."})
    assert response.status_code == 404
    with pytest.raises(services.ActionNotPermitted):
        services.escalation_respond(escalation=esc, actor=admin, decision="agree", rationale="Agreed.")
    esc.refresh_from_db()
    assert esc.state == State.OPEN and timeline(esc) == entries


def test_hole_2_the_cases_api_gives_the_admin_no_child_s_display_name():
    assert Case.objects.exclude(display_name="").exists()
    response = api("admin").get("/api/v1/cases/")
    assert response.status_code == 200 and response.json()["results"] == []
    assert api("admin").get("/api/v1/escalations/").json()["results"] == []


def test_hole_2_visible_to_gives_platform_staff_nothing_case_related():
    from escalations.cases import case_list_visible

    admin = person("admin")
    staff = person("stoke-psw")
    staff.is_staff = True  # a Django staff account that is also someone's PSW is still not a party
    assert not Escalation.objects.visible_to(admin).exists()
    assert not Escalation.objects.visible_to(staff).exists()
    assert not case_list_visible(user=admin).exists() and not case_list_visible(user=staff).exists()
    assert all(case.display_name_for(admin) == "" for case in Case.objects.all())


# --- hole 4: partner agencies read children's names through the API -------------------------------------
def test_hole_4_a_partner_agency_reads_no_child_s_display_name_through_any_api():
    """Wiltshire sees Puddleducks' cases through the escalations it receives, never the names Puddleducks keeps."""
    cases = Case.objects.filter(organisation__slug="puddleducks").exclude(display_name="")
    names = set(cases.values_list("display_name", flat=True))
    assert names
    partner = api("wiltshire-social-worker")
    listed = partner.get("/api/v1/cases/", {"page_size": 100}).json()["results"]
    puddleducks = [row for row in listed if row["organisation"] == "puddleducks"]
    assert puddleducks and all(row["display_name"] == "" for row in puddleducks)
    for url in ("/api/v1/cases/", "/api/v1/escalations/", f"/api/v1/escalations/{wiltshire_open().pk}/",
                "/api/v1/notifications/"):
        body = partner.get(url).content.decode()
        assert not any(f'"{name}"' in body for name in names), url
    own = api("puddleducks-practitioner").get("/api/v1/cases/", {"reference": "DEMO-PD-4002"}).json()["results"]
    assert own[0]["display_name"] == Case.objects.get(reference="DEMO-PD-4002").display_name


# --- hole 9: unbounded meeting dates stop the clock ------------------------------------------------------
def significant_harm_open() -> Escalation:
    return Escalation.objects.filter(ladder__slug="bexley-internal", risk_level="significant_harm",
                                     state=State.OPEN).order_by("pk").first()


def test_hole_9_a_holder_cannot_park_a_significant_harm_escalation_on_31_12_9999(client):
    esc = significant_harm_open()
    entries = timeline(esc)
    response = api(esc.holder.username).post(f"/api/v1/escalations/{esc.pk}/arrange-meeting/",
                                             {"meeting_at": "9999-12-31T10:00:00Z"}, format="json")
    assert response.status_code == 400
    assert response.json()["meeting_at"] == ["The meeting must be within 60 days from today."]
    response = page(client, esc.holder.username).post(reverse("escalations:arrange_meeting", args=[esc.pk]), {
        "arrange_meeting-meeting_day": "31", "arrange_meeting-meeting_month": "12",
        "arrange_meeting-meeting_year": "9999", "arrange_meeting-meeting_time": "10:00"})
    assert response.status_code == 400
    esc.refresh_from_db()
    assert esc.state == State.OPEN and esc.meeting_at is None and timeline(esc) == entries


def test_hole_9_a_meeting_after_the_deadline_does_not_stop_the_clock():
    esc = significant_harm_open()
    stage, deadline = esc.stage_index, esc.stage_deadline
    late = deadline + dt.timedelta(days=1)
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=late)
    esc.refresh_from_db()
    assert esc.state == State.MEETING_ARRANGED
    result = deadlines_sweep(now=deadline + dt.timedelta(minutes=1))
    assert result.counts[MEETING_IN_TIME] == 0
    esc.refresh_from_db()
    assert esc.stage_index == stage + 1 and esc.state == State.OPEN  # the missed-deadline rule ran


# --- hole 10: usernames enumerated through start-mediation and reassign ----------------------------------
def test_hole_10_start_mediation_answers_alike_for_an_unknown_and_an_outside_username():
    esc = wiltshire_open()
    holder = api(esc.holder.username)
    answers = [holder.post(f"/api/v1/escalations/{esc.pk}/start-mediation/", {"mediator": name}, format="json")
               for name in ("no-such-person", "bexley-practitioner", esc.raised_by.username)]
    assert {(r.status_code, r.content) for r in answers} == {(400, answers[0].content)}


def test_hole_10_reassign_answers_alike_for_an_unknown_and_an_ineligible_username():
    esc = stoke_open()
    psw = api("stoke-psw")
    answers = [psw.post(f"/api/v1/escalations/{esc.pk}/reassign/", {"new_holder": name, "reason": "Leave."},
                        format="json")
               for name in ("no-such-person", "bexley-director", "stoke-crm", "wiltshire-qap-chair")]
    assert {(r.status_code, r.content) for r in answers} == {(400, answers[0].content)}
    assert answers[0].json()["new_holder"] == [NOT_ELIGIBLE]


@pytest.mark.parametrize("category", ["need-for-action", "no-such-category"])
def test_hole_10_raising_answers_alike_for_an_unknown_and_an_ineligible_holder(category):
    """The raise API's ``holder``: nobody, a person of another organisation, the raiser herself and a director
    she may not name all get the one answer, whatever else the body gets wrong; nothing is raised."""
    practitioner = api("bexley-practitioner")
    case = Case.objects.filter(organisation__slug="bexley").order_by("pk").first()
    before = Escalation.objects.count()
    answers = [practitioner.post("/api/v1/escalations/", {
        "case": case.reference, "ladder": "bexley-internal", "risk_level": "standard",
        "category": category, "decision_challenged": "The decision to close the case.",
        "concern": "The risk at home has not been assessed.", "basis": "professional_judgement",
        "desired_outcome": "A strategy discussion.", "holder": name}, format="json")
        for name in ("no-such-person", "stoke-crm", "bexley-practitioner", "bexley-director")]
    assert {(r.status_code, r.content) for r in answers} == {(400, answers[0].content)}, [
        (r.status_code, r.content) for r in answers]
    assert list(answers[0].json()) == (["holder"] if category == "need-for-action" else ["category"])
    assert Escalation.objects.count() == before


def test_hole_10_someone_who_may_not_act_learns_nothing_from_the_names_they_try():
    """A viewer who may not reassign is refused before any name is looked up: 403 whoever is named."""
    esc = stoke_open()
    raiser = api(esc.raised_by.username)
    answers = [raiser.post(f"/api/v1/escalations/{esc.pk}/reassign/", {"new_holder": name, "reason": "Leave."},
                           format="json")
               for name in ("no-such-person", "stoke-service-manager", "bexley-director")]
    assert {(r.status_code, r.content) for r in answers} == {(403, answers[0].content)}


def test_hole_10_the_page_answers_alike_too(client):
    esc = wiltshire_open()
    page(client, esc.holder.username)
    url = reverse("escalations:start_mediation", args=[esc.pk])
    outsider = client.post(url, {"start_mediation-mediator": person("bexley-practitioner").pk})
    missing = client.post(url, {"start_mediation-mediator": 999_999})
    assert outsider.status_code == missing.status_code == 400
    assert "Choose one of the people listed" in outsider.content.decode()
    assert "Choose one of the people listed" in missing.content.decode()


# --- found by the access matrix --------------------------------------------------------------------------
def test_an_organisation_s_administrator_reads_no_systemic_issue_the_register_names_escalations(client):
    """The register links escalations by case reference; an administrator runs the organisation, never its cases."""
    from oversight.models import SystemicIssue
    from oversight.rules import systemic_issue_can_view_register

    issue = SystemicIssue.objects.filter(organisation__slug="bexley").order_by("pk").first()
    administrator = person("bexley-org-admin")
    assert not systemic_issue_can_view_register(administrator)
    page(client, "bexley-org-admin")
    assert client.get(reverse("oversight:systemic_list")).status_code == 403
    response = client.get(reverse("oversight:systemic_detail", args=[issue.pk]))
    assert response.status_code in (403, 404) and issue.title not in response.content.decode()
    assert systemic_issue_can_view_register(person("bexley-psw"))
    assert systemic_issue_can_view_register(person("bexley-practitioner"))


def test_the_list_of_escalations_on_my_cases_is_refused_to_administrators_as_the_other_lists_are(client):
    for username in ("bexley-org-admin",):
        page(client, username)
        for name in ("escalations:mine", "escalations:awaiting", "escalations:on_my_cases"):
            assert client.get(reverse(name)).status_code == 403, name
    page(client, "stoke-social-worker")
    assert client.get(reverse("escalations:on_my_cases")).status_code == 200
