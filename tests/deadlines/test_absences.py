"""An absence begins: the clock passes the absent holder's live stages on, exactly once (CONTRACT 8.5)."""
from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from deadlines.absences import HANDED_OVER, absences_begin
from deadlines.sweep import deadlines_sweep
from escalations.models import Escalation
from notifications.models import Kind, Notification
from organisations.models import Absence, Role
from tests.conftest import at
from tests.factories import UserFactory

RAISED = at(2026, 11, 10, 10, 0)  # Tuesday: a standard Bexley escalation goes to the team manager
FIRST_DAY = dt.date(2026, 11, 12)  # Thursday


@pytest.fixture
def held(raise_escalation, travel):
    travel(RAISED)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder.username == "bexley-team-manager"
    return esc


@pytest.fixture
def second_tm(people):
    return UserFactory(username="bexley-team-manager-2", organisation=people["bexley-team-manager"].organisation,
                       role=Role.TEAM_MANAGER, first_name="Ola", last_name="Adeyemi")


def away(people, *, cover=None, starts_on=FIRST_DAY, ends_on=dt.date(2026, 11, 20)):
    tm = people["bexley-team-manager"]
    return Absence.objects.create(person=tm, starts_on=starts_on, ends_on=ends_on, cover=cover, recorded_by=tm)


def hand_overs(esc):
    return list(esc.timeline.filter(action="hand_over"))


@pytest.mark.django_db
def test_the_stage_passes_to_the_cover_from_midnight_on_the_first_day(held, people, second_tm, travel):
    absence = away(people, cover=second_tm)
    deadline = Escalation.objects.get(pk=held.pk).stage_deadline
    travel(at(2026, 11, 11, 23, 59))
    assert deadlines_sweep().counts[HANDED_OVER] == 0
    travel(at(2026, 11, 12, 0, 1))
    out = StringIO()
    call_command("check_deadlines", stdout=out)
    esc = Escalation.objects.get(pk=held.pk)
    assert esc.holder == second_tm and esc.state == "open" and esc.stage_deadline == deadline
    [entry] = hand_overs(esc)
    assert entry.actor is None and entry.actor_name == "system"
    assert entry.params == {"from": "bexley-team-manager", "to": "bexley-team-manager-2", "cover": True,
                            "absence": absence.pk}
    assert entry.note.startswith("Grace Mensah is away from Thursday 12 November 2026 to Friday 20 November 2026.")
    assert "Ola Adeyemi, who covers" in entry.note
    line = f"escalation {held.pk}: bexley-team-manager is away; passed to bexley-team-manager-2 (cover)"
    assert line in out.getvalue()
    assert f"{HANDED_OVER}: 1" in out.getvalue()
    assert Notification.objects.filter(kind=Kind.REASSIGNED, escalation=esc, recipient=second_tm).exists()
    assert esc.participants.filter(user=second_tm).exists()
    absence.refresh_from_db()
    assert absence.handed_over_at is not None


@pytest.mark.django_db
def test_a_sweep_run_twice_passes_the_stage_on_once(held, people, second_tm, travel):
    away(people, cover=second_tm)
    travel(at(2026, 11, 12, 0, 1))
    deadlines_sweep()
    second = deadlines_sweep()
    assert second.counts[HANDED_OVER] == 0
    assert len(hand_overs(Escalation.objects.get(pk=held.pk))) == 1
    assert Notification.objects.filter(kind=Kind.REASSIGNED, recipient=second_tm).count() == 1


@pytest.mark.django_db
def test_without_a_cover_the_only_team_manager_passes_to_their_own_line_manager(held, people, travel):
    """Bexley has one team manager: the next holder by the 8.1 rule is nobody, so their manager takes it."""
    away(people)
    travel(at(2026, 11, 12, 7, 0))
    deadlines_sweep()
    esc = Escalation.objects.get(pk=held.pk)
    assert esc.holder == people["bexley-service-manager"]
    [entry] = hand_overs(esc)
    assert entry.params["cover"] is False and entry.params["to"] == "bexley-service-manager"


