"""The actions on an escalation: one declaration each, read by everything that offers or takes one.

Each action is declared once, by ``@action`` on its django-fsm transition: its paths, who may take
it (a ``rules`` predicate), the states it runs from and the ladder's preconditions (the transition's
``conditions=``, each with the refusal a person reads), the inputs it asks for, the service that takes
it, the words of the pages and the API documentation, and the timeline entry and notifications it
leaves. Nothing else names an action: the permissions (``rules.action_permissions_add``), what the
escalation page offers, its forms (``forms.action_form``), the lists' shortcuts, the URLs, the API
endpoints and their request bodies (``apis.action_input``) are all built from ``ACTIONS``.

``Escalation`` inherits the transitions from ``EscalationActions``, so that an action's spec and its
transition are one declaration and ``can_proceed(escalation.<name>)`` alone answers "may this happen
now"; ``refusal`` says why not. Transitions change state in memory only, with no side effects; the
service is the one door that checks permission, fires the transition and saves (STYLE 2, 3).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django_fsm import ANY_STATE, RETURN_VALUE, can_proceed, transition
from rules import Predicate

from notifications.models import Kind

from .rules import (
    can_view,
    holds_stage,
    is_board_member,
    is_holder,
    is_participant,
    is_party,
    is_psw_for,
    is_qap_chair_for,
    is_raiser,
    manages_holder,
    may_skip,
)
from .states import LIVE_STATES, Decision, State

if TYPE_CHECKING:
    from organisations.models import User
    from policies.models import Stage

    from .models import Escalation

# Words that depend on the escalation (a label naming the next stage): a text, or a function giving it.
Words = str | Callable[["Escalation"], str]


# --- what an action asks for ---------------------------------------------------------------------------
# Each kind of input is shown on the page by ``forms.action_form`` and read from a request body by
# ``apis.action_input``; a new action composes these, and only a new kind of input touches those two.
@dataclass(frozen=True)
class Text:
    """Free text of up to ``core.text.TEXT_LIMIT`` characters: a textarea on the page."""

    name: str
    label: Words
    required: str  # what the page says when it is left empty
    hint: Words = ""
    rows: int = 4
    noun: str = ""  # how the too-long message names it; by default the label without its question mark
    api_help: str = ""
    optional: bool = False  # may be left empty (the service says when it is needed after all)
    shown: Callable[[Escalation], bool] | None = None  # asked on the page only where this holds




@dataclass(frozen=True)
class Choice:
    """One of fixed choices: radios on the page, the value as text in the API."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...]
    required: str
    hint: Words = ""
    default: str = ""  # the API's value where the body leaves it out ("": the body must give it)
    # The choices the page offers for this escalation (those still open); by default all of them.
    offered: Callable[[Escalation], tuple[tuple[str, str], ...]] | None = None


@dataclass(frozen=True)
class YesNo:
    """Yes or no: two radios on the page, ``true`` or ``false`` in the API."""

    name: str
    label: str
    yes: str
    no: str
    required: str
    api_help: str = ""


@dataclass(frozen=True)
class Person:
    """An active person: a select of the candidates on the page, a username in the API."""

    name: str
    label: str
    empty_label: str
    required: str
    invalid: str
    candidates: str  # the dotted path of a selector taking ``escalation=`` and returning users
    hint: str = ""
    api_help: str = ""
    optional: bool = False  # may be left out: the service then chooses (the holder rule, CONTRACT 8.1)


@dataclass(frozen=True)
class People:
    """Several active people: checkboxes of the candidates on the page, a list of usernames in the API."""

    name: str
    label: str
    required: str
    invalid: str
    candidates: str  # the dotted path of a selector taking ``escalation=`` and returning users
    hint: str = ""
    api_help: str = ""


@dataclass(frozen=True)
class StageChoice:
    """A stage of the ladder: radios of the stages offered on the page, its index in the API."""

    name: str
    label: str
    required: str
    invalid: str
    stages: Callable[[Escalation], list[Stage]]
    api_help: str = ""


@dataclass(frozen=True)
class Moment:
    """A date and time: a GOV.UK date input and a time on the page, ISO 8601 in the API."""

    name: str
    prefix: str  # the page's fields: <prefix>_day, <prefix>_month, <prefix>_year and <prefix>_time
    what: str  # "the meeting": the words of the legend and of the messages
    api_help: str = ""


