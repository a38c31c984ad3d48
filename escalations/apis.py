"""The escalation endpoints: raise, list, read, and one POST sub-resource per action.

Each view is thin: it finds the escalation among those the user may see (404 otherwise), checks
the shape of the body, and calls the service, which decides (403, 409, 400) and writes atomically.
The action endpoints and their request bodies are built from the action specs (``escalations.actions``).

An organisation's case-management system reads and raises with a service token
(``identity.service_token_auth``): ``escalations:read`` lists and reads the escalations of the token's
organisation, those it raised or received (what its PSW sees by her organisation: ``escalation_list_of``);
``escalations:raise`` raises on behalf of a member of its staff named in ``raiser``. A token takes no action.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import Action, access_record, access_record_many
from core.api import (
    InputSerializer,
    LondonDateTimeField,
    PageNumberPagination,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    UserRateThrottle,
    errors,
    get_visible_or_404,
)
from core.text import TEXT_LIMIT
from identity import service_token_auth
from identity.models import Scope, ServiceToken
from identity.service_token_auth import PersonOrServiceScope, service_token_of
from identity.service_tokens import service_token_raiser
from organisations.models import Organisation, User
from policies.models import Ladder, RiskLevel, Stage

from . import actions, services
from .actions import ACTIONS, ActionSpec
from .cases import case_list_visible
from .filters import EscalationFilter
from .models import Basis, BoardLog, BoardLogKind, Debrief, Escalation, PanelMember, State, TimelineEntry
from .selectors import escalation_actions_available


# --- reads -------------------------------------------------------------------------------------------
def escalation_list_visible(*, user) -> QuerySet[Escalation]:
    """Escalations this person may see, newest first, with everything the list shows in a fixed number of
    queries."""
    return _listed(Escalation.objects.visible_to(user))


def _of_organisation(token: ServiceToken) -> QuerySet[Escalation]:
    organisation_id = token.organisation_id
    return Escalation.objects.filter(
        Q(raising_organisation_id=organisation_id) | Q(receiving_organisation_id=organisation_id))


def escalation_list_of(*, token: ServiceToken) -> QuerySet[Escalation]:
    """The escalations a service token of ``escalations:read`` reads: its organisation's, raised by it or
    received by it on a multi-agency ladder (the escalations its PSW sees as the organisation's PSW)."""
    return _listed(_of_organisation(token))


def escalation_list_readable(request) -> QuerySet[Escalation]:
    """What the request may read: the service token's organisation's, else what the person may see."""
    token = service_token_of(request)
    return escalation_list_of(token=token) if token is not None else escalation_list_visible(user=request.user)


def escalation_get_readable(request, *, pk: Any) -> Escalation:
    """The escalation with this id if the request may read it; 404 whether missing or not readable."""
    token = service_token_of(request)
    if token is None:
        return escalation_get_visible(user=request.user, pk=pk)
    return get_visible_or_404(_with_everything(_of_organisation(token)), pk=pk)


def _timeline() -> QuerySet[TimelineEntry]:
    """The timeline as the API shows it: each actor by username alone, not as a whole person, looked up by id
    for each entry (joined, PostgreSQL read every person to hash them: 2.6 ms of the 3 ms a page's 210
    entries took, 0.7 ms in all this way)."""
    actor = User.objects.filter(pk=OuterRef("actor_id")).values("username")
    return TimelineEntry.objects.annotate(actor_username=Subquery(actor)).order_by("at", "pk")


def _with_everything(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """One escalation with what the API shows and what its allowed actions ask (its board logs and panel)."""
    return (
        escalations
        .with_related()
        .prefetch_related(
            "ladder__stages", "ladder__categories", "board_logs",
            Prefetch("panel_members", queryset=PanelMember.objects.select_related("user")),
            Prefetch("debriefs", queryset=Debrief.objects.select_related("by")),
            Prefetch("timeline", queryset=_timeline()),
        )
        .order_by("-raised_at", "-pk")
    )


# A list's prefetched relations, as plain lists (``Prefetch(to_attr=...)``), not a related manager with its
# own filtered queryset for each row and relation: 100 of them for a page of 25 (docs/performance.md).
LISTED = {"board_logs": "listed_board_logs", "panel_members": "listed_panel", "debriefs": "listed_debriefs",
          "timeline": "listed_timeline"}


def _listed(escalations: QuerySet[Escalation]) -> QuerySet[Escalation]:
    """Escalations with what the list shows, in a fixed number of statements and no related manager a row.

    The ladder is read on its own rather than joined: the rows of one ladder then share one instance of it,
    whose stages and categories are read for it once, not once a row. The organisations' closure days are
    not read: the list shows no red/amber/green mark.
    """
    return (
        escalations
        .select_related("case", "holder", "raised_by", "raising_organisation", "receiving_organisation", "mediator")
        .prefetch_related(
            "ladder__stages", "ladder__categories",
            Prefetch("board_logs", queryset=BoardLog.objects.all(), to_attr=LISTED["board_logs"]),
            Prefetch("panel_members", queryset=PanelMember.objects.select_related("user"),
                     to_attr=LISTED["panel_members"]),
            Prefetch("debriefs", queryset=Debrief.objects.select_related("by"), to_attr=LISTED["debriefs"]),
            Prefetch("timeline", queryset=_timeline(), to_attr=LISTED["timeline"]),
        )
        .order_by("-raised_at", "-pk")
    )


def _related(escalation: Escalation, relation: str) -> list[Any]:
    """The rows of one of the escalation's relations as they were read with it: a list's plain list
    (``_listed``), else the related manager's (``_with_everything``)."""
    listed = getattr(escalation, LISTED[relation], None)
    return listed if listed is not None else list(getattr(escalation, relation).all())


def escalation_get_visible(*, user, pk: Any) -> Escalation:
    """The escalation with this id if this person may see it; 404 whether missing or invisible."""
    return get_visible_or_404(_with_everything(Escalation.objects.visible_to(user)), pk=pk)


def escalation_allowed_actions(*, escalation: Escalation, user) -> list[str]:
    """The actions (API path names) this person may take on the escalation now: the pages' own list."""
    return [spec.path for spec in escalation_actions_available(user=user, escalation=escalation)]


# --- output ------------------------------------------------------------------------------------------
class StageRefOutput(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(source="responsible", help_text="The role, or the tier on a multi-agency ladder.")


class TimelineEntryOutput(serializers.Serializer):
    at = LondonDateTimeField()
    actor = serializers.CharField(source="actor_name", help_text="A username, or `system` for the deadline clock.")
    action = serializers.CharField()
    from_state = serializers.CharField(help_text="Empty for the raise.")
    to_state = serializers.CharField()
    stage_index = serializers.IntegerField()
    note = serializers.CharField()


def _username(field: str, help_text: str) -> serializers.CharField:
    return serializers.CharField(source=f"{field}.username", allow_null=True, help_text=help_text)


def _slug(field: str, help_text: str = "An organisation's slug.") -> serializers.CharField:
    return serializers.CharField(source=f"{field}.slug", allow_null=True, help_text=help_text)


class BoardLogOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BoardLogKind.choices, help_text="Wiltshire 3a or 3b.")
    at = LondonDateTimeField()


class DebriefOutput(serializers.Serializer):
    by = serializers.CharField(source="by.username", help_text="The party who recorded it.")
    at = LondonDateTimeField()


# --- the nested parts, as plain dictionaries -----------------------------------------------------------
# A list of 25 escalations shows about 175 timeline entries: a serializer for each (its fields copied,
# then each field asked for its attribute): the page's serialisation took 8 to 13 ms of CPU, 4 with these
# functions. They give what ``StageRefOutput``, ``TimelineEntryOutput``, ``BoardLogOutput`` and
# ``DebriefOutput`` would, and the schema still names those (``extend_schema_field``);
# tests/api/test_panels_api.py holds the two equal.
def _london(moment: dt.datetime | None) -> str | None:
    """As ``LondonDateTimeField``: ISO 8601 with the Europe/London offset."""
    return None if moment is None else timezone.localtime(moment).isoformat()


def stage_output(escalation: Escalation) -> dict[str, Any] | None:
    try:
        stage = escalation.stage
    except Stage.DoesNotExist:
        return None  # as a serializer field answers an object that does not exist
    return {"index": stage.index, "name": stage.name, "role": stage.responsible}


def timeline_output(escalation: Escalation) -> list[dict[str, Any]]:
    return [
        {"at": _london(entry.at), "actor": entry.actor_username or "system", "action": entry.action,
         "from_state": entry.from_state, "to_state": entry.to_state, "stage_index": entry.stage_index,
         "note": entry.note}
        for entry in _related(escalation, "timeline")
    ]


def board_logs_output(escalation: Escalation) -> list[dict[str, Any]]:
    return [{"kind": log.kind, "at": _london(log.at)} for log in _related(escalation, "board_logs")]


def panel_output(escalation: Escalation) -> list[str]:
    return [member.user.username for member in _related(escalation, "panel_members")]


def debriefs_output(escalation: Escalation) -> list[dict[str, Any]]:
    return [{"by": debrief.by.username, "at": _london(debrief.at)} for debrief in _related(escalation, "debriefs")]


class _Nested(serializers.Field):
    """A read-only part of the escalation, given by one of the functions above (the escalation is its source)."""

    def __init__(self, output: Callable[[Escalation], Any], **kwargs: Any):
        self.output = output
        super().__init__(source="*", **kwargs)

    def to_representation(self, escalation: Escalation) -> Any:
        return self.output(escalation)


@extend_schema_field(StageRefOutput)
class _StageField(_Nested):
    pass


@extend_schema_field(TimelineEntryOutput(many=True))
class _TimelineField(_Nested):
    pass


@extend_schema_field(BoardLogOutput(many=True))
class _BoardLogsField(_Nested):
    pass


@extend_schema_field(DebriefOutput(many=True))
class _DebriefsField(_Nested):
    pass


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class _PanelField(_Nested):
    pass


class EscalationSummaryOutput(serializers.Serializer):
    """An escalation as lists show it."""

    id = serializers.IntegerField()
    case = serializers.CharField(source="case.reference", help_text="The case reference.")
    ladder = serializers.CharField(source="ladder.slug")
    ladder_version = serializers.IntegerField(source="ladder.version")
    raising_organisation = _slug("raising_organisation")
    receiving_organisation = _slug("receiving_organisation", "Multi-agency ladders: the organisation challenged.")
    state = serializers.ChoiceField(choices=State.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    category = serializers.CharField()
    category_label = serializers.CharField()
    basis = serializers.ChoiceField(choices=Basis.choices)
    decision_challenged = serializers.CharField()
    concern = serializers.CharField()
    desired_outcome = serializers.CharField()
    stage = _StageField(stage_output)
    holder = _username("holder", "Who must respond at this stage; null where nobody holds the role.")
    raised_by = _username("raised_by", "The raiser.")
    raised_at = LondonDateTimeField()
    stage_started_at = LondonDateTimeField()
    stage_deadline = LondonDateTimeField()
    overall_deadline = LondonDateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    meeting_at = LondonDateTimeField(allow_null=True)
    decision = serializers.CharField(help_text="`agree`, `uphold`, or empty before a decision at this stage.")
    rationale = serializers.CharField()
    agreed_outcome = serializers.CharField()
    outstanding_actions = serializers.CharField()
    mediator = _username("mediator", "Multi-agency ladders: the mediator, during and after mediation.")
    board_logged_at = LondonDateTimeField(allow_null=True, help_text="When it was first logged with the board.")
    board_logs = _BoardLogsField(board_logs_output,
                                 help_text="Each log with the QA&P chair: at most one of each kind.")
    panel = _PanelField(panel_output, read_only=True, help_text="The resolution panel's members, by username.")
    debriefs = _DebriefsField(debriefs_output, help_text="The parties' debriefs after resolution (the notes are on "
                                                         "the timeline).")
    resolved_at = LondonDateTimeField(allow_null=True)
    closed_at = LondonDateTimeField(allow_null=True)
    version = serializers.IntegerField(
        help_text="Send it back with an action to be told (409) if it changed meanwhile.")
    timeline = _TimelineField(timeline_output)


class EscalationOutput(EscalationSummaryOutput):
    """An escalation with the actions you may take on it now."""

    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions you may take now, by their path: POST /api/v1/escalations/{id}/<action>/."
    )

    def get_allowed_actions(self, escalation: Escalation) -> list[str]:
        return escalation_allowed_actions(escalation=escalation, user=self.context["user"])


def _answer(request, escalation_id: int, code: int = status.HTTP_200_OK) -> Response:
    """The escalation as it is now, read afresh with everything the output shows."""
    escalation = escalation_get_readable(request, pk=escalation_id)
    return Response(EscalationOutput(escalation, context={"user": request.user}).data, status=code)


# --- list and raise ----------------------------------------------------------------------------------
class RaiseInput(InputSerializer):
    case = StrictCharField(max_length=64, help_text="The case reference (register it first with POST /api/v1/cases/).")
    ladder = StrictCharField(max_length=50, help_text="The slug of a current ladder you may raise on.")
    risk_level = StrictChoiceField(choices=RiskLevel.choices)
    category = StrictCharField(max_length=80, help_text="The slug of one of the ladder's categories.")
    decision_challenged = StrictCharField(max_length=TEXT_LIMIT)
    concern = StrictCharField(max_length=TEXT_LIMIT)
    basis = StrictChoiceField(choices=Basis.choices)
    desired_outcome = StrictCharField(max_length=TEXT_LIMIT)
    receiving_organisation = StrictCharField(
        max_length=50, required=False, allow_null=True, allow_blank=True,
        help_text="Multi-agency ladders: the slug of the organisation whose decision you challenge.",
    )
    holder = StrictCharField(
        max_length=150, required=False, allow_null=True, allow_blank=True,
        help_text="The username of the person who should hold the entry stage, where eligible; by default the "
                  "holder rule's choice. Required on `stoke-crm-concerns`: the Conference and Review Manager the "
                  "concern is about.",
    )
    raiser = StrictCharField(
        max_length=150, required=False, allow_null=True, allow_blank=True,
        help_text="Only with a service token (scope `escalations:raise`), and then required: the username of the "
                  "active member of the token's organisation who raises it, one who may raise. The escalation is "
                  "theirs, as if they had raised it here. Refused with a person's own credentials.",
    )

    def validate(self, attrs: dict) -> dict:
        """Resolve the raiser, the case, the ladder and the receiving organisation, naming each one not found."""
        problems: dict[str, list[str]] = {}
        user = self._raiser(attrs.pop("raiser", None) or None, problems)
        attrs["raised_by"] = user
        if user is None:
            raise serializers.ValidationError(problems)
        visible = case_list_visible(user=user).filter(reference=attrs["case"]).order_by("pk")
        # The user's own organisation's case first, where a partner uses the same reference.
        attrs["case"] = visible.filter(organisation_id=user.organisation_id).first() or visible.first()
        if attrs["case"] is None:
            problems["case"] = ["No case with this reference that you can see: register it with POST /api/v1/cases/."]
        attrs["ladder"] = Ladder.objects.current().filter(slug=attrs["ladder"]).first()
        if attrs["ladder"] is None:
            problems["ladder"] = ["No current ladder has this slug."]
        receiving = attrs.get("receiving_organisation") or None
        if receiving is not None:
            receiving = Organisation.objects.filter(slug=receiving).first()
            if receiving is None:
                problems["receiving_organisation"] = ["No organisation has this slug."]
        attrs["receiving_organisation"] = receiving
        holder = attrs.get("holder") or None
        if holder is not None:
            # A username that names nobody active stands as a person nobody may choose: the service refuses it
            # where it refuses an ineligible one, after the body's other checks, with the same answer.
            holder = User.objects.filter(username=holder, is_active=True).first() or User(is_active=False)
        attrs["holder"] = holder
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def _raiser(self, username: str | None, problems: dict[str, list[str]]) -> User | None:
        """The person who raises: the one signed in, or the one a service token names (``raiser``)."""
        token = self.context.get("token")
        if token is None:
            if username is not None:
                problems["raiser"] = ["Only a case-management system's API token names a raiser: leave it out."]
                return None
            return self.context["user"]
        if username is None:
            problems["raiser"] = ["Name the member of your organisation's staff who raises it."]
            return None
        raiser = service_token_raiser(token=token, username=username)
        if raiser is None:
            # One answer whether the username is unknown, of another organisation or of someone who may not
            # raise: the body tells nothing of who has an account.
            problems["raiser"] = ["No active member of the token's organisation who may raise has this username."]
        return raiser


class EscalationListCreateApi(generics.GenericAPIView):
    serializer_class = EscalationSummaryOutput
    pagination_class = PageNumberPagination
    filterset_class = EscalationFilter
    authentication_classes = service_token_auth.authentication_classes()
    permission_classes = [PersonOrServiceScope]
    service_token_scopes = {"GET": Scope.ESCALATIONS_READ, "POST": Scope.ESCALATIONS_RAISE}
    throttle_classes = service_token_auth.THROTTLES

    def get_queryset(self):
        return escalation_list_readable(self.request)

    @extend_schema(
        operation_id="escalations_list",
        summary="List escalations",
        description="The escalations you may see, newest first, filtered by state, ladder, risk level, "
                    "case, `overdue`, `holder=me` or `raised_by=me`. "
                    + service_token_auth.scopes_words(GET=Scope.ESCALATIONS_READ)
                    + " It lists the escalations its organisation raised or received (`holder=me` and "
                      "`raised_by=me` find none).",
        responses={200: EscalationSummaryOutput(many=True), **errors(400, 404)},
        tags=["escalations"],
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_record_many(action=Action.EXPORTED, objs=page, request=request, detail={"via": "api_list"})
        return self.get_paginated_response(EscalationSummaryOutput(page, many=True).data)

    @extend_schema(
        operation_id="escalations_create",
        summary="Raise an escalation",
        description="Raise a disagreement about a decision on a case. It enters the stage its risk level "
                    "sets on the ladder, or the stage above the raiser's own (a stage of the raiser's own tier on "
                    "a multi-agency ladder), with that stage's holder (the one named in `holder`, where eligible) "
                    "and deadline; the holder is notified. Where no stage is left above the raiser, 400 on "
                    "`ladder` with the reason. "
                    + service_token_auth.scopes_words(POST=Scope.ESCALATIONS_RAISE)
                    + " It raises on behalf of the member of its organisation named in `raiser`, with their "
                      "place on the ladder, the cases they see and the procedures they may use; the timeline "
                      "says it came through the token.",
        request=RaiseInput,
        responses={201: EscalationOutput, **errors(400)},
        tags=["escalations"],
    )
    def post(self, request):
        token = service_token_of(request)
        if token is None and not request.user.has_perm("escalations.raise_escalation"):
            raise PermissionDenied("Only staff of an organisation can raise an escalation.")
        data = RaiseInput(data=request.data, context={"user": request.user, "token": token})
        data.is_valid(raise_exception=True)
        through = {"through": f"service_token:{token.prefix}"} if token is not None else {}
        try:
            escalation = services.escalation_raise(**data.validated_data, **through)
        except ValidationError as exc:
            # A named holder the entry rule refuses gets the answer an unknown username gets, so that the body
            # cannot tell who has an account (the page offers the eligible people by name).
            if data.validated_data.get("holder") is not None and "holder" in getattr(exc, "error_dict", {}):
                raise ValidationError({**exc.message_dict, "holder": [NOT_ELIGIBLE]}) from None
            raise
        if token is not None:
            access_record(action=Action.SERVICE_WRITE, obj=escalation, request=request,
                          detail={"via": "api_raise", "raised_on_behalf_of": escalation.raised_by_id})
        return _answer(request, escalation.pk, status.HTTP_201_CREATED)


ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The escalation's id.")


class EscalationDetailApi(APIView):
    authentication_classes = service_token_auth.authentication_classes()
    permission_classes = [PersonOrServiceScope]
    service_token_scopes = {"GET": Scope.ESCALATIONS_READ}
    throttle_classes = service_token_auth.THROTTLES

    @extend_schema(
        operation_id="escalations_retrieve",
        summary="Read an escalation",
        description="The escalation with its timeline and the actions you may take now. An escalation you may "
                    "not see answers 404, exactly as one that does not exist. "
                    + service_token_auth.scopes_words(GET=Scope.ESCALATIONS_READ)
                    + " It reads its organisation's escalations (raised or received), with no action allowed.",
        parameters=[ID_PARAMETER],
        responses={200: EscalationOutput, **errors(404)},
        tags=["escalations"],
    )
    def get(self, request, id: int):
        escalation = escalation_get_readable(request, pk=id)
        access_record(action=Action.ESCALATION_VIEWED, obj=escalation, request=request, detail={"via": "api"})
        return Response(EscalationOutput(escalation, context={"user": request.user}).data)


# --- actions ---------------------------------------------------------------------------------------
class ActionInput(InputSerializer):
    version = StrictIntegerField(
        required=False, min_value=1,
        help_text="The version you read. If the escalation changed since, the action is refused (409). "
                  "Without it, the version read when the request arrives is used.",
    )


@functools.singledispatch
def _api_field(spec_input: Any) -> serializers.Field:
    """The request body's field for one input of an action's spec."""
    raise TypeError(f"no API field for {type(spec_input).__name__}: add one to escalations.apis")


@_api_field.register
def _(spec_input: actions.Text) -> serializers.Field:
    if spec_input.optional:
        return StrictCharField(max_length=TEXT_LIMIT, help_text=spec_input.api_help or None, required=False,
                               allow_blank=True)
    return StrictCharField(max_length=TEXT_LIMIT, help_text=spec_input.api_help or None)


@_api_field.register
def _(spec_input: actions.Choice) -> serializers.Field:
    if spec_input.default:
        return StrictChoiceField(choices=list(spec_input.choices), required=False, default=spec_input.default,
                                 help_text=f"By default `{spec_input.default}`.")
    return StrictChoiceField(choices=list(spec_input.choices))


@_api_field.register
def _(spec_input: actions.YesNo) -> serializers.Field:
    return StrictBooleanField(help_text=spec_input.api_help or None)


@_api_field.register
def _(spec_input: actions.Person) -> serializers.Field:
    if spec_input.optional:
        return StrictCharField(max_length=150, required=False, allow_null=True, allow_blank=True,
                               help_text=spec_input.api_help or None)
    return StrictCharField(max_length=150, help_text=spec_input.api_help or None)


@_api_field.register
def _(spec_input: actions.People) -> serializers.Field:
    return serializers.ListField(child=StrictCharField(max_length=150), max_length=50,
                                 help_text=spec_input.api_help or None)


@_api_field.register
def _(spec_input: actions.StageChoice) -> serializers.Field:
    return StrictIntegerField(min_value=0, max_value=100, help_text=spec_input.api_help or None)


@_api_field.register
def _(spec_input: actions.Moment) -> serializers.Field:
    return serializers.DateTimeField(help_text=spec_input.api_help or None)


@functools.cache
def _body(name: str) -> type[InputSerializer]:
    """The request body called ``name``, built once from the first action that names it."""
    spec = next(spec for spec in ACTIONS.values() if spec.body == name)
    inputs = {spec_input.name: spec_input for spec_input in spec.inputs}
    fields = {field_name: _api_field(inputs[field_name]) for field_name in spec.body_fields}
    return type(name, (ActionInput if spec.versioned else InputSerializer,), fields)


def action_input(spec: ActionSpec) -> type[InputSerializer]:
    """The request body of an action: actions that ask for the same inputs share one (``ReasonInput``)."""
    return _body(spec.body)


# One answer for a username that names nobody and for one that names someone who may not be chosen here, so
# that an action's request body cannot be used to find out who has an account (the page offers a list).
NOT_ELIGIBLE = "No one who may be named here has this username."


def _user_named(spec_input: actions.Person, username: str, escalation: Escalation) -> User:
    """The person the username names among those the action's page offers (its ``candidates``)."""
    user = import_string(spec_input.candidates)(escalation=escalation).filter(username=username).first()
    if user is None:
        raise ValidationError({spec_input.name: [NOT_ELIGIBLE]})
    return user


def _users_named(spec_input: actions.People, usernames: list[str], escalation: Escalation) -> list[User]:
    """The people the usernames name, each an active person of the ladder's partnership(s); the service says
    who of them may not sit, and why."""
    found = {user.username: user for user in User.objects.filter(
        username__in=usernames, is_active=True, organisation__partnerships__in=escalation.ladder.partnership_ids())}
    unknown = [name for name in dict.fromkeys(usernames) if name not in found]
    if unknown:
        raise ValidationError({spec_input.name: [f"{NOT_ELIGIBLE[:-1]}: {', '.join(unknown)}."]})
    return [found[name] for name in dict.fromkeys(usernames)]


def _arguments(spec: ActionSpec, data: dict, escalation: Escalation) -> dict:
    """The service's arguments from a valid body: a person named by username is that person."""
    arguments = dict(data)
    for spec_input in spec.inputs:
        if isinstance(spec_input, actions.Person):
            username = arguments.get(spec_input.name)
            arguments[spec_input.name] = _user_named(spec_input, username, escalation) if username else None
        elif isinstance(spec_input, actions.People):
            arguments[spec_input.name] = _users_named(spec_input, arguments[spec_input.name], escalation)
    return arguments


class EscalationActionApi(APIView):
    """POST one action on an escalation; each subclass is one action of ``ACTIONS``."""

    throttle_classes = [UserRateThrottle]
    spec: ActionSpec

    def post(self, request, id: int):
        escalation = escalation_get_visible(user=request.user, pk=id)
        data = action_input(self.spec)(data=request.data)
        data.is_valid(raise_exception=True)
        # Who may take it, and whether it may happen now, are asked before anyone named in the body is looked
        # up, in the service's order, so that the answer never depends on whether a username exists; the
        # service asks both again under its lock.
        if not request.user.has_perm(self.spec.permission, escalation):
            raise services.ActionNotPermitted("You are not allowed to do this on this escalation.")
        refused = actions.refusal(self.spec, escalation)
        if refused is not None:
            raise services.ActionConflict(refused)
        arguments = _arguments(self.spec, data.validated_data, escalation)
        if self.spec.versioned:
            # The version read now, unless the client says which one it read: two requests racing on
            # the same version cannot both succeed.
            arguments["expected_version"] = arguments.pop("version", escalation.version)
        self.spec.service_function()(escalation=escalation, actor=request.user, **arguments)
        return _answer(request, escalation.pk)


def _action_api(spec: ActionSpec) -> type[EscalationActionApi]:
    """A view class for one action, with its own documented request body."""

    @extend_schema(
        operation_id=f"escalations_{spec.path.replace('-', '_')}",
        summary=spec.summary,
        description=spec.description,
        parameters=[ID_PARAMETER],
        request=action_input(spec),
        responses={200: EscalationOutput, **errors(400, 404, 409)},
        tags=["escalation actions"],
    )
    def post(self, request, id: int):
        return EscalationActionApi.post(self, request, id)

    name = "".join(part.title() for part in spec.path.split("-")) + "Api"
    return type(name, (EscalationActionApi,), {"spec": spec, "post": post, "__doc__": spec.description})


# The endpoints by their path: POST /api/v1/escalations/{id}/<path>/.
ACTION_APIS = {spec.path: _action_api(spec) for spec in ACTIONS.values()}