@pytest.mark.django_db
def test_a_cover_who_may_not_hold_the_stage_is_passed_over_for_the_next_holder(held, people, second_tm, travel):
    away(people, cover=UserFactory(organisation=second_tm.organisation, role=Role.SOCIAL_WORKER))
    travel(at(2026, 11, 12, 7, 0))
    deadlines_sweep()
    esc = Escalation.objects.get(pk=held.pk)
    assert esc.holder == second_tm
    assert hand_overs(esc)[0].params["cover"] is False


@pytest.mark.django_db
def test_an_absence_that_has_not_begun_or_has_ended_moves_nothing(held, people, second_tm, travel):
    away(people, cover=second_tm, starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 11, 9))
    away(people, cover=second_tm, starts_on=dt.date(2026, 11, 13), ends_on=dt.date(2026, 11, 13))
    travel(at(2026, 11, 12, 9, 0))
    assert absences_begin(now=at(2026, 11, 12, 9, 0)) == []
    assert Escalation.objects.get(pk=held.pk).holder == people["bexley-team-manager"]


@pytest.mark.django_db
def test_a_closed_escalation_stays_with_its_holder(held, people, second_tm, travel):
    from escalations import services

    services.escalation_withdraw(escalation=held, actor=people["bexley-practitioner"], reason="Settled.")
    away(people, cover=second_tm)
    travel(at(2026, 11, 12, 7, 0))
    lines = absences_begin(now=at(2026, 11, 12, 7, 0))
    assert [outcome for outcome, _ in lines] == ["absence began: no live stage to pass on"]
    assert Escalation.objects.get(pk=held.pk).holder == people["bexley-team-manager"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_hand_over_once(raise_escalation, people, travel):
    travel(RAISED)
    escalations = [raise_escalation("bexley-practitioner", "bexley-internal") for _ in range(6)]
    tm = people["bexley-team-manager"]
    cover = UserFactory(username="bexley-team-manager-2", organisation=tm.organisation, role=Role.TEAM_MANAGER)
    Absence.objects.create(person=tm, starts_on=FIRST_DAY, ends_on=FIRST_DAY, cover=cover, recorded_by=tm)
    now = at(2026, 11, 12, 0, 1)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(absences_begin(now=now))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 6]
    for esc in escalations:
        esc = Escalation.objects.get(pk=esc.pk)
        assert esc.holder == cover and len(hand_overs(esc)) == 1
    assert Notification.objects.filter(kind=Kind.REASSIGNED, recipient=cover).count() == 6


@pytest.mark.django_db
def test_the_beat_task_passes_the_stage_on_and_says_so(held, people, second_tm, travel):
    from deadlines.tasks import sweep_deadlines

    away(people, cover=second_tm)
    travel(at(2026, 11, 12, 0, 1))
    assert f"{HANDED_OVER}: 1" in sweep_deadlines()
    assert Escalation.objects.get(pk=held.pk).holder == second_tm


@pytest.mark.django_db
def test_an_absence_that_cannot_be_handed_over_does_not_stop_the_clock(held, people, second_tm, travel,
                                                                       monkeypatch, caplog):
    from deadlines import absences

    absence = away(people, cover=second_tm)

    def broken(**kwargs):
        raise RuntimeError("broken")

    monkeypatch.setattr(absences, "escalations_hand_over", broken)
    travel(at(2026, 11, 12, 7, 0))  # the team manager's deadline (Wednesday 17:00) has passed too
    result = deadlines_sweep()
    assert result.counts[absences.FAILED] == 1 and result.counts["deadline missed: notified"] == 1
    absence.refresh_from_db()
    assert absence.handed_over_at is None  # the claim rolled back: the next sweep tries again
    monkeypatch.undo()
    assert deadlines_sweep().counts[HANDED_OVER] == 1
