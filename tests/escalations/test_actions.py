"""The action registry: every action is declared once, and everything that offers or takes one reads it.

Each spec has its page URL, its API endpoint and request body, its permission, its transition, its
page form and its service; ``can_proceed`` on its transition is the only "may this happen now",
and the page, the API and the services agree with it; each action writes the timeline entry and
only the notifications its spec declares.
"""
import datetime as dt
import re
from importlib import import_module

import pytest
import rules
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django_fsm import can_proceed

from core.errors import ActionConflict
from escalations import actions, forms, services
from escalations.actions import ACTIONS, InState, logged_as, refusal, shortcuts
from escalations.apis import ACTION_APIS, action_input
from escalations.events import ACTION_LABELS, Action
from escalations.models import Debrief, Escalation, State
from notifications.models import Kind, Notification
from organisations.models import Role, User
from tests.conftest import at
from tests.factories import resolution_panel_for_test

pytestmark = pytest.mark.django_db

NAMES = ["respond", "arrange_meeting", "accept", "escalate", "skip", "reopen", "withdraw", "reassign",
         "start_mediation", "end_mediation", "log_with_board", "add_note"]


def recipient_table() -> dict:
    """The table of who is told of each kind (it moves from notifications/ to escalations/recipients.py)."""
    for module in ("escalations.recipients", "notifications.recipients"):
        try:
            return import_module(module).RECIPIENTS
        except ImportError:
            continue
    raise AssertionError("no recipient table")


# --- each spec is whole ------------------------------------------------------------------------------
def test_the_registry_holds_every_action_once_in_the_page_s_order():
    assert [name for name in ACTIONS if name in NAMES] == NAMES


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_has_a_page_url_named_after_it(name):
    spec = ACTIONS[name]
    url = reverse(f"escalations:{name}", args=[7])
    assert url == f"/escalations/7/{spec.page_path}/"
    match = resolve(url)
    assert match.kwargs == {"pk": 7, "action": name}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_has_an_api_endpoint_with_its_request_body(name):
    spec = ACTIONS[name]
    view = resolve(f"/api/v1/escalations/7/{spec.path}/").func.view_class
    assert view is ACTION_APIS[spec.path] and view.spec is spec
    body = action_input(spec)
    assert body.__name__ == spec.body
    expected = {"version", *spec.body_fields} if spec.versioned else set(spec.body_fields)
    assert set(body().fields) == expected


def test_actions_that_share_a_request_body_ask_for_the_same_inputs():
    by_body: dict[str, set] = {}
    for spec in ACTIONS.values():
        api_side = tuple((i.name, type(i).__name__, getattr(i, "api_help", "")) for i in spec.inputs)
        by_body.setdefault(spec.body, set()).add((api_side, spec.body_fields, spec.versioned))
    assert all(len(shapes) == 1 for shapes in by_body.values()), by_body


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_has_a_permission_and_a_transition(name):
    spec = ACTIONS[name]
    assert spec.permission == f"escalations.{name}" and rules.perm_exists(spec.permission)
    method = getattr(Escalation, name)
    meta = method._django_fsm
    assert {transition.source for transition in meta.transitions.values()} == set(spec.sources)
    for transition in meta.transitions.values():
        assert transition.conditions == spec.conditions


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_names_a_service_its_page_form_and_its_list_words(name):
    spec = ACTIONS[name]
    assert spec.service_function() is getattr(services, spec.service)
    assert spec.service.startswith("escalation_")
    form_class = forms.action_form(name)
    assert form_class.spec is spec
    for spec_input in spec.inputs:
        assert forms._error_field(spec_input) in form_class.base_fields
    assert all([spec.title, spec.button, spec.done, spec.label, spec.summary, spec.description])


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_state_it_does_not_run_from_has_its_refusal(name):
    spec = ACTIONS[name]
    in_state = [check for check in spec.checks if isinstance(check, InState)]
    if "*" in spec.sources:
        assert not in_state
    else:
        assert len(in_state) == 1 and set(spec.sources) < set(State.values)


def test_every_action_writes_its_own_timeline_entry_in_words_of_its_own():
    timelines = [spec.timeline for spec in ACTIONS.values()]
    assert len(set(timelines)) == len(timelines)
    assert not set(timelines) & {Action.RAISE, Action.DEADLINE_MISSED, Action.AUTO_ADVANCE,
                                 Action.OVERALL_DEADLINE_MISSED}
    for spec in ACTIONS.values():
        assert logged_as(spec.timeline) == spec.logged_as
        assert ACTION_LABELS.get(spec.timeline, spec.logged_as) == spec.logged_as


@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_action_tells_people_by_a_row_of_the_recipient_table(name):
    table = recipient_table()
    assert all(kind in Kind.values and kind in table for kind in ACTIONS[name].notifies)


