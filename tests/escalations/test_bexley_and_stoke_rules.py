"""CONTRACT 8.2 for Bexley and Stoke, as data on the ladders and categories.

Bexley: only the PSW skips, to the Deputy Director or the Director, with a reason (4.5); a disagreement
with a decision-making panel enters at the Service Manager and climbs to the Deputy Director (3.8); a
legal adviser raises a legal planning meeting with the Team Manager (3.9). Stoke: a skip may reach any
later stage (5); the case's allocated worker is a party who may act at the informal stage (4); a concern
about a CRM names the CRM, then goes to that CRM's Service Manager (9).
"""
import pytest
from django.core.exceptions import ValidationError

from cases.services import case_get_or_create
from escalations import services
from escalations.ladder_versions import ladder_freeze_for_edit
from escalations.models import Escalation, State
from escalations.services import ActionConflict, ActionNotPermitted
from notifications.models import Kind, Notification
from organisations.models import Role, User
from policies.models import Ladder
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(at(2026, 11, 10, 10, 0))


def reload(esc) -> Escalation:
    return Escalation.objects.select_related("holder", "ladder", "case").get(pk=esc.pk)


def told(esc, kind) -> set[str]:
    return set(Notification.objects.filter(escalation=esc, kind=kind).values_list("recipient__username", flat=True))


# --- Bexley 4.5: the PSW goes straight to the Deputy Director or the Director --------------------------
@pytest.mark.parametrize(("to_stage", "holder"), [(3, "bexley-deputy-director"), (4, "bexley-director")])
def test_the_psw_skips_to_the_deputy_director_or_the_director_with_a_reason(raise_escalation, people, to_stage,
                                                                              holder):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = reload(services.escalation_skip(escalation=esc, actor=people["bexley-psw"], to_stage=to_stage,
                                          reason="Significant enough for the most senior level."))
    assert (esc.state, esc.stage_index, esc.holder.username) == (State.OPEN, to_stage, holder)
    entry = esc.timeline.last()
    assert (entry.action, entry.actor, entry.note) == (
        "skip", people["bexley-psw"], "Significant enough for the most senior level.")


@pytest.mark.parametrize("username", ["bexley-practitioner", "bexley-team-manager", "bexley-service-manager"])
def test_nobody_but_the_psw_skips_on_bexley(raise_escalation, people, username):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ActionNotPermitted):
        services.escalation_skip(escalation=esc, actor=people[username], to_stage=3, reason="Urgent.")
    assert reload(esc).stage_index == 0


@pytest.mark.parametrize("to_stage", [1, 2])
def test_the_psw_skips_only_to_the_deputy_director_or_the_director(raise_escalation, people, to_stage):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ValidationError) as refused:
        services.escalation_skip(escalation=esc, actor=people["bexley-psw"], to_stage=to_stage, reason="Urgent.")
    assert refused.value.message_dict["to_stage"][0].startswith(
        "Choose one of the stages this procedure lets it skip to: 3, 4.")
    assert reload(esc).stage_index == 0


def test_the_psws_skip_needs_a_reason(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ValidationError) as refused:
        services.escalation_skip(escalation=esc, actor=people["bexley-psw"], to_stage=3, reason=" ")
    assert "reason" in refused.value.message_dict


# --- Bexley 3.8: a decision-making panel ----------------------------------------------------------------
def test_a_decision_making_panel_goes_to_the_service_manager_then_the_deputy_director(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", category="decision-making-panel")
    assert (esc.stage_index, esc.holder) == (1, people["bexley-service-manager"])
    esc = reload(services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"],
                                              reason="Unresolved with the service manager."))
    assert (esc.stage_index, esc.holder) == (3, people["bexley-deputy-director"])
    entry = esc.timeline.last()
    assert (entry.action, entry.stage_index) == ("escalate", 3)


