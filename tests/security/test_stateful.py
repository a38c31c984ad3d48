"""Random sequences of actions, by random people, on one escalation, through the API (the one door).

A hypothesis state machine raises one escalation on one of four ladders, then takes any action of
``escalations.actions.ACTIONS`` as anyone of a cast (the raiser, whoever holds the stage now, the
other holders of the ladder, the PSW, the QA&P chair, a partner, an outsider), with bodies drawn from
valid and invalid values. After every step:

- the state is one of the state machine's, the stage one of the ladder's;
- a successful action moved from one of its source states to one of its targets, and left exactly one
  timeline entry (its own: the action, who, the states before and after); the timeline holds exactly
  one entry per successful action, after the raise;
- a refused action (400, 403, 404, 409) changed nothing: the escalation's row, its participants,
  timeline, notifications, board logs, panel and debriefs are as they were.

Derandomised, with a fixed number of examples and steps, so that CI runs the same sequences each time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone
from django_fsm import ANY_STATE, RETURN_VALUE
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from core.text import TEXT_LIMIT
from escalations import actions
from escalations.actions import ACTIONS
from escalations.models import Escalation, State
from escalations.selectors import escalation_actions_available
from notifications.models import Notification
from organisations.models import User
from tests.factories import raise_for_test

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

# 30 sequences of up to 20 actions each: about 600 requests, in under a minute.
EXAMPLES = 30
STEPS = 20
RUN = settings(max_examples=EXAMPLES, stateful_step_count=STEPS, derandomize=True, database=None, deadline=None,
               suppress_health_check=list(HealthCheck))

HOLDER, RAISER = "(holder)", "(raiser)"


@dataclass(frozen=True)
class Scenario:
    ladder: str
    raiser: str
    receiving: str | None
    cast: tuple[str, ...]  # who else may try to act: parties, overseers, partners and outsiders


SCENARIOS = (
    Scenario("bexley-internal", "bexley-practitioner", None,
             ("bexley-team-manager", "bexley-service-manager", "bexley-head-of-service", "bexley-deputy-director",
              "bexley-psw", "bexley-legal-adviser", "stoke-psw")),
    Scenario("stoke-crm", "stoke-crm", None,
             ("stoke-social-worker", "stoke-team-manager", "stoke-service-manager", "stoke-strategic-manager",
              "stoke-psw", "bexley-psw")),
    Scenario("wiltshire-multi-agency", "puddleducks-practitioner", "wiltshire",
             ("wiltshire-social-worker", "wiltshire-team-manager", "wiltshire-service-manager",
              "puddleducks-designated-safeguarding-lead", "wiltshire-qap-chair", "wiltshire-board-member",
              "bexley-practitioner")),
    Scenario("multi-agency-resolution-panel", "bs3-practitioner", "bristol",
             ("bristol-social-worker", "bristol-team-manager", "bristol-service-manager", "bristol-head-of-service",
              "bristol-qap-chair", "bristol-health-safeguarding-lead", "bs3-designated-safeguarding-lead",
              "wiltshire-qap-chair")),
)

TEXTS = st.sampled_from(["Agreed at the meeting.", "Monitored weekly; reviewed at the next conference.",
                         "Reviewed with the team."])
# Hours from now: the stage's own day, two days on, a month back (before the stage began), past 60 days.
MOMENTS = st.sampled_from([1, 1, 48, 48, -24 * 30, 24 * 61])

# Figures for docs/security.md: how many actions were tried, and how each was answered.
TRIED: dict[str, int] = {}


def snapshot(pk: int) -> dict:
    """Everything an action may write about the escalation."""
    escalation = Escalation.objects.filter(pk=pk)
    return {
        "escalation": escalation.values().get(),
        "participants": list(escalation.get().participants.order_by("pk").values()),
        "timeline": list(escalation.get().timeline.order_by("pk").values()),
        "notifications": list(Notification.objects.filter(escalation_id=pk).order_by("pk").values()),
        "board_logs": list(escalation.get().board_logs.order_by("pk").values()),
        "panel": list(escalation.get().panel_members.order_by("pk").values()),
        "debriefs": list(escalation.get().debriefs.order_by("pk").values()),
    }


def targets(spec: actions.ActionSpec, before: str) -> set[str]:
    if spec.target is None:
        return {before}
    if isinstance(spec.target, RETURN_VALUE):
        return set(spec.target.allowed_states)
    return {spec.target}


class OneEscalation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.people = {user.username: user for user in User.objects.all()}
        self.successes = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    @initialize(scenario=st.sampled_from(SCENARIOS), risk=st.sampled_from(["standard", "significant_harm"]))
    def raise_one(self, scenario: Scenario, risk: str) -> None:
        self.scenario = scenario
        escalation = raise_for_test(people=self.people, username=scenario.raiser, ladder_slug=scenario.ladder,
                                    receiving=scenario.receiving, risk_level=risk)
        self.pk = escalation.pk
        self.stages = escalation.ladder.stages.count()

    def _who(self, index: int) -> User:
        # The holder and the raiser most often (they may take most actions), then anyone of the cast.
        cast = (HOLDER, RAISER, HOLDER, RAISER, HOLDER, *self.scenario.cast)
        name = cast[index % len(cast)]
        escalation = Escalation.objects.get(pk=self.pk)
        if name == HOLDER:
            return escalation.holder or escalation.raised_by
        if name == RAISER:
            return escalation.raised_by
        return self.people[name]

    def _body(self, spec: actions.ActionSpec, data: st.DataObject, version: int) -> dict:
        """A body that is valid in shape, now and then with one field spoilt (left out, empty, too long,
        of the wrong type); whether it is right for the escalation now is the service's question."""
        names = st.sampled_from([*self.scenario.cast, self.scenario.raiser, "nobody-of-that-name"])
        body: dict = {}
        for spec_input in spec.inputs:
            if spec_input.name not in spec.body_fields:
                continue
            if isinstance(spec_input, actions.Text):
                value = data.draw(TEXTS)
            elif isinstance(spec_input, actions.Choice):
                value = data.draw(st.sampled_from([key for key, _ in spec_input.choices]))
            elif isinstance(spec_input, actions.YesNo):
                value = data.draw(st.booleans())
            elif isinstance(spec_input, actions.Person):
                value = data.draw(names)
            elif isinstance(spec_input, actions.People):
                value = data.draw(st.lists(names, min_size=3, max_size=5, unique=True))
            elif isinstance(spec_input, actions.StageChoice):
                value = data.draw(st.integers(min_value=0, max_value=5))
            elif isinstance(spec_input, actions.Moment):
                value = (timezone.now() + dt.timedelta(hours=data.draw(MOMENTS))).isoformat()
            else:
                raise AssertionError(f"no values drawn for {type(spec_input).__name__}")
            body[spec_input.name] = value
        if body and data.draw(st.integers(min_value=0, max_value=5)) == 0:
            field = data.draw(st.sampled_from(sorted(body)))
            spoilt = data.draw(st.sampled_from([None, "", "   ", "x" * (TEXT_LIMIT + 1), 7, ["a"], "unknown"]))
            if spoilt is None:
                del body[field]
            elif spoilt == "unknown":
                body["unexpected"] = "field"
            else:
                body[field] = spoilt
        if spec.versioned:
            # Mostly the version read; sometimes none (the version at arrival), sometimes a stale one.
            choice = data.draw(st.sampled_from(["read", "read", "read", "read", "none", "stale"]))
            if choice != "none":
                body["version"] = version if choice == "read" else max(version - 1, 1)
        return body

    @rule(name=st.sampled_from(sorted(ACTIONS)), who=st.integers(min_value=0, max_value=30), data=st.data())
    def act(self, name: str, who: int, data: st.DataObject) -> None:
        """Any action, by anyone of the cast."""
        self._try(name, self._who(who), data)

    @rule(who=st.integers(min_value=0, max_value=30), data=st.data())
    def act_as_offered(self, who: int, data: st.DataObject) -> None:
        """One of the actions the pages offer this person now (so that sequences reach the later states)."""
        actor = self._who(who)
        offered = [spec.name for spec in escalation_actions_available(user=actor,
                                                                      escalation=Escalation.objects.get(pk=self.pk))]
        if offered:
            self._try(data.draw(st.sampled_from(offered)), actor, data)

    def _try(self, name: str, actor: User, data: st.DataObject) -> None:
        spec = ACTIONS[name]
        before = snapshot(self.pk)
        body = self._body(spec, data, before["escalation"]["version"])
        client = APIClient()
        client.force_authenticate(actor)
        response = client.post(f"/api/v1/escalations/{self.pk}/{spec.path}/", body, format="json")
        TRIED[str(response.status_code)] = TRIED.get(str(response.status_code), 0) + 1
        after = snapshot(self.pk)
        assert response.status_code in (200, 400, 403, 404, 409), (name, actor.username, body, response.content)
        assert response["Content-Type"] == "application/json"
        if response.status_code != 200:
            assert after == before, (name, actor.username, body, response.status_code, response.content)
            return
        self.successes += 1
        from_state, to_state = before["escalation"]["state"], after["escalation"]["state"]
        assert ANY_STATE in spec.sources or from_state in spec.sources, (name, from_state)
        assert to_state in targets(spec, from_state), (name, from_state, to_state)
        assert response.json()["state"] == to_state
        new = after["timeline"][len(before["timeline"]):]
        assert after["timeline"][:len(before["timeline"])] == before["timeline"], "the timeline was rewritten"
        assert len(new) == 1, (name, new)
        assert (new[0]["action"], new[0]["actor_id"], new[0]["from_state"], new[0]["to_state"]) == (
            spec.timeline, actor.pk, from_state, to_state)

    @invariant()
    def the_state_and_stage_are_the_machine_s(self) -> None:
        if not hasattr(self, "pk"):
            return
        escalation = Escalation.objects.get(pk=self.pk)
        assert escalation.state in State.values
        assert 0 <= escalation.stage_index < self.stages
        if escalation.state == State.RESOLVED:
            assert escalation.resolved_at is not None

    @invariant()
    def one_timeline_entry_per_successful_action(self) -> None:
        if not hasattr(self, "pk"):
            return
        actions_taken = list(Escalation.objects.get(pk=self.pk).timeline.order_by("at", "pk")
                             .values_list("action", flat=True))
        assert actions_taken[0] == "raise"
        assert len(actions_taken) == 1 + self.successes, actions_taken


def test_random_actions_by_random_people_keep_the_escalation_whole(monkeypatch):
    # Thousands of requests as a handful of people: the throttles are tested elsewhere.
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", "1000000/minute")
    TRIED.clear()
    run_state_machine_as_test(OneEscalation, settings=RUN)
    tried = sum(TRIED.values())
    print(f"\nstateful run: {tried} actions tried in {EXAMPLES} sequences of up to {STEPS}; answers: "
          + ", ".join(f"{code}: {count}" for code, count in sorted(TRIED.items())))
    # The run reaches both sides: actions taken and actions refused, for each reason.
    assert TRIED.get("200", 0) >= 80 and {"400", "403", "409"} <= set(TRIED), TRIED
