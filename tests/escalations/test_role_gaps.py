"""Four gaps in every role's procedure, closed through the real services.

- Stoke 4 (CONTRACT 8.2): when a case's allocated worker changes after the raise, its live escalations take
  the new worker as the party who may act at the informal stage, who is told; the previous one keeps
  reading what they were a party to, as a former party, but is no longer told of each step nor may act.
- CONTRACT 8.4: when the clock acts in spite of a meeting arranged for after the deadline, its entry says so.
- 001, CONTRACT 8.3: a party who has recorded their debrief is not offered `record-debrief` again.
- 001, CONTRACT 8.5: while the QA&P chair is away, the resolution panel's stage passes to another QA&P
  chair of the partnership (the cover the absence names first), never to an agency's manager.
"""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.errors import ActionNotPermitted
from deadlines.sweep import deadlines_sweep
from escalations import services
from escalations.holders import holder_candidates, holder_may_take, panel_chair_find
from escalations.models import Escalation, State
from escalations.selectors import escalation_actions_available
from notifications.models import Kind, Notification
from organisations.absences import absence_record
from organisations.models import Absence, Partnership, Role
from policies.models import Ladder
from tests.conftest import at
from tests.factories import UserFactory, resolution_panel_for_test

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture
def tuesday(travel):
    travel(TUESDAY_10AM)


def reload(escalation: Escalation) -> Escalation:
    return Escalation.objects.select_related("case", "holder", "ladder").get(pk=escalation.pk)


def told(kind: str, escalation: Escalation) -> set[str]:
    return set(Notification.objects.filter(kind=kind, escalation=escalation).values_list(
        "recipient__username", flat=True))


# --- Stoke 4: the allocated worker follows the case --------------------------------------------------------
@pytest.fixture
def stoke(people, tuesday):
    """A Stoke escalation at the informal stage on a case allocated to the social worker, and a second worker."""
    case, _ = services.case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-MOVE-1",
                                          allocated_worker=people["stoke-social-worker"])
    escalation = services.escalation_raise(
        raised_by=people["stoke-crm"], case=case, ladder=Ladder.objects.current().get(slug="stoke-crm"),
        risk_level="standard", category="report-quality", decision_challenged="The conference report.",
        concern="Late and thin.", basis="evidence", desired_outcome="A full report.",
    )
    newcomer = UserFactory(username="stoke-social-worker-2", organisation=people["stoke-crm"].organisation,
                           role=people["stoke-social-worker"].role, line_manager=people["stoke-team-manager"])
    return escalation, newcomer


def test_a_new_allocated_worker_becomes_the_party_who_acts_and_is_told(stoke, people):
    escalation, newcomer = stoke
    before = escalation.version
    services.case_allocated_worker_change(case=escalation.case, worker=newcomer)
    esc = reload(escalation)
    assert esc.participants.get(user=newcomer).reason == "allocated_worker"
    assert Escalation.objects.visible_to(newcomer).filter(pk=esc.pk).exists()
    assert told(Kind.ALLOCATED_WORKER_CHANGED, esc) == {"stoke-social-worker-2", "stoke-crm"}  # Stoke 7: the CRM
    crm_words = Notification.objects.get(escalation=esc, kind=Kind.ALLOCATED_WORKER_CHANGED,
                                         recipient__username="stoke-crm").message
    assert "is now allocated to" in crm_words and "allocated to you" not in crm_words
    entry = esc.timeline.get(action="allocated_worker_changed")
    assert entry.actor is None and entry.params == {"from": "stoke-social-worker", "to": "stoke-social-worker-2"}
    assert esc.version == before + 1
    # The new worker acts at the informal stage, and is told of the next step.
    services.escalation_arrange_meeting(escalation=esc, actor=newcomer, meeting_at=at(2026, 11, 12, 14, 0))
    responded = services.escalation_respond(escalation=esc, actor=newcomer, decision="agree", rationale="Redone.")
    assert responded.state == State.RESPONDED
    assert "stoke-social-worker-2" not in told(Kind.RESPONSE_RECORDED, esc)  # they acted: they know
    services.escalation_escalate(escalation=responded, actor=people["stoke-crm"], reason="Still thin.")
    assert "stoke-social-worker-2" in told(Kind.STAGE_ESCALATED, esc)


