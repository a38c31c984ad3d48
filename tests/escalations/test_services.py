"""Raising an escalation and the life of one through the services: entry stages, deadlines, the
overall timescale, the organisation's calendar and the append-only timeline."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cases.services import case_get_or_create
from escalations import services
from escalations.models import Escalation, State, TimelineEntry
from escalations.services import ActionNotPermitted
from notifications.models import Notification
from organisations.models import ClosureDay, Organisation
from policies.models import Ladder
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

NOW = at(2026, 11, 10, 10, 0)  # Tuesday 10 November 2026


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(NOW)


def raise_on(people, username, slug, *, receiving=None, **overrides):
    user = people[username]
    case, _ = case_get_or_create(organisation=user.organisation, reference="LCS-104233")
    ladder = Ladder.objects.current().get(slug=slug)
    arguments = dict(
        raised_by=user, case=case, ladder=ladder, risk_level="standard", category=ladder.categories.first().slug,
        decision_challenged="Case closed to early help.", concern="Bruising not reassessed.", basis="evidence",
        desired_outcome="A strategy discussion.",
        receiving_organisation=Organisation.objects.get(slug=receiving) if receiving else None,
    )
    arguments.update(overrides)
    return services.escalation_raise(**arguments)


def psw_alerts(escalation):
    return list(Notification.objects.filter(escalation=escalation, kind="psw_alert")
                .values_list("recipient__username", flat=True))


# --- raising: where it enters and by when -------------------------------------------------------
def test_raising_writes_one_timeline_row_and_tells_the_holder(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entries = list(esc.timeline.all())
    assert [(e.action, e.from_state, e.to_state, e.stage_index, e.actor_id) for e in entries] == [
        ("raise", "", "open", 0, people["bexley-practitioner"].pk)
    ]
    assert Notification.objects.filter(escalation=esc, kind="escalation_raised",
                                       recipient=people["bexley-team-manager"]).exists()
    assert esc.version == 1 and esc.raised_at == esc.stage_started_at


def test_bexley_standard_enters_with_the_team_manager_due_next_working_day(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.state == State.OPEN and esc.stage_index == 0 and esc.holder == people["bexley-team-manager"]
    assert esc.stage_deadline == at(2026, 11, 11, 17, 0)
    assert psw_alerts(esc) == []


def test_bexley_significant_harm_enters_with_the_service_manager_due_today(raise_escalation, people):
    """Bexley 5.3: at minimum the service manager, on the same day; the PSW is alerted."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    assert esc.stage_index == 1 and esc.holder == people["bexley-service-manager"]
    assert esc.stage_deadline == at(2026, 11, 10, 17, 0)
    assert psw_alerts(esc) == ["bexley-psw"]