def test_an_ordinary_disagreement_still_climbs_every_stage(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", category="need-for-action")
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    assert reload(esc).stage_index == 1
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    assert reload(esc).stage_index == 2


# --- Bexley 3.9: a legal planning meeting ----------------------------------------------------------------
def legal_adviser(people) -> User:
    return User.objects.create(username="bexley-legal", organisation=people["bexley-practitioner"].organisation,
                               role=Role.LEGAL_ADVISER, line_manager=people["bexley-team-manager"])


def test_a_legal_adviser_raises_a_legal_planning_meeting_with_the_team_manager(raise_escalation, people):
    people["bexley-legal"] = legal_adviser(people)
    esc = raise_escalation("bexley-legal", "bexley-internal", category="legal-planning-meeting")
    assert (esc.stage_index, esc.holder) == (0, people["bexley-team-manager"])
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-legal"], reason="No outcome.")
    assert reload(esc).holder == people["bexley-service-manager"]


def test_only_a_legal_adviser_raises_a_legal_planning_meeting(raise_escalation):
    with pytest.raises(ValidationError) as refused:
        raise_escalation("bexley-practitioner", "bexley-internal", category="legal-planning-meeting")
    assert refused.value.message_dict["category"] == [
        "Only a legal adviser may raise 'The outcome of a legal planning meeting'."]
    assert not Escalation.objects.exists()


# --- ladder versions keep the rules ---------------------------------------------------------------------
def test_an_edited_ladder_keeps_routes_and_skips_on_the_version_escalations_were_raised_on(raise_escalation,
                                                                                             people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", category="decision-making-panel")
    current = Ladder.objects.current().get(slug="bexley-internal")
    frozen = ladder_freeze_for_edit(ladder_id=current.pk, actor=people["bexley-psw"])
    assert (frozen.skip_by, frozen.skip_to_stages, frozen.skip_to_next) == ("psw", [3, 4], True)
    assert frozen.categories.get(slug="decision-making-panel").route == [1, 3, 4]
    esc = reload(esc)
    assert esc.ladder == frozen
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    assert reload(esc).stage_index == 3
    esc = services.escalation_skip(escalation=esc, actor=people["bexley-psw"], to_stage=4, reason="Exceptional.")
    assert reload(esc).holder == people["bexley-director"]


# --- Stoke 5: any later stage, the next one included ------------------------------------------------------
def test_the_crm_skips_to_the_next_stage_with_a_reason(raise_escalation, people):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    esc = reload(services.escalation_skip(escalation=esc, actor=people["stoke-crm"], to_stage=1,
                                          reason="No informal resolution is possible."))
    assert (esc.stage_index, esc.holder) == (1, people["stoke-service-manager"])
    assert esc.overall_deadline is not None  # the formal process's 20 working days start


# --- Stoke 4: the allocated worker ---------------------------------------------------------------------------
@pytest.fixture
def allocated(people):
    """A Stoke escalation on a case allocated to the social worker, at the informal stage."""
    case, _ = case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-ALLOC-1",
                                 allocated_worker=people["stoke-social-worker"])
    ladder = Ladder.objects.current().get(slug="stoke-crm")
    return services.escalation_raise(
        raised_by=people["stoke-crm"], case=case, ladder=ladder, risk_level="standard",
        category="report-quality", decision_challenged="The conference report.", concern="Late and thin.",
        basis="evidence", desired_outcome="A full report.",
    )


def test_the_allocated_worker_is_a_party_who_sees_it(allocated, people):
    worker = people["stoke-social-worker"]
    assert allocated.participants.filter(user=worker, reason="allocated_worker").exists()
    assert Escalation.objects.visible_to(worker).filter(pk=allocated.pk).exists()
    assert worker.has_perm("escalations.view_escalation", allocated)


def test_the_allocated_worker_responds_at_the_informal_stage(allocated, people):
    esc = services.escalation_respond(escalation=allocated, actor=people["stoke-social-worker"], decision="agree",
                                      rationale="Report redone.")
    assert esc.state == State.RESPONDED and esc.timeline.last().actor == people["stoke-social-worker"]


def test_the_allocated_worker_arranges_a_meeting_at_the_informal_stage(allocated, people):
    esc = services.escalation_arrange_meeting(escalation=allocated, actor=people["stoke-social-worker"],
                                              meeting_at=at(2026, 11, 12, 14, 0))
    assert esc.state == State.MEETING_ARRANGED


def test_the_allocated_worker_does_not_act_at_a_formal_stage_but_still_sees_it(allocated, people):
    esc = services.escalation_escalate(escalation=allocated, actor=people["stoke-crm"], reason="Unresolved.")
    with pytest.raises(ActionNotPermitted):
        services.escalation_respond(escalation=esc, actor=people["stoke-social-worker"], decision="agree",
                                    rationale="x")
    assert Escalation.objects.visible_to(people["stoke-social-worker"]).filter(pk=esc.pk).exists()


def test_the_allocated_worker_is_told_of_each_step(allocated, people):
    assert "stoke-social-worker" in told(allocated, Kind.ESCALATION_RAISED)
    esc = services.escalation_respond(escalation=allocated, actor=people["stoke-team-manager"], decision="uphold",
                                      rationale="The report stands.")
    assert "stoke-social-worker" in told(esc, Kind.RESPONSE_RECORDED)
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Unresolved.")
    assert "stoke-social-worker" in told(esc, Kind.STAGE_ESCALATED)


def test_the_allocated_worker_is_not_a_party_on_bexley(people):
    case, _ = case_get_or_create(organisation=people["bexley-practitioner"].organisation, reference="BX-ALLOC-1",
                                 allocated_worker=people["bexley-practitioner"])
    esc = services.escalation_raise(
        raised_by=people["bexley-team-manager"], case=case, ladder=Ladder.objects.current().get(slug="bexley-internal"),
        risk_level="standard", category="level-of-need", decision_challenged="x", concern="y", basis="evidence",
        desired_outcome="z",
    )
    assert not esc.participants.filter(user=people["bexley-practitioner"]).exists()


# --- Stoke 9: concerns about a Conference and Review Manager ----------------------------------------------
def test_a_concern_about_a_crm_names_the_crm(raise_escalation, people):
    with pytest.raises(ValidationError) as refused:
        services.escalation_raise(
            raised_by=people["stoke-social-worker"],
            case=case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-CRM-1")[0],
            ladder=Ladder.objects.current().get(slug="stoke-crm-concerns"), risk_level="standard",
            category="communication", decision_challenged="x", concern="y", basis="evidence", desired_outcome="z",
        )
    assert refused.value.message_dict == {"holder": ["Name the Conference and Review Manager the concern is about."]}


def test_a_named_person_who_is_not_a_crm_is_refused(raise_escalation):
    with pytest.raises(ValidationError) as refused:
        raise_escalation("stoke-social-worker", "stoke-crm-concerns", holder="stoke-team-manager")
    assert refused.value.message_dict["holder"] == [
        "Choose an active conference and review manager in Stoke-on-Trent City Council Children's Services."]


def test_stage_one_is_the_named_crms_own_service_manager(raise_escalation, people):
    stoke = people["stoke-crm"].organisation
    their_manager = User.objects.create(username="stoke-sm-reviews", organisation=stoke, role=Role.SERVICE_MANAGER,
                                        line_manager=people["stoke-strategic-manager"])
    crm = User.objects.create(username="stoke-crm-two", organisation=stoke, role=Role.CONFERENCE_REVIEW_MANAGER,
                              line_manager=their_manager)
    esc = raise_escalation("stoke-social-worker", "stoke-crm-concerns", holder="stoke-crm-two")
    assert (esc.stage_index, esc.holder) == (0, crm)
    assert esc.participants.filter(user=crm, reason="concerned").exists()
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-social-worker"], reason="Not resolved.")
    assert reload(esc).holder == their_manager


def test_any_stoke_manager_raising_about_a_crm_starts_with_the_crm(raise_escalation, people):
    """Stoke 9: "social work staff and management" resolve it with the CRM first, whatever their level."""
    esc = raise_escalation("stoke-team-manager", "stoke-crm-concerns")
    assert (esc.stage_index, esc.holder) == (0, people["stoke-crm"])


def test_nobody_away_is_given_a_stage_by_escalation(raise_escalation, people):
    from organisations.models import Absence

    esc = raise_escalation("stoke-crm", "stoke-crm")
    Absence.objects.create(person=people["stoke-service-manager"], starts_on=at(2026, 11, 10, 0, 0).date(),
                           ends_on=at(2026, 11, 20, 0, 0).date(), recorded_by=people["stoke-service-manager"])
    with pytest.raises(ActionConflict):
        services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Unresolved.")