def test_the_previous_worker_is_a_former_party_who_reads_but_neither_acts_nor_is_told(stoke, people):
    escalation, newcomer = stoke
    previous = people["stoke-social-worker"]
    services.case_allocated_worker_change(case=escalation.case, worker=newcomer)
    esc = reload(escalation)
    assert esc.participants.get(user=previous).reason == "former_allocated_worker"
    assert Escalation.objects.visible_to(previous).filter(pk=esc.pk).exists()
    with pytest.raises(ActionNotPermitted):
        services.escalation_respond(escalation=esc, actor=previous, decision="agree", rationale="Mine still?")
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=at(2026, 11, 12, 14, 0))
    assert "stoke-social-worker" not in told(Kind.MEETING_ARRANGED, esc)
    assert "stoke-social-worker-2" in told(Kind.MEETING_ARRANGED, esc)


def test_allocating_the_same_worker_again_changes_nothing(stoke, people):
    escalation, _ = stoke
    services.case_allocated_worker_change(case=escalation.case, worker=people["stoke-social-worker"])
    assert not reload(escalation).timeline.filter(action="allocated_worker_changed").exists()


def test_a_worker_outside_the_case_s_organisation_is_refused_and_nothing_changes(stoke, people):
    escalation, _ = stoke
    with pytest.raises(ValidationError) as error:
        services.case_allocated_worker_change(case=escalation.case, worker=people["bexley-practitioner"])
    assert "allocated_worker" in error.value.message_dict
    esc = reload(escalation)
    assert esc.case.allocated_worker == people["stoke-social-worker"]
    assert not esc.timeline.filter(action="allocated_worker_changed").exists()


def test_a_known_case_given_its_first_worker_through_registration_draws_them_in(people, tuesday):
    crm = people["stoke-crm"]
    case, _ = services.case_get_or_create(organisation=crm.organisation, reference="ST-MOVE-2")
    escalation = services.escalation_raise(
        raised_by=crm, case=case, ladder=Ladder.objects.current().get(slug="stoke-crm"), risk_level="standard",
        category="report-quality", decision_challenged="x", concern="y", basis="evidence", desired_outcome="z",
    )
    assert not escalation.participants.filter(reason="allocated_worker").exists()
    again, created = services.case_get_or_create(organisation=crm.organisation, reference="ST-MOVE-2",
                                                 allocated_worker=people["stoke-social-worker"], created_by=crm)
    assert not created and again.allocated_worker == people["stoke-social-worker"]
    esc = reload(escalation)
    assert esc.participants.get(user=people["stoke-social-worker"]).reason == "allocated_worker"
    assert told(Kind.ALLOCATED_WORKER_CHANGED, esc) == {"stoke-social-worker"}  # the CRM registered it: she knows
    assert esc.timeline.get(action="allocated_worker_changed").params["from"] is None


