"""Two people acting on one escalation at the same moment: exactly one wins, the other gets a 409.

Real row locks are needed, so these run on PostgreSQL only (SQLite serialises whole-database writes
and has no SELECT ... FOR UPDATE).
"""
import threading

import pytest

from escalations import services
from escalations.models import Escalation
from escalations.services import ActionConflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls in threads released together; return each one's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome is what the test inspects
            outcomes[index] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a transition hung"
    return outcomes


def assert_one_winner(outcomes):
    winners = [o for o in outcomes if isinstance(o, Escalation)]
    losers = [o for o in outcomes if isinstance(o, ActionConflict)]
    assert (len(winners), len(losers)) == (1, 1), outcomes
    return winners[0]


def test_two_escalations_on_the_same_version_yield_one_climb(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    version = esc.version
    outcomes = race(
        lambda: services.escalation_escalate(escalation=esc.pk, actor=people["bexley-practitioner"],
                                             reason="Unresolved.", expected_version=version),
        lambda: services.escalation_escalate(escalation=esc.pk, actor=people["bexley-psw"],
                                             reason="Unresolved.", expected_version=version),
    )
    assert_one_winner(outcomes)
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.stage_index == 1 and esc.version == version + 1
    assert list(esc.timeline.values_list("action", flat=True)) == ["raise", "escalate"]


def test_respond_and_withdraw_at_once_yield_one_transition(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    version = esc.version
    outcomes = race(
        lambda: services.escalation_respond(escalation=esc.pk, actor=people["bexley-team-manager"],
                                            decision="uphold", rationale="Monitored weekly.",
                                            expected_version=version),
        lambda: services.escalation_withdraw(escalation=esc.pk, actor=people["bexley-practitioner"],
                                             reason="Settled.", expected_version=version),
    )
    winner = assert_one_winner(outcomes)
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.state == winner.state and esc.state in ("responded", "withdrawn")
    assert esc.version == version + 1
    assert esc.timeline.count() == 2


def test_two_responses_without_a_version_still_yield_one_decision(raise_escalation, people):
    """The row lock alone serialises them: the second finds the decision already recorded."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holder = people["bexley-team-manager"]
    outcomes = race(
        lambda: services.escalation_respond(escalation=esc.pk, actor=holder, decision="agree", rationale="A."),
        lambda: services.escalation_respond(escalation=esc.pk, actor=holder, decision="uphold", rationale="B."),
    )
    winner = assert_one_winner(outcomes)
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.decision == winner.decision
    assert list(esc.timeline.values_list("action", flat=True)) == ["raise", "respond"]


def test_two_skips_at_once_yield_one_skip(raise_escalation, people):
    """Stoke's raiser skips to two different later stages at once (two tabs): one skip, one 409."""
    esc = raise_escalation("stoke-crm", "stoke-crm")
    version, raiser = esc.version, people["stoke-crm"]
    outcomes = race(*[
        (lambda stage=stage: services.escalation_skip(escalation=esc.pk, actor=raiser, to_stage=stage,
                                                      reason="Needs a senior decision.", expected_version=version))
        for stage in (2, 3)
    ])
    winner = assert_one_winner(outcomes)
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.stage_index == winner.stage_index in (2, 3) and esc.version == version + 1
    assert list(esc.timeline.values_list("action", flat=True)) == ["raise", "skip"]


# --- through the API: one 200 and one 409, every time ----------------------------------------------------
REPEATS = 5  # each pair raced on this many escalations


def _post(username: str, escalation_id: int, path: str, body: dict) -> int:
    from rest_framework.test import APIClient

    from organisations.models import User

    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client.post(f"/api/v1/escalations/{escalation_id}/{path}/", body, format="json").status_code


RACES = {
    "two responses": ("bexley-internal", [
        ("bexley-team-manager", "respond", {"decision": "agree", "rationale": "A."}),
        ("bexley-team-manager", "respond", {"decision": "uphold", "rationale": "B."}),
    ]),
    "respond and withdraw": ("bexley-internal", [
        ("bexley-team-manager", "respond", {"decision": "uphold", "rationale": "Monitored weekly."}),
        ("bexley-practitioner", "withdraw", {"reason": "Settled."}),
    ]),
    "two skips": ("stoke-crm", [
        ("stoke-crm", "skip", {"to_stage": 2, "reason": "Needs a senior decision."}),
        ("stoke-crm", "skip", {"to_stage": 3, "reason": "Needs the Assistant Director."}),
    ]),
    "two escalations": ("bexley-internal", [
        ("bexley-practitioner", "escalate", {"reason": "Unresolved."}),
        ("bexley-psw", "escalate", {"reason": "Unresolved."}),
    ]),
}


@pytest.mark.parametrize("race_name", sorted(RACES))
def test_two_requests_at_once_through_the_api_answer_one_200_and_one_409(race_name, raise_escalation, monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", "100000/minute")
    ladder, requests = RACES[race_name]
    raiser = {"bexley-internal": "bexley-practitioner", "stoke-crm": "stoke-crm"}[ladder]
    for _ in range(REPEATS):
        esc = raise_escalation(raiser, ladder)
        # Both read the escalation before acting, and send back the version they read.
        statuses = race(*[
            (lambda who=who, path=path, body=body, esc=esc: _post(who, esc.pk, path, {**body, "version": esc.version}))
            for who, path, body in requests
        ])
        assert sorted(statuses) == [200, 409], (race_name, statuses)
        winner = requests[statuses.index(200)]
        after = Escalation.objects.get(pk=esc.pk)
        assert after.version == esc.version + 1
        assert list(after.timeline.values_list("action", flat=True)) == ["raise", winner[1]]


def test_the_clock_and_the_holder_at_once_do_one_thing(raise_escalation, people, travel):
    """A significant-harm deadline passes as the holder responds: either the sweep advances it (and the
    late response is refused, 409) or the response is recorded (and the sweep finds nothing due)."""
    from deadlines.sweep import ADVANCED, deadlines_sweep
    from notifications.models import Kind, Notification
    from tests.conftest import at

    travel(at(2026, 11, 10, 9, 0))
    winners: list[str] = []
    for _ in range(REPEATS):
        esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
        stage = esc.stage_index
        sweep, answer = race(
            lambda: deadlines_sweep(now=at(2026, 11, 10, 17, 1)),
            lambda esc=esc: services.escalation_respond(escalation=esc.pk, actor=esc.holder,
                                                        decision="uphold", rationale="Monitored weekly.",
                                                        expected_version=esc.version),
        )
        assert not isinstance(sweep, Exception), sweep
        after = Escalation.objects.get(pk=esc.pk)
        actions = list(after.timeline.values_list("action", flat=True))
        advanced = Notification.objects.filter(escalation=after, kind=Kind.AUTO_ADVANCED)
        if isinstance(answer, Escalation):
            assert (after.state, after.stage_index, actions) == ("responded", stage, ["raise", "respond"])
            assert sweep.counts.get(ADVANCED, 0) == 0 and not advanced.exists()
            winners.append("respond")
        else:
            assert isinstance(answer, ActionConflict), answer
            assert (after.state, after.stage_index, actions) == ("open", stage + 1, ["raise", "auto_advance"])
            assert sweep.counts[ADVANCED] == 1
            assert advanced.count() == advanced.values("recipient").distinct().count() > 0
            winners.append("sweep")
        # Either way it is not due again this evening: the next round's sweep sees only its own.
