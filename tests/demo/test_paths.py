"""The demo shows every path the product supports at least once (CONTRACT 8.8), with the people of 8.8."""
import pytest
from django.db.models import Q
from django.utils import timezone

from escalations.models import Escalation, Participant, State
from organisations.models import Organisation, Partnership, Role, User
from oversight.models import SystemicIssue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]


def demo():
    return Escalation.objects.filter(case__reference__startswith="DEMO-")


def test_the_people_of_8_8_are_there_with_their_roles_and_managers():
    legal = User.objects.get(username="bexley-legal-adviser")
    assert legal.role == Role.LEGAL_ADVISER and legal.line_manager.username == "bexley-team-manager"
    admin = User.objects.get(username="bexley-org-admin")
    assert admin.role == Role.ORG_ADMIN and admin.organisation.slug == "bexley"
    chair = User.objects.get(username="bristol-qap-chair")
    assert chair.role == Role.QAP_CHAIR and chair.partnership.slug == "bristol-partnership"
    for username in ("bexley-legal-adviser", "bexley-org-admin", "bristol-health-practitioner",
                     "bristol-health-safeguarding-lead", "bristol-health-senior-manager", "bristol-qap-chair"):
        assert User.objects.get(username=username).check_password("demo-pass-2026"), username


def test_bristol_health_is_the_partnership_s_third_member_with_its_tiers():
    health = Organisation.objects.get(slug="bristol-health")
    assert health.kind == "health"
    members = set(Partnership.objects.get(slug="bristol-partnership").members.values_list("slug", flat=True))
    assert members == {"bs3", "bristol", "bristol-health"}
    tiers = {u.username: health.tier_of(u.role) for u in User.objects.filter(organisation=health)}
    assert tiers == {"bristol-health-practitioner": "practitioner", "bristol-health-safeguarding-lead": "manager",
                     "bristol-health-senior-manager": "senior_manager"}


def test_the_stoke_social_worker_is_allocated_to_every_stoke_case_and_a_party_to_each_dispute():
    worker = User.objects.get(username="stoke-social-worker")
    stoke = demo().filter(ladder__slug="stoke-crm")  # Stoke 4; a concern about a CRM (Stoke 9) is between managers
    assert stoke.exists()
    assert not stoke.exclude(case__allocated_worker=worker).exists()
    assert Escalation.objects.visible_to(worker).filter(pk__in=stoke.values("pk")).count() == stoke.count()
    assert Participant.objects.filter(user=worker, escalation__in=stoke).count() == stoke.count()


def test_an_imminent_risk_escalation_with_the_director():
    imminent = demo().get(risk_level="imminent")
    assert imminent.ladder.slug == "bexley-internal" and imminent.stage_index == 4
    assert imminent.holder.username == "bexley-director" and imminent.is_live


def test_the_director_s_exceptional_stage_reached_after_the_final_decision():
    exceptional = demo().filter(ladder__slug="bexley-internal", stage_index=4, risk_level="standard").get()
    actions = [e.action for e in exceptional.timeline.all()]
    assert actions[-2:] == ["respond", "escalate"]
    assert exceptional.timeline.filter(action="respond", stage_index=3, params__decision="uphold").exists()


def test_a_reopened_escalation():
    reopened = demo().get(times_reopened__gt=0)
    assert reopened.state == State.OPEN and reopened.timeline.filter(action="reopen").exists()


def test_a_missed_stoke_overall_deadline():
    now = timezone.now()
    missed = demo().filter(ladder__slug="stoke-crm", state__in=["open", "meeting_arranged", "responded"],
                           overall_deadline__lt=now)
    assert missed.count() == 1
    assert missed.get().holder.username == "stoke-assistant-director"


def test_a_stoke_skip_with_its_reason_and_one_straight_to_the_director():
    skips = demo().filter(ladder__slug="stoke-crm", timeline__action="skip")
    assert {e.stage_index for e in skips} >= {2, 4}
    assert all(e.timeline.get(action="skip").note for e in skips)


def test_a_mediation():
    mediated = demo().get(state=State.IN_MEDIATION)
    assert mediated.mediator is not None and mediated.ladder.mediation_allowed


def test_each_partnership_has_something_logged_with_its_board():
    for slug in ("wiltshire-partnership", "bristol-partnership"):
        assert demo().filter(ladder__partnership__slug=slug, board_logged_at__isnull=False).exists(), slug


def test_a_systemic_issue_in_each_psw_s_register():
    for psw in User.objects.filter(role=Role.PSW, username__endswith="-psw"):
        issues = SystemicIssue.objects.filter(organisation=psw.organisation)
        assert issues.exists(), psw.username
        assert issues.filter(escalations__isnull=False).exists(), psw.username


def test_every_demo_person_in_an_organisation_holds_raised_or_sees_a_live_escalation():
    """Not only the landing page: each member of staff who can take part has a real escalation of their own."""
    staff = User.objects.exclude(organisation=None).exclude(role__in=[Role.PSW, Role.ORG_ADMIN]).filter(
        email__endswith="@example.org").exclude(username="admin")
    lonely = [
        user.username for user in staff
        if not demo().filter(Q(holder=user) | Q(raised_by=user) | Q(case__allocated_worker=user)).exists()
        and user.username not in ("bristol-head-of-service", "puddleducks-owner")  # see their team's
    ]
    assert lonely == []


def test_the_legal_adviser_raised_one_that_the_team_manager_holds():
    raised = demo().get(raised_by__username="bexley-legal-adviser")
    assert raised.holder.username == "bexley-team-manager"


def test_a_resolution_panel_convened_by_the_chair_with_three_agencies_and_a_representation():
    from escalations.models import PanelMember

    e = demo().filter(ladder__slug="multi-agency-resolution-panel", panel_members__isnull=False).distinct().get()
    assert e.holder.username == "bristol-qap-chair" and e.ladder.stage(e.stage_index).panel
    members = PanelMember.objects.filter(escalation=e).select_related("user__organisation")
    assert {m.user.organisation.slug for m in members} == {"bs3", "bristol", "bristol-health"}
    assert e.timeline.filter(action="note", actor__username="bs3-practitioner").exists()


def test_debriefs_after_a_resolution():
    from escalations.models import Debrief

    debriefs = Debrief.objects.filter(escalation__case__reference__in=["DEMO-BX-1005", "DEMO-ST-2007"])
    assert {(d.escalation.case.reference, d.by.username) for d in debriefs} == {
        ("DEMO-BX-1005", "bexley-practitioner"), ("DEMO-ST-2007", "stoke-crm")}
    assert all(d.escalation.state == State.RESOLVED for d in debriefs)


def test_a_concern_about_a_crm_named_on_raise_now_with_her_service_manager():
    e = demo().get(ladder__slug="stoke-crm-concerns")
    assert e.stage_index == 1 and e.holder.username == "stoke-service-manager"
    assert e.timeline.filter(action="respond", actor__username="stoke-crm", stage_index=0).exists()


def test_an_absence_with_cover_has_passed_the_absent_team_manager_s_stages_on():
    from organisations.models import Absence

    absence = Absence.objects.get(person__username="wiltshire-team-manager")
    assert absence.cover.username == "wiltshire-service-manager" and absence.handed_over_at is not None
    assert not demo().live().filter(holder=absence.person).exists()
    handed = demo().filter(timeline__action="hand_over", timeline__actor__isnull=True).distinct()
    assert handed.exists() and all(e.holder_id == absence.cover_id for e in handed.live())