def test_the_api_registering_a_known_case_with_its_worker_draws_them_in(people, tuesday, client):
    crm = people["stoke-crm"]
    case, _ = services.case_get_or_create(organisation=crm.organisation, reference="ST-MOVE-3")
    escalation = services.escalation_raise(
        raised_by=crm, case=case, ladder=Ladder.objects.current().get(slug="stoke-crm"), risk_level="standard",
        category="report-quality", decision_challenged="x", concern="y", basis="evidence", desired_outcome="z",
    )
    client.force_login(crm)
    response = client.post("/api/v1/cases/", {"reference": "ST-MOVE-3", "allocated_worker": "stoke-social-worker"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    assert told(Kind.ALLOCATED_WORKER_CHANGED, escalation) == {"stoke-social-worker"}


def test_a_closed_escalation_does_not_follow_the_case(stoke, people):
    escalation, newcomer = stoke
    services.escalation_withdraw(escalation=escalation, actor=people["stoke-crm"], reason="Sorted by phone.")
    services.case_allocated_worker_change(case=escalation.case, worker=newcomer)
    esc = reload(escalation)
    assert not esc.participants.filter(user=newcomer).exists()
    assert not esc.timeline.filter(action="allocated_worker_changed").exists()


# --- CONTRACT 8.4: the clock's words when a meeting came too late -------------------------------------------
def test_the_clock_entry_says_the_meeting_was_arranged_for_after_the_deadline(raise_escalation, people, travel):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    late = TUESDAY_10AM + dt.timedelta(days=7)
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=late)
    travel(at(2026, 11, 10, 17, 5))
    deadlines_sweep()
    entry = reload(esc).timeline.get(action="auto_advance")
    assert "no meeting arranged" not in entry.note
    assert "the meeting was arranged for 10am on Tuesday 17 November 2026, after the deadline" in entry.note
    assert entry.params["late_meeting"] == late.isoformat()
    told_words = Notification.objects.filter(escalation=esc, kind=Kind.AUTO_ADVANCED).values_list("message", flat=True)
    assert told_words and all("no meeting arranged in time" in words for words in told_words)


def test_a_missed_deadline_that_only_tells_says_the_meeting_was_late(raise_escalation, people, travel):
    """Stoke tells (it does not advance) at a missed deadline: the raiser reads that the meeting was too late."""
    travel(TUESDAY_10AM)
    esc = raise_escalation("stoke-crm", "stoke-crm")
    deadline = esc.stage_deadline
    late = deadline + dt.timedelta(days=2)
    services.escalation_arrange_meeting(escalation=esc, actor=esc.holder, meeting_at=late)
    travel(deadline + dt.timedelta(minutes=5))
    deadlines_sweep()
    entry = reload(esc).timeline.get(action="deadline_missed")
    assert "no meeting arranged" not in entry.note and "after the deadline" in entry.note
    raiser_words = Notification.objects.get(escalation=esc, kind=Kind.DEADLINE_MISSED,
                                            recipient=people["stoke-crm"]).message
    assert "is too late to stop the clock" in raiser_words and "no meeting arranged" not in raiser_words


def test_with_no_meeting_the_entry_still_says_none_was_arranged(raise_escalation, people, travel):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    travel(at(2026, 11, 10, 17, 5))
    deadlines_sweep()
    entry = reload(esc).timeline.get(action="auto_advance")
    assert "passed with no meeting arranged" in entry.note and "late_meeting" not in entry.params


# --- CONTRACT 8.3: one debrief each, and no second offer -----------------------------------------------------
def test_a_party_who_has_debriefed_is_not_offered_record_debrief_again(people, tuesday, client):
    escalation = resolution_panel_for_test()
    chair = escalation.holder
    resolved = services.escalation_respond(escalation=escalation, actor=chair, decision="uphold",
                                           rationale="The panel upholds it.", outstanding_actions="A review in May.")
    raiser = resolved.raised_by

    def offered(user) -> set[str]:
        return {spec.name for spec in escalation_actions_available(user=user, escalation=reload(resolved))}

    assert "record_debrief" in offered(raiser)
    services.escalation_record_debrief(escalation=resolved, actor=raiser, note="Talking early helped.")
    assert "record_debrief" not in offered(raiser)
    assert "record_debrief" in offered(chair)  # the others may still
    client.force_login(raiser)
    page = client.get(f"/escalations/{resolved.pk}/").content.decode()
    assert 'id="record_debrief"' not in page and "Record debrief" not in page
    api = client.get(f"/api/v1/escalations/{resolved.pk}/").json()
    assert "record-debrief" not in api["allowed_actions"]


# --- CONTRACT 8.5 for the resolution panel: who covers the chair -------------------------------------------
@pytest.fixture
def vice_chair(people):
    partnership = Partnership.objects.get(slug="bristol-partnership")
    return UserFactory(username="bristol-qap-vice-chair", organisation=None, partnership=partnership,
                       role=Role.QAP_CHAIR)


def test_a_chair_s_absence_names_another_chair_of_the_partnership_as_cover(people, vice_chair, tuesday):
    escalation = resolution_panel_for_test()
    chair = escalation.holder
    absence = absence_record(actor=chair, starts_on=dt.date(2026, 11, 11), ends_on=dt.date(2026, 11, 13),
                             cover=vice_chair)
    assert absence.cover == vice_chair
    with pytest.raises(ValidationError) as error:
        absence_record(actor=chair, starts_on=dt.date(2026, 11, 20), ends_on=dt.date(2026, 11, 21),
                       cover=people["bristol-team-manager"])
    assert "cover" in error.value.message_dict


def test_the_absence_sweep_passes_the_panel_stage_to_the_covering_chair(people, vice_chair, travel):
    travel(TUESDAY_10AM)
    escalation = resolution_panel_for_test()
    chair = escalation.holder
    absence_record(actor=chair, starts_on=dt.date(2026, 11, 11), ends_on=dt.date(2026, 11, 13), cover=vice_chair)
    travel(at(2026, 11, 11, 0, 30))
    deadlines_sweep()
    esc = reload(escalation)
    assert esc.holder == vice_chair and esc.stage.panel
    entry = esc.timeline.get(action="hand_over")
    assert entry.actor is None and entry.params["cover"] is True
    assert Escalation.objects.visible_to(vice_chair).filter(pk=esc.pk).exists()
    assert vice_chair.has_perm("escalations.convene_panel", esc)


def test_without_a_cover_another_chair_here_takes_it_and_never_an_agency_manager(people, vice_chair, travel):
    travel(TUESDAY_10AM)
    escalation = resolution_panel_for_test()
    chair = escalation.holder
    Absence.objects.create(person=chair, starts_on=dt.date(2026, 11, 11), ends_on=dt.date(2026, 11, 13),
                           recorded_by=chair)
    travel(at(2026, 11, 11, 0, 30))
    deadlines_sweep()
    esc = reload(escalation)
    assert esc.holder == vice_chair
    assert esc.timeline.get(action="hand_over").params["cover"] is False


def test_with_every_chair_away_the_panel_stage_stays_put(people, travel):
    travel(TUESDAY_10AM)
    escalation = resolution_panel_for_test()
    chair = escalation.holder
    Absence.objects.create(person=chair, starts_on=dt.date(2026, 11, 11), ends_on=dt.date(2026, 11, 13),
                           recorded_by=chair)
    travel(at(2026, 11, 11, 0, 30))
    deadlines_sweep()
    esc = reload(escalation)
    assert esc.holder == chair and not esc.timeline.filter(action="hand_over").exists()


def test_the_panel_stage_s_candidates_and_who_may_take_it(people, vice_chair, tuesday):
    escalation = resolution_panel_for_test()
    chair, stage = escalation.holder, escalation.stage
    names = {u.username for u in holder_candidates(stage=stage, raised_by=escalation.raised_by,
                                                   raising_organisation=escalation.raising_organisation,
                                                   receiving_organisation=escalation.receiving_organisation)}
    assert names == {chair.username, "bristol-qap-vice-chair"}
    organisation = escalation.deadline_organisation
    assert holder_may_take(user=vice_chair, stage=stage, organisation=organisation, holder=chair,
                           raised_by=escalation.raised_by)
    for username in ("bristol-head-of-service", "bristol-service-manager", "wiltshire-qap-chair"):
        assert not holder_may_take(user=people[username], stage=stage, organisation=organisation, holder=chair,
                                   raised_by=escalation.raised_by), username
    Absence.objects.create(person=chair, starts_on=dt.date(2026, 11, 10), ends_on=dt.date(2026, 11, 12),
                           recorded_by=chair, cover=vice_chair)
    assert panel_chair_find(stage=stage, ladder=escalation.ladder) == vice_chair



def test_a_named_vice_chair_takes_the_panel_stage_and_anyone_else_named_is_refused(people, vice_chair, tuesday):
    from tests.factories import bristol_third_agency, raise_for_test

    bristol_third_agency()
    raiser = people["bs3-designated-safeguarding-lead"]
    escalation = raise_for_test(people={raiser.username: raiser}, username=raiser.username,
                                ladder_slug="multi-agency-resolution-panel", receiving="bristol")
    with pytest.raises(ValidationError) as error:
        services.escalation_skip(escalation=escalation, actor=raiser, to_stage=3, reason="Stuck.",
                                 holder=people["bristol-head-of-service"])
    assert "holder" in error.value.message_dict
    assert reload(escalation).stage_index == escalation.stage_index
    esc = services.escalation_skip(escalation=escalation, actor=raiser, to_stage=3, reason="Stuck.", holder=vice_chair)
    assert esc.holder == vice_chair and esc.stage.panel