Input = Text | Choice | YesNo | Person | People | StageChoice | Moment


# --- when an action may happen -------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition:
    """A ladder precondition (pure: it reads the escalation and changes nothing) and the refusal when it fails.

    A refusal may name ``{state}``, ``{ladder}`` and ``{next_stage}``.
    """

    test: Callable[[Escalation], bool]
    refusal: str


@dataclass(frozen=True)
class InState:
    """The refusal when the escalation is in a state the transition does not run from; its place among
    the conditions is the order a person is told."""

    refusal: str


Check = Condition | InState


# --- the spec ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionSpec:
    """Everything about one action; ``name`` is its transition, its permission and its page form's prefix."""

    name: str
    who: Predicate  # who may take it (``escalations.<name>``); the state and ladder are the checks' question
    source: tuple[str, ...] | str  # the states it runs from; ANY_STATE ("*") for any
    target: Any  # the state it leads to: a State, RETURN_VALUE(...), or None for "unchanged"
    checks: tuple[Check, ...]
    inputs: tuple[Input, ...]
    service: str  # the function in escalations.services that takes it
    title: str  # the page's heading of its form
    button: str
    done: str  # the banner after it is done
    label: str  # its shortcut on a list
    summary: str  # the API documentation
    description: str
    body: str  # the name of its API request body; actions with the same inputs share one
    timeline: str  # the action of the timeline entry it writes
    logged_as: str  # the words of that entry on the timeline
    notifies: tuple[str, ...]  # the notification kinds it may create (``notifications.models.Kind``)
    path: str = ""  # POST /api/v1/escalations/{id}/<path>/; by default the name with hyphens
    page_path: str = ""  # POST /escalations/<pk>/<page_path>/ (URL name escalations:<name>); by default the path
    body_order: tuple[str, ...] = ()  # the order of the request body's fields, where it is not the page's
    lists: tuple[str, ...] = ()  # the lists that offer it as a shortcut: "mine", "awaiting"
    button_style: str = ""  # "warning" or "secondary"
    versioned: bool = True  # refused (409) if the escalation changed since the version the person read

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", self.name.replace("_", "-"))
        if not self.page_path:
            object.__setattr__(self, "page_path", self.path)

    @property
    def permission(self) -> str:
        return f"escalations.{self.name}"

    @property
    def conditions(self) -> list[Callable[[Any], bool]]:
        return [check.test for check in self.checks if isinstance(check, Condition)]

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else self.source

    @property
    def body_fields(self) -> tuple[str, ...]:
        return self.body_order or tuple(spec_input.name for spec_input in self.inputs)

    def service_function(self) -> Callable[..., Escalation]:
        """The service, imported when first called (the services import the model, which imports this)."""
        return getattr(import_module("escalations.services"), self.service)

    def may_proceed(self, escalation: Escalation) -> bool:
        """Whether the state and the ladder allow it now (who may is the permission's question)."""
        return can_proceed(getattr(escalation, self.name))


ACTIONS: dict[str, ActionSpec] = {}


def action(**declaration: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an action on its transition: register its spec and make the method a django-fsm transition."""

    def declare(method: Callable[..., Any]) -> Callable[..., Any]:
        spec = ActionSpec(name=method.__name__, **declaration)
        if spec.name in ACTIONS:
            raise ValueError(f"the action {spec.name!r} is declared twice")
        ACTIONS[spec.name] = spec
        source = spec.source if isinstance(spec.source, str) else list(spec.source)
        return transition(field="state", source=source, target=spec.target, conditions=spec.conditions)(method)

    return declare


def refusal(spec: ActionSpec, escalation: Escalation) -> str | None:
    """Why the action may not happen now, in the words of its first failing check; None if it may."""
    if spec.may_proceed(escalation):
        return None
    in_state = ANY_STATE in spec.sources or escalation.state in spec.sources
    for check in spec.checks:
        failed = not in_state if isinstance(check, InState) else not check.test(escalation)
        if failed:
            return check.refusal.format(**_refusal_words(escalation))
    return f"This cannot be done while the escalation is {escalation.get_state_display().lower()}."


def _refusal_words(escalation: Escalation) -> dict[str, str]:
    nxt = escalation.next_stage_index()
    return {
        "state": escalation.get_state_display().lower(),
        "ladder": escalation.ladder.name,
        "next_stage": escalation.ladder.stage(nxt).name if nxt is not None else "",
    }


def logged_as(timeline_action: str) -> str | None:
    """The words of an action's timeline entry; None for entries no action writes (the raise, the clock's)."""
    for spec in ACTIONS.values():
        if spec.timeline == timeline_action:
            return spec.logged_as
    return None


def shortcuts(list_name: str) -> tuple[str, ...]:
    """The actions a list offers as shortcuts on each row, in the registry's order."""
    return tuple(name for name, spec in ACTIONS.items() if list_name in spec.lists)