def test_bexley_significant_harm_then_one_working_day_a_stage(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    assert esc.stage_index == 2 and esc.stage_deadline == at(2026, 11, 11, 17, 0)


def test_bexley_imminent_goes_to_the_director_due_today_and_alerts_the_psw(raise_escalation, people):
    """Bexley 5.5: the highest level on the same day, with the PSW's assistance."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert esc.stage_index == 4 and esc.holder == people["bexley-director"]
    assert esc.stage_deadline == at(2026, 11, 10, 17, 0)
    assert psw_alerts(esc) == ["bexley-psw"]
    alert = Notification.objects.get(escalation=esc, kind="psw_alert")
    assert alert.urgent


def test_bexley_imminent_after_close_of_business_is_due_next_working_day(raise_escalation, travel):
    travel(at(2026, 11, 13, 18, 0))  # Friday evening
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert esc.stage_deadline == at(2026, 11, 16, 17, 0)


def test_raise_at_a_given_moment_counts_from_that_moment(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal", now=at(2026, 12, 24, 11, 0))
    assert esc.raised_at == at(2026, 12, 24, 11, 0)
    assert esc.stage_deadline == at(2026, 12, 29, 17, 0)


def test_stoke_informal_stage_is_five_working_days_with_no_overall_deadline(raise_escalation, people):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    assert esc.holder == people["stoke-team-manager"]
    assert esc.stage_deadline == at(2026, 11, 17, 17, 0)
    assert esc.overall_deadline is None


def test_stoke_overall_deadline_is_set_on_entering_stage_one_and_kept(raise_escalation, people, travel):
    """Stoke section 5: the formal process completes within 20 working days of stage 1."""
    crm = people["stoke-crm"]
    esc = raise_escalation("stoke-crm", "stoke-crm")
    travel(at(2026, 11, 12, 9, 0))  # Thursday
    esc = services.escalation_escalate(escalation=esc, actor=crm, reason="No informal resolution.")
    assert esc.stage_index == 1
    assert esc.overall_deadline == at(2026, 12, 10, 17, 0)  # 20 working days after Thursday 12 November
    travel(at(2026, 11, 19, 9, 0))
    esc = services.escalation_escalate(escalation=esc, actor=crm, reason="Still unresolved.")
    assert esc.stage_index == 2
    assert esc.stage_deadline == at(2026, 11, 26, 17, 0)
    assert Escalation.objects.get(pk=esc.pk).overall_deadline == at(2026, 12, 10, 17, 0)


def test_stoke_overall_deadline_starts_when_stage_one_is_skipped(raise_escalation, people):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    esc = services.escalation_skip(escalation=esc, actor=people["stoke-crm"], to_stage=2, reason="Drift.")
    assert esc.overall_deadline == at(2026, 12, 8, 17, 0)  # 20 working days after Tuesday 10 November


def test_single_agency_ladder_has_no_receiving_organisation(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.receiving_organisation is None
    assert esc.raising_organisation.slug == "bexley"


# --- the organisation's calendar ----------------------------------------------------------------
def test_a_closure_day_of_the_organisation_moves_the_deadline(raise_escalation):
    bexley = Organisation.objects.get(slug="bexley")
    ClosureDay.objects.create(organisation=bexley, date=dt.date(2026, 11, 11), reason="Staff training day")
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.stage_deadline == at(2026, 11, 12, 17, 0)


def test_an_earlier_close_of_business_of_the_organisation(raise_escalation, people):
    bexley = people["bexley-practitioner"].organisation
    bexley.close_of_business = dt.time(16, 0)
    bexley.save()
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.stage_deadline == at(2026, 11, 11, 16, 0)


def test_a_multi_agency_stage_runs_on_the_receiving_organisations_calendar(raise_escalation):
    ClosureDay.objects.create(organisation=Organisation.objects.get(slug="wiltshire"), date=dt.date(2026, 11, 11))
    ClosureDay.objects.create(organisation=Organisation.objects.get(slug="puddleducks"), date=dt.date(2026, 11, 12))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert esc.stage_deadline == at(2026, 11, 18, 17, 0)  # 5 WD skipping Wiltshire's closure on the 11th


# --- refused raises -----------------------------------------------------------------------------
def test_only_a_conference_and_review_manager_raises_on_the_stoke_crm_ladder(people):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "stoke-social-worker", "stoke-crm")
    assert "ladder" in info.value.message_dict
    assert not Escalation.objects.exists()


def test_another_organisations_ladder_is_refused(people):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "bexley-practitioner", "stoke-crm-concerns")
    assert "ladder" in info.value.message_dict


def test_a_multi_agency_ladder_needs_a_receiving_organisation(people):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "puddleducks-practitioner", "wiltshire-multi-agency")
    assert "receiving_organisation" in info.value.message_dict


@pytest.mark.parametrize("receiving", ["puddleducks", "bristol"])
def test_the_receiving_organisation_is_another_member_of_the_partnership(people, receiving):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "puddleducks-practitioner", "wiltshire-multi-agency", receiving=receiving)
    assert "receiving_organisation" in info.value.message_dict


def test_an_internal_ladder_refuses_a_receiving_organisation(people):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "bexley-practitioner", "bexley-internal", receiving="stoke")
    assert "receiving_organisation" in info.value.message_dict


def test_bad_fields_are_named_together_and_nothing_is_saved(people):
    with pytest.raises(ValidationError) as info:
        raise_on(people, "bexley-practitioner", "bexley-internal", risk_level="high", basis="rumour",
                 category="no-such-category", concern="", desired_outcome="x" * 10_001)
    assert set(info.value.message_dict) >= {"risk_level", "basis", "category", "concern", "desired_outcome"}
    assert not Escalation.objects.exists() and not TimelineEntry.objects.exists()


def test_a_case_of_another_organisation_is_refused(people):
    stoke_case, _ = case_get_or_create(organisation=people["stoke-crm"].organisation, reference="ST-1")
    with pytest.raises(ValidationError) as info:
        raise_on(people, "bexley-practitioner", "bexley-internal", case=stoke_case)
    assert "case" in info.value.message_dict


@pytest.mark.parametrize("username", ["wiltshire-board-member", "wiltshire-qap-chair"])
def test_board_users_cannot_raise(people, username):
    case, _ = case_get_or_create(organisation=people["wiltshire-social-worker"].organisation, reference="W-1")
    with pytest.raises(ActionNotPermitted):
        services.escalation_raise(
            raised_by=people[username], case=case, ladder=Ladder.objects.current().get(slug="wiltshire-multi-agency"),
            risk_level="standard", category="communication", decision_challenged="x", concern="x",
            basis="evidence", desired_outcome="x",
        )
    assert not Escalation.objects.exists()


# --- the timeline is append-only ----------------------------------------------------------------
def test_a_timeline_entry_cannot_be_changed(raise_escalation):
    entry = raise_escalation("bexley-practitioner", "bexley-internal").timeline.get()
    entry.note = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    assert TimelineEntry.objects.get(pk=entry.pk).note != "rewritten"


def test_a_timeline_entry_cannot_be_deleted(raise_escalation):
    entry = raise_escalation("bexley-practitioner", "bexley-internal").timeline.get()
    with pytest.raises(PermissionError):
        entry.delete()
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_the_timeline_refuses_bulk_update_and_delete(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(PermissionError):
        TimelineEntry.objects.filter(escalation=esc).update(note="rewritten")
    with pytest.raises(PermissionError):
        TimelineEntry.objects.filter(escalation=esc).delete()
    with pytest.raises(PermissionError):
        esc.timeline.update(note="rewritten")
    with pytest.raises(PermissionError):
        esc.timeline.all().delete()
    assert list(esc.timeline.values_list("note", flat=True)) == ["Risk not reassessed."]


# --- a whole life -------------------------------------------------------------------------------
def test_standard_bexley_escalation_climbs_and_resolves(raise_escalation, people, travel):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                      rationale="Monitored weekly.")
    travel(at(2026, 11, 11, 9, 0))
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Still unsafe.")
    assert esc.holder == people["bexley-service-manager"] and esc.stage_deadline == at(2026, 11, 12, 17, 0)
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-service-manager"], decision="agree",
                                      rationale="A strategy discussion will be held.")
    esc = services.escalation_accept(escalation=esc, actor=people["bexley-practitioner"],
                                     agreed_outcome="Strategy discussion booked.", outstanding_actions="Review.")
    assert esc.state == State.RESOLVED
    assert [(e.action, e.from_state, e.to_state, e.stage_index) for e in esc.timeline.all()] == [
        ("raise", "", "open", 0),
        ("respond", "open", "responded", 0),
        ("escalate", "responded", "open", 1),
        ("respond", "open", "responded", 1),
        ("accept", "responded", "resolved", 1),
    ]
    assert esc.version == 5


# --- overdue (CONTRACT section 5) ---------------------------------------------------------------
def test_an_open_escalation_past_its_stage_deadline_is_overdue(raise_escalation):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert not esc.is_overdue(at(2026, 11, 11, 16, 59))
    assert esc.is_overdue(at(2026, 11, 11, 17, 0))
    assert list(Escalation.objects.overdue(now=at(2026, 11, 11, 17, 0))) == [esc]
    assert not Escalation.objects.overdue(now=at(2026, 11, 11, 16, 59)).exists()


def test_a_responded_escalation_is_not_overdue_on_its_stage_deadline(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                      rationale="Monitored weekly.")
    assert not esc.is_overdue(at(2026, 11, 12, 9, 0))
    assert not Escalation.objects.overdue(now=at(2026, 11, 12, 9, 0)).exists()


def test_a_live_escalation_past_its_overall_deadline_is_overdue(raise_escalation, people):
    esc = raise_escalation("stoke-crm", "stoke-crm")
    esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Formal.")
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="uphold", rationale="No.")
    after = esc.overall_deadline + dt.timedelta(minutes=1)
    assert esc.is_overdue(after)
    assert Escalation.objects.overdue(now=after).filter(pk=esc.pk).exists()
    esc = services.escalation_withdraw(escalation=esc, actor=people["stoke-crm"], reason="Done.")
    assert not esc.is_overdue(after)
