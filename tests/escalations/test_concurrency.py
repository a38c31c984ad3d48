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