# --- the ladder's preconditions (pure) -----------------------------------------------------------------
def has_next_stage(escalation: Escalation) -> bool:
    return escalation.next_stage_index() is not None


def not_anonymised(escalation: Escalation) -> bool:
    """Not yet anonymised by the retention period (``escalations.retention``): after it, nothing is added."""
    return escalation.anonymised_at is None


# The refusal once the retention period has erased an escalation's text: it is a record of counts now.
ANONYMISED = Condition(not_anonymised, "Its retention period has passed and its details are erased: it can no "
                                       "longer be changed or added to.")


def exceptional_only_after_final_decision(escalation: Escalation) -> bool:
    """Bexley 3.6: an exceptional stage is reached only after the final decision, where concerns remain."""
    nxt = escalation.next_stage_index()
    if nxt is None or not escalation.ladder.stage(nxt).exceptional:
        return True
    return escalation.stage.final and escalation.state in (State.RESPONDED, State.RESOLVED)


def resolved_only_into_exceptional(escalation: Escalation) -> bool:
    """A resolved escalation climbs only into an exceptional stage; otherwise it is reopened."""
    nxt = escalation.next_stage_index()
    if nxt is None or escalation.ladder.stage(nxt).exceptional:
        return True
    return escalation.state != State.RESOLVED


def skip_allowed(escalation: Escalation) -> bool:
    return escalation.ladder.skip_allowed


def has_skip_targets(escalation: Escalation) -> bool:
    return bool(escalation.skip_targets())


def mediation_allowed(escalation: Escalation) -> bool:
    return escalation.ladder.mediation_allowed


def board_logging_allowed(escalation: Escalation) -> bool:
    return escalation.ladder.board_logging_allowed


def board_log_kinds_left(escalation: Escalation) -> tuple[tuple[str, str], ...]:
    """The kinds of board log not yet recorded (Wiltshire 3a, 3b: each once)."""
    from .models import BoardLogKind

    logged = {log.kind for log in escalation.board_logs.all()}
    return tuple((value, label) for value, label in BoardLogKind.choices if value not in logged)


def not_yet_logged_with_board(escalation: Escalation) -> bool:
    """Some kind of board log is still to be recorded."""
    return bool(board_log_kinds_left(escalation))


def at_panel_stage(escalation: Escalation) -> bool:
    """The stage is a resolution panel's: held by the partnership's QA&P chair (001)."""
    return escalation.stage.panel


def panel_not_convened(escalation: Escalation) -> bool:
    return not escalation.panel_members.exists()


# --- words that name the next stage --------------------------------------------------------------------
def _escalate_reason_label(escalation: Escalation) -> str:
    nxt = escalation.next_stage_index()
    if nxt is None:
        return "Why are you escalating it?"
    return f"Why are you escalating it to {escalation.ladder.stage(nxt).name}?"


def _escalate_reason_hint(escalation: Escalation) -> str:
    nxt = escalation.next_stage_index()
    if nxt is not None and escalation.ladder.stage(nxt).exceptional:
        return "This stage is exceptional: say what significant concerns for the child remain after the final decision."
    return ""


def _final_stage_hint(escalation: Escalation) -> str:
    return "This is the final stage: upholding the decision ends the escalation." if escalation.stage.final else ""


def _at_final_stage(escalation: Escalation) -> bool:
    return escalation.stage.final


def _reason(label: str, required: str) -> Text:
    return Text("reason", label, required, noun="Reason")