def test_the_lists_offer_the_raiser_s_and_the_holder_s_next_steps():
    assert [name for name in shortcuts("mine") if name in NAMES] == ["accept", "escalate", "reopen", "withdraw"]
    assert [name for name in shortcuts("awaiting") if name in NAMES] == ["respond", "arrange_meeting", "reassign"]


# --- can_proceed is the one answer ---------------------------------------------------------------------
def offered_on_the_page(client, user, escalation) -> set[str]:
    client.force_login(user)
    html = client.get(reverse("escalations:detail", args=[escalation.pk])).content.decode()
    return set(re.findall(r'<details class="govuk-details app-action" id="action-(\w+)"', html))


def test_the_page_and_the_api_offer_exactly_what_can_proceed_and_is_permitted(demo, client):
    """On every demo escalation, for its raiser, its holder and its PSWs."""
    from django.core.cache import cache
    from rest_framework.test import APIClient

    cache.clear()  # the API's throttle counters
    compared = 0
    for escalation in Escalation.objects.with_related().order_by("pk"):
        people = {escalation.raised_by, escalation.holder, *User.objects.filter(
            role=Role.PSW, organisation__in=[escalation.raising_organisation_id, escalation.receiving_organisation_id])}
        for user in filter(None, people):
            expected = {name for name, spec in ACTIONS.items()
                        if can_proceed(getattr(escalation, name)) and user.has_perm(spec.permission, escalation)}
            if Debrief.objects.filter(escalation=escalation, by=user).exists():
                expected.discard("record_debrief")  # one debrief each (001): not offered again
            assert offered_on_the_page(client, user, escalation) == expected, (escalation.pk, user.username)
            reader = APIClient()
            reader.force_authenticate(user)
            allowed = reader.get(f"/api/v1/escalations/{escalation.pk}/").json()["allowed_actions"]
            assert set(allowed) == {ACTIONS[name].path for name in expected}
            compared += 1
    assert compared > 40


def test_a_refusal_is_given_exactly_when_the_transition_cannot_proceed(demo):
    for escalation in Escalation.objects.with_related().prefetch_related("ladder__stages"):
        for name, spec in ACTIONS.items():
            assert (refusal(spec, escalation) is None) == can_proceed(getattr(escalation, name)), (escalation.pk, name)


# --- the refusals keep their words and their order -----------------------------------------------------
@pytest.fixture
def tuesday(travel):
    travel(at(2026, 11, 10, 10, 0))


def test_a_withdrawn_escalation_at_the_last_stage_is_told_it_is_the_last_stage(raise_escalation, people, tuesday):
    """The ladder's end is said before the state, as it always was."""
    esc = raise_escalation("stoke-crm", "stoke-crm")
    for _ in range(4):
        esc = services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Still unsafe.")
    esc = services.escalation_withdraw(escalation=esc, actor=people["stoke-crm"], reason="Settled.")
    with pytest.raises(ActionConflict) as refused:
        services.escalation_escalate(escalation=esc, actor=people["stoke-crm"], reason="Again.")
    assert refused.value.message == "This is the last stage of the procedure: there is nowhere further to escalate."


@pytest.mark.parametrize(("ladder", "raiser", "receiving", "action", "kwargs", "message"), [
    ("bs3-nursery", "bs3-practitioner", "bristol", "skip", {"to_stage": 2, "reason": "x"},
     "BS3 escalation policy does not allow stages to be skipped."),
    ("bexley-internal", "bexley-practitioner", None, "log_with_board", {"reason": "x"},
     "Bexley internal escalation procedure does not log cases with a board."),
    ("bexley-internal", "bexley-practitioner", None, "reopen", {"reason": "x"},
     "Only a resolved escalation can be reopened (it is open)."),
    ("bexley-internal", "bexley-practitioner", None, "accept", {"agreed_outcome": "x", "outstanding_actions": "y"},
     "Only a decision that has been recorded can be accepted (it is open)."),
])
def test_refusals_say_why_in_the_spec_s_words(raise_escalation, people, tuesday, ladder, raiser, receiving, action,
                                              kwargs, message):
    esc = raise_escalation(raiser, ladder, receiving=receiving)
    with pytest.raises(ActionConflict) as refused:
        getattr(services, ACTIONS[action].service)(escalation=esc, actor=people[raiser], **kwargs)
    assert refused.value.message == message


def test_mediation_on_a_single_agency_ladder_is_refused_by_name(raise_escalation, people, tuesday):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ActionConflict) as refused:
        services.escalation_start_mediation(escalation=esc, actor=people["bexley-team-manager"],
                                            mediator=people["bexley-psw"])
    assert refused.value.message == "Bexley internal escalation procedure has no mediation."