def _holder_choice(candidates: str) -> Person:
    """Who should hold the stage it goes to: optional, the holder rule chooses otherwise (CONTRACT 8.1, 8.7)."""
    return Person("holder", "Who should hold it? (optional)", "Leave it to the procedure",
                  "Choose who should hold it", "Choose one of the people listed", candidates=candidates,
                  hint="Leave it to the procedure to give it to the nearest manager with the stage's role, or "
                       "choose someone who may hold it.",
                  api_help="Optional: the username of the person who should hold the stage; by default the "
                           "holder rule's choice.", optional=True)


# --- the actions, in the order the escalation page offers them -----------------------------------------
class EscalationActions:
    """The escalation's transitions, one per action, each declared with its spec; ``Escalation`` inherits them."""

    if TYPE_CHECKING:  # the model's fields the transitions set, as the model declares them
        stage_index: int
        holder: User | None
        meeting_at: dt.datetime | None
        decision: str
        rationale: str
        agreed_outcome: str
        outstanding_actions: str
        mediator: User | None
        board_logged_at: dt.datetime | None
        resolved_at: dt.datetime | None
        closed_at: dt.datetime | None
        times_reopened: int

    @action(
        who=holds_stage,
        source=(State.OPEN, State.MEETING_ARRANGED), target=RETURN_VALUE(State.RESPONDED, State.RESOLVED),
        checks=(InState("A decision can be recorded only while the escalation awaits one (it is {state})."),),
        inputs=(
            Choice("decision", "Your decision", tuple(Decision.choices),
                   "Choose whether you agree with the challenge or uphold the decision", hint=_final_stage_hint),
            Text("rationale", "Your rationale", "Enter the rationale for your decision",
                 hint="It is recorded in writing and shared with the person who raised it.", rows=5),
            Text("outstanding_actions", "If you uphold the decision, how will outstanding issues be pursued?",
                 "Enter how outstanding issues will be pursued", hint="Who does what, and by when. Upholding the "
                 "decision at this final stage ends the escalation, so it is needed then.",
                 optional=True, shown=_at_final_stage,
                 api_help="How outstanding issues will be pursued: required when `uphold` at a final stage ends "
                          "the escalation."),
        ),
        service="escalation_respond",
        title="Record your decision", button="Record decision", done="Your decision is recorded.",
        label="Record a decision", lists=("awaiting",),
        summary="Record a decision",
        description="The holder agrees with the challenge or upholds the decision, with the rationale: → responded; "
                    "an upheld decision at a final stage resolves it, and then says how outstanding issues will be "
                    "pursued (`outstanding_actions`).",
        body="RespondInput", timeline="respond", logged_as="Decision recorded",
        notifies=(Kind.RESPONSE_RECORDED, Kind.RESOLVED),
    )
    def respond(self: Escalation, *, decision: str, rationale: str, now: dt.datetime,
                outstanding_actions: str = "") -> str:
        self.decision, self.rationale = decision, rationale
        if decision == Decision.UPHOLD and self.stage.final:
            # The written confirmation (001, 004): the final decision is the outcome.
            self.agreed_outcome, self.outstanding_actions = rationale, outstanding_actions
            self.resolved_at = self.closed_at = now
            return State.RESOLVED
        return State.RESPONDED

    @action(
        who=holds_stage,
        source=(State.OPEN,), target=State.MEETING_ARRANGED,
        checks=(InState("A meeting can be arranged only while the escalation is open (it is {state})."),),
        inputs=(Moment("meeting_at", prefix="meeting", what="the meeting",
                       api_help="ISO 8601; without an offset it is read as London time."),),
        service="escalation_arrange_meeting",
        title="Arrange a meeting", button="Arrange meeting", done="The meeting is arranged.",
        label="Arrange a meeting", lists=("awaiting",),
        summary="Arrange a meeting",
        description="The holder arranges a meeting: open → meeting_arranged. The meeting is no earlier than the "
                    "start of the stage and no more than 60 days ahead. A meeting arranged in time, for a moment "
                    "before the stage deadline, stops the missed-deadline rule. The parties are e-mailed a "
                    "calendar invitation.",
        body="ArrangeMeetingInput", timeline="arrange_meeting", logged_as="Meeting arranged",
        notifies=(Kind.MEETING_ARRANGED,),
    )
    def arrange_meeting(self: Escalation, *, meeting_at: dt.datetime) -> None:
        self.meeting_at = meeting_at

    @action(
        who=holds_stage,
        source=(State.MEETING_ARRANGED,), target=State.MEETING_ARRANGED,
        checks=(InState("Only an arranged meeting can be moved (the escalation is {state})."),),
        inputs=(Moment("meeting_at", prefix="meeting", what="the meeting",
                       api_help="ISO 8601; without an offset it is read as London time."),),
        service="escalation_move_meeting",
        title="Move the meeting", button="Move meeting", done="The meeting is moved.", label="Move the meeting",
        summary="Move the meeting",
        description="The holder moves the stage's meeting to another time: meeting_arranged → meeting_arranged, "
                    "with the same bounds as arranging it. The parties' calendars get an update of the same "
                    "invitation.",
        body="ArrangeMeetingInput", timeline="move_meeting", logged_as="Meeting moved",
        notifies=(Kind.MEETING_ARRANGED,),
    )
    def move_meeting(self: Escalation, *, meeting_at: dt.datetime) -> None:
        self.meeting_at = meeting_at

    @action(
        who=is_raiser | is_psw_for,
        source=(State.RESPONDED,), target=State.RESOLVED,
        checks=(InState("Only a decision that has been recorded can be accepted (it is {state})."),),
        inputs=(
            Text("agreed_outcome", "The agreed outcome", "Enter the agreed outcome"),
            Text("outstanding_actions", "How will outstanding issues be pursued?",
                 "Enter how outstanding issues will be pursued", hint="Who does what, and by when.",
                 api_help="How outstanding issues will be pursued."),
        ),
        service="escalation_accept",
        title="Accept the outcome", button="Accept and resolve",
        done="The outcome is accepted and the escalation is resolved.", label="Accept the outcome", lists=("mine",),
        summary="Accept the outcome",
        description="The raiser (or the PSW) accepts the decision recorded: responded → resolved, with the agreed "
                    "outcome and how outstanding issues will be pursued.",
        body="AcceptInput", timeline="accept", logged_as="Outcome accepted", notifies=(Kind.RESOLVED,),
    )
    def accept(self: Escalation, *, agreed_outcome: str, outstanding_actions: str, now: dt.datetime) -> None:
        self.agreed_outcome, self.outstanding_actions = agreed_outcome, outstanding_actions
        self.resolved_at = self.closed_at = now

    @action(
        who=is_raiser | is_psw_for,
        source=(State.OPEN, State.MEETING_ARRANGED, State.RESPONDED, State.RESOLVED), target=State.OPEN,
        checks=(
            Condition(has_next_stage, "This is the last stage of the procedure: there is nowhere further to escalate."),
            InState("An escalation that is {state} cannot be escalated."),
            Condition(exceptional_only_after_final_decision,
                      "'{next_stage}' is exceptional: it is reached only after the final decision, where significant "
                      "concerns for the child remain."),
            Condition(resolved_only_into_exceptional, "A resolved escalation can be reopened, not escalated."),
            ANONYMISED,
        ),
        inputs=(Text("reason", _escalate_reason_label, "Enter why you are escalating it", hint=_escalate_reason_hint,
                     noun="Reason"),
                _holder_choice("escalations.selectors.escalate_holder_candidates")),
        service="escalation_escalate",
        title="Escalate to the next stage", button="Escalate", done="It is escalated to the next stage.",
        label="Escalate", lists=("mine",),
        summary="Escalate to the next stage",
        description="The raiser (or the PSW) climbs to the next stage of the category's route: open again with its "
                    "holder (the one named in `holder`, where eligible) and deadline. From resolved only into an "
                    "exceptional stage; never past the last stage.",
        body="EscalateInput", timeline="escalate", logged_as="Escalated", notifies=(Kind.STAGE_ESCALATED,),
    )
    def escalate(self: Escalation, *, to_stage: int) -> None:
        self.stage_index = to_stage
        self.resolved_at = self.closed_at = None

    @action(
        who=may_skip,
        source=(State.OPEN, State.MEETING_ARRANGED, State.RESPONDED), target=State.OPEN,
        checks=(
            Condition(skip_allowed, "{ladder} does not allow stages to be skipped."),
            InState("An escalation that is {state} cannot skip a stage."),
            Condition(has_skip_targets, "There is no later stage this procedure lets it skip to: to go to the next "
                                        "stage, escalate."),
        ),
        inputs=(
            StageChoice("to_stage", "Which stage should it go to?", "Choose the stage to go to",
                        "Choose one of the stages listed", stages=lambda escalation: escalation.skip_targets(),
                        api_help="The index of a later stage the ladder lets a skip reach (after the next one, "
                                 "unless the ladder allows the next one too)."),
            Text("reason", "Why are you skipping stages?", "Enter why you are skipping stages",
                 hint="The procedure requires a recorded reason."),
            _holder_choice("escalations.selectors.skip_holder_candidates"),
        ),
        service="escalation_skip",
        title="Skip to a later stage", button="Skip to this stage", done="It has moved to the stage you chose.",
        label="Skip to a later stage",
        summary="Skip to a later stage",
        description="Where the ladder allows it, go straight to a later stage, with a reason: the raiser (Stoke: "
                    "any later stage, the next one included); on Bexley's ladder only the PSW, to the Deputy "
                    "Director or the Director (4.5).",
        body="SkipInput", body_order=("reason", "to_stage", "holder"), timeline="skip", logged_as="Stage skipped",
        notifies=(Kind.STAGE_ESCALATED,),
    )
    def skip(self: Escalation, *, to_stage: int) -> None:
        self.stage_index = to_stage

    @action(
        who=is_raiser | is_psw_for,
        source=(State.RESOLVED,), target=State.OPEN,
        checks=(
            InState("Only a resolved escalation can be reopened (it is {state})."),
            Condition(has_next_stage,
                      "This escalation was resolved at the last stage: there is no higher level to reopen it at."),
            ANONYMISED,
        ),
        inputs=(_reason("Why are you reopening it?", "Enter why you are reopening it"),),
        service="escalation_reopen",
        title="Reopen", button="Reopen", done="It is reopened at the next stage.", label="Reopen", lists=("mine",),
        summary="Reopen",
        description="The raiser (or the PSW) reopens a resolved escalation at the next stage (a decision overturned "
                    "higher up).",
        body="ReasonInput", timeline="reopen", logged_as="Reopened", notifies=(Kind.REOPENED,),
    )
    def reopen(self: Escalation, *, to_stage: int) -> None:
        self.stage_index = to_stage
        self.resolved_at = self.closed_at = None
        self.times_reopened += 1

    @action(
        who=is_raiser,
        source=LIVE_STATES, target=State.WITHDRAWN,
        checks=(InState("An escalation that is {state} cannot be withdrawn."),),
        inputs=(_reason("Why are you withdrawing it?", "Enter why you are withdrawing it"),),
        service="escalation_withdraw",
        title="Withdraw", button="Withdraw", done="It is withdrawn.", label="Withdraw", lists=("mine",),
        button_style="warning",
        summary="Withdraw", description="The raiser withdraws a live escalation: → withdrawn.",
        body="ReasonInput", timeline="withdraw", logged_as="Withdrawn", notifies=(Kind.WITHDRAWN,),
    )
    def withdraw(self: Escalation, *, now: dt.datetime) -> None:
        self.closed_at = now

    @action(
        who=is_holder | manages_holder | is_psw_for,
        source=LIVE_STATES, target=None,
        checks=(InState("Only a live escalation can be reassigned."),),
        inputs=(
            Person("new_holder", "Who will hold it?", "Choose a person", "Choose who will hold it",
                   "Choose one of the people listed", candidates="escalations.selectors.reassign_candidates",
                   api_help="The username of the person who takes the stage over."),
            Text("reason", "Why is it reassigned?", "Enter why it is reassigned",
                 hint="For example, annual leave or sickness. The deadline does not change.", rows=3),
        ),
        service="escalation_reassign",
        title="Reassign for absence cover", button="Reassign", done="It is reassigned.",
        label="Reassign for absence cover", lists=("awaiting",), button_style="secondary",
        summary="Reassign the stage",
        description="The holder, their manager or a PSW gives the stage to another holder of its role (absence "
                    "cover); the deadline stays.",
        body="ReassignInput", body_order=("reason", "new_holder"), timeline="reassign", logged_as="Reassigned",
        notifies=(Kind.REASSIGNED,),
    )
    def reassign(self: Escalation, *, new_holder: User) -> None:
        self.holder = new_holder

    @action(
        who=is_holder | is_psw_for | is_qap_chair_for,
        source=(State.OPEN, State.MEETING_ARRANGED, State.RESPONDED), target=State.IN_MEDIATION,
        checks=(
            Condition(mediation_allowed, "{ladder} has no mediation."),
            InState("Mediation cannot start while the escalation is {state}."),
        ),
        inputs=(Person("mediator", "Who will mediate?", "Choose a mediator", "Choose a mediator",
                       "Choose one of the people listed", candidates="escalations.selectors.mediator_candidates",
                       hint="The partnership's QA&P chair, or someone from another organisation of the partnership. "
                            "The mediator is never the decision maker: never the person who raised it or anyone who "
                            "has held it.",
                       api_help="The mediator's username: the partnership's QA&P chair, or an active member of "
                                "another organisation of the partnership (neither raising nor receiving); never the "
                                "raiser or a present or past holder."),),
        service="escalation_start_mediation",
        title="Start mediation", button="Start mediation", done="Mediation has started.", label="Start mediation",
        summary="Start mediation",
        description="Multi-agency ladders: the holder, a PSW or the QA&P chair names a mediator: → in_mediation. "
                    "The partnership's QA&P chair is told and may then see the escalation and act on it.",
        body="StartMediationInput", timeline="start_mediation", logged_as="Mediation started",
        notifies=(Kind.MEDIATION_STARTED,),
    )
    def start_mediation(self: Escalation, *, mediator: User) -> None:
        self.mediator = mediator

    @action(
        who=is_holder | is_psw_for | is_qap_chair_for,
        source=(State.IN_MEDIATION,), target=RETURN_VALUE(State.RESOLVED, State.OPEN),
        checks=(InState("The escalation is not in mediation."),),
        inputs=(
            YesNo("agreed", "Did the parties agree?", yes="Yes: record the agreement and resolve it",
                  no="No: return it to the stage with a fresh deadline", required="Say whether the parties agreed",
                  api_help="true: resolved; false: open again at the same stage with a fresh deadline."),
            Text("note", "The outcome of the mediation", "Enter the outcome of the mediation",
                 hint="What was discussed and where it leaves the disagreement.",
                 api_help="The outcome of the mediation."),
            Text("agreed_outcome", "If the parties agreed: the agreed outcome", "Enter the agreed outcome",
                 hint="Recorded in writing and shared with the parties.", optional=True,
                 api_help="Required when `agreed` is true."),
            Text("outstanding_actions", "If the parties agreed: how will outstanding issues be pursued?",
                 "Enter how outstanding issues will be pursued", hint="Who does what, and by when.", optional=True,
                 api_help="How outstanding issues will be pursued. Required when `agreed` is true."),
        ),
        service="escalation_end_mediation",
        title="End mediation", button="End mediation", done="Mediation has ended.", label="End mediation",
        summary="End mediation",
        description="Agreed: → resolved, with the agreed outcome and how outstanding issues will be pursued. Not "
                    "agreed: open again at the same stage with a fresh deadline. The QA&P chair is told.",
        body="EndMediationInput", body_order=("note", "agreed", "agreed_outcome", "outstanding_actions"),
        timeline="end_mediation", logged_as="Mediation ended",
        notifies=(Kind.MEDIATION_ENDED, Kind.RESOLVED),
    )
    def end_mediation(self: Escalation, *, agreed: bool, now: dt.datetime, agreed_outcome: str = "",
                      outstanding_actions: str = "") -> str:
        if agreed:
            self.agreed_outcome, self.outstanding_actions = agreed_outcome, outstanding_actions
            self.resolved_at = self.closed_at = now
            return State.RESOLVED
        return State.OPEN

    @action(
        who=is_participant | is_psw_for,
        source=ANY_STATE, target=None,
        checks=(
            Condition(board_logging_allowed, "{ladder} does not log cases with a board."),
            Condition(not_yet_logged_with_board,
                      "This escalation is already logged with the board, both as a serious concern and as "
                      "unresolved."),
            ANONYMISED,
        ),
        inputs=(
            Choice("kind", "What are you logging?", (
                ("serious_concern", "A serious concern (3a)"),
                ("unresolved", "A case that remains unresolved, logged formally (3b)"),
            ), "Choose what you are logging", default="serious_concern", offered=board_log_kinds_left),
            _reason("Why should the board know about it?", "Enter why you are logging it with the board"),
        ),
        service="escalation_log_with_board",
        title="Log with the board", button="Log with the board", done="It is logged with the board.",
        label="Log with the board", button_style="secondary",
        summary="Log with the board",
        description="Any participant (or a PSW) logs the case with the partnership's QA&P chair, as a serious "
                    "concern (`serious_concern`, Wiltshire 3a, the default) or as unresolved (`unresolved`, 3b); "
                    "each kind once (a second of the same kind: 409). The state is unchanged.",
        body="LogWithBoardInput", body_order=("reason", "kind"), timeline="log_with_board",
        logged_as="Logged with the board", notifies=(Kind.BOARD_LOGGED,),
    )
    def log_with_board(self: Escalation, *, now: dt.datetime) -> None:
        if self.board_logged_at is None:  # the first log: what the reports count
            self.board_logged_at = now

    @action(
        who=is_holder,
        source=(State.OPEN,), target=State.MEETING_ARRANGED,
        checks=(
            Condition(at_panel_stage, "Only a resolution panel's stage convenes a panel."),
            InState("A panel can be convened only while the escalation is open (it is {state})."),
            Condition(panel_not_convened, "The panel is already convened."),
        ),
        inputs=(
            People("members", "Who sits on the panel?", "Choose the members of the panel",
                   "Choose members among the people listed", candidates="escalations.selectors.panel_candidates",
                   hint="At least three, from at least three organisations, including both organisations that "
                        "disagree. Nobody who raised or has held this escalation may sit.",
                   api_help="Usernames: at least three members from at least three member organisations, "
                            "including the raising and the receiving organisation; never a party."),
            Moment("meeting_at", prefix="panel", what="the panel meeting",
                   api_help="ISO 8601; without an offset it is read as London time."),
        ),
        service="escalation_convene_panel",
        title="Convene the resolution panel", button="Convene the panel", done="The panel is convened.",
        label="Convene the panel", lists=("awaiting",),
        summary="Convene the resolution panel",
        description="The partnership's QA&P chair, holding the resolution panel's stage, names its members and when "
                    "it meets: open → meeting_arranged. The members are told and may see the escalation; the "
                    "parties add representations as notes; the chair records the panel's decision with `respond`.",
        body="ConvenePanelInput", timeline="convene_panel", logged_as="Panel convened",
        notifies=(Kind.PANEL_CONVENED,),
    )
    def convene_panel(self: Escalation, *, meeting_at: dt.datetime) -> None:
        """The members are rows of their own (the service writes them); the meeting is the panel's."""
        self.meeting_at = meeting_at

    @action(
        who=is_party,
        source=(State.RESOLVED,), target=None,
        checks=(InState("A debrief is recorded once the escalation is resolved (it is {state})."), ANONYMISED),
        inputs=(Text("note", "Your debrief", "Enter your debrief",
                     hint="What worked, what did not, and what keeps the working relationship good. Each party "
                          "records one.", rows=4),),
        service="escalation_record_debrief",
        title="Record your debrief", button="Record debrief", done="Your debrief is recorded.",
        label="Record a debrief", button_style="secondary",
        summary="Record a debrief",
        description="After resolution, each party (the raiser, or a present or past holder) records one debrief "
                    "(001); a second by the same person answers 409. The state is unchanged.",
        body="DebriefInput", timeline="record_debrief", logged_as="Debrief recorded", notifies=(),
        versioned=False,  # a debrief changes nothing on the escalation, so it cannot conflict with a change
    )
    def record_debrief(self: Escalation) -> None:
        """A debrief is a row of its own and a timeline entry: the escalation itself does not change."""

    @action(
        who=can_view & ~is_board_member,
        source=ANY_STATE, target=None, checks=(ANONYMISED,),
        inputs=(Text("note", "Note", "Enter the note", hint="For example, advice given or a phone call. Everyone who "
                     "can see this escalation can read it.", rows=3),),
        service="escalation_add_note",
        title="Add a note", button="Add note", done="Your note is added.", label="Add a note",
        button_style="secondary",
        summary="Add a note",
        description="Anyone who may see the escalation (not a board member) adds a note to its timeline; the state "
                    "is unchanged. The parties' representations to a resolution panel are notes.",
        path="notes", page_path="note", body="NoteInput", timeline="note", logged_as="Note added", notifies=(),
        versioned=False,  # a note changes nothing else, so it cannot conflict with another change
    )
    def add_note(self: Escalation) -> None:
        """A note is a timeline entry only: the escalation itself does not change."""