def test_skip_is_neither_offered_nor_taken_where_no_stage_is_left_to_skip_to(raise_escalation, people, tuesday):
    """Wiltshire skips only past the next stage: from the senior managers there is none left."""
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    for _ in range(2):
        esc = services.escalation_escalate(escalation=esc, actor=people["puddleducks-practitioner"],
                                           reason="Still unsafe.")
    assert esc.stage_index == 2 and esc.skip_targets() == []
    assert not can_proceed(esc.skip)
    with pytest.raises(ActionConflict) as refused:
        services.escalation_skip(escalation=esc, actor=people["puddleducks-practitioner"], to_stage=3,
                                 reason="Urgent.")
    assert refused.value.message == ("There is no later stage this procedure lets it skip to: to go to the next "
                                     "stage, escalate.")


# --- each action does what its spec says ---------------------------------------------------------------
def _arguments(spec, escalation) -> dict | None:
    """Arguments a person could give, made from the kinds of input the spec declares; None if the
    escalation offers nothing to choose (nobody to reassign to, no stage to skip to)."""
    arguments: dict = {}
    for spec_input in spec.inputs:
        if isinstance(spec_input, actions.Text):
            arguments[spec_input.name] = "Written for the test."
        elif isinstance(spec_input, actions.Choice):
            offered = spec_input.offered(escalation) if spec_input.offered else spec_input.choices
            arguments[spec_input.name] = offered[0][0] if offered else None
        elif isinstance(spec_input, actions.YesNo):
            arguments[spec_input.name] = True
        elif isinstance(spec_input, actions.Person):
            arguments[spec_input.name] = import_string(spec_input.candidates)(escalation=escalation).first()
        elif isinstance(spec_input, actions.People):
            # One candidate of each organisation offered: the raising and receiving ones among them.
            by_organisation: dict = {}
            for person in import_string(spec_input.candidates)(escalation=escalation):
                by_organisation.setdefault(person.organisation_id, person)
            arguments[spec_input.name] = list(by_organisation.values()) or None
        elif isinstance(spec_input, actions.StageChoice):
            stages = spec_input.stages(escalation)
            arguments[spec_input.name] = stages[0].index if stages else None
        elif isinstance(spec_input, actions.Moment):
            arguments[spec_input.name] = timezone.now() + dt.timedelta(hours=1)
        else:
            raise AssertionError(f"no test value for {type(spec_input).__name__}")
    return None if None in arguments.values() else arguments


def _people_around(escalation) -> list[User]:
    psws = User.objects.filter(role=Role.PSW, organisation__in=[escalation.raising_organisation_id,
                                                                escalation.receiving_organisation_id])
    chairs = User.objects.filter(role=Role.QAP_CHAIR, partnership_id=escalation.ladder.partnership_id)
    return [user for user in (escalation.holder, escalation.raised_by, *psws, *chairs) if user is not None]


@pytest.fixture
def cover(demo):
    """A colleague for every holder of the demo data (same organisation, same role): someone to reassign to."""
    from tests.factories import UserFactory

    holders = Escalation.objects.exclude(holder=None).values_list("holder__organisation_id", "holder__role")
    for organisation_id, role in set(holders):
        UserFactory(username=f"cover-{organisation_id}-{role}", organisation_id=organisation_id, role=role)
    resolution_panel_for_test()



@pytest.mark.parametrize("name", list(ACTIONS))
def test_each_action_leaves_its_timeline_entry_and_only_its_notifications(name, cover):
    """Taken once on a demo escalation that allows it, by someone permitted, with inputs of the kinds its
    spec declares: the timeline gains the spec's entry and people get only the spec's kinds of notice."""
    spec = ACTIONS[name]
    for escalation in Escalation.objects.order_by("pk"):
        if not spec.may_proceed(escalation):
            continue
        actor = next((user for user in _people_around(escalation) if user.has_perm(spec.permission, escalation)), None)
        arguments = _arguments(spec, escalation)
        if actor is None or arguments is None:
            continue
        with transaction.atomic():
            told_before = set(Notification.objects.values_list("pk", flat=True))
            spec.service_function()(escalation=Escalation.objects.get(pk=escalation.pk), actor=actor, **arguments)
            entry = escalation.timeline.order_by("pk").last()
            kinds = set(Notification.objects.exclude(pk__in=told_before).values_list("kind", flat=True))
            transaction.set_rollback(True)
        assert (entry.action, entry.actor_id) == (spec.timeline, actor.pk)
        assert kinds <= set(spec.notifies) and bool(kinds) == bool(spec.notifies), (name, kinds)
        return
    pytest.fail(f"no demo escalation lets anyone {name}: the demo data should show every action")
