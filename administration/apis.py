"""The administration API under /api/v1/administration/: the staff list, an invitation, a deactivation,
the HR import (preview or apply) and the audit log. Thin: the services decide, as on the pages."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import (
    InputSerializer,
    LondonDateTimeField,
    PageNumberPagination,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    UserRateThrottle,
    errors,
    get_visible_or_404,
)
from organisations.models import Role, Team, User

from . import selectors, services
from .rules import administers, administers_organisation
from .staff_import import MAX_BYTES, ImportFileError, staff_import_read


def _require_admin(request) -> None:
    if not administers(request.user):
        raise PermissionDenied("Only an organisation's or partnership's administrator can do this.")


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.CharField()
    role = serializers.CharField()
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    line_manager = serializers.CharField(source="line_manager.username", allow_null=True, default=None,
                                         help_text="The line manager's username.")
    active = serializers.BooleanField(source="is_active")


class InviteInput(InputSerializer):
    name = StrictCharField(max_length=300, allow_blank=True)
    email = StrictCharField(max_length=254, allow_blank=True)
    role = StrictChoiceField(choices=[(role, Role(role).label) for role in (*services.STAFF_ROLES,
                                                                             *services.PARTNERSHIP_ROLES)])
    team = StrictCharField(max_length=200, required=False, allow_blank=True,
                           help_text="A team of your organisation, by name.")
    line_manager = StrictCharField(max_length=150, required=False, allow_blank=True,
                                   help_text="The line manager's username, in your organisation.")


class PeopleApi(generics.GenericAPIView):
    serializer_class = PersonOutput
    pagination_class = PageNumberPagination
    throttle_classes = [UserRateThrottle]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.people_list(actor=self.request.user)

    @extend_schema(
        operation_id="administration_people_list",
        summary="List your staff (or your partnership's people)",
        description="For an organisation's administrator, the organisation's staff; for a partnership's, its "
                    "board members and QA&P chair. Active people first.",
        responses={200: PersonOutput(many=True), **errors(404)},
        tags=["administration"],
    )
    def get(self, request):
        _require_admin(request)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PersonOutput(page, many=True).data)

    @extend_schema(
        operation_id="administration_people_invite",
        summary="Invite a person",
        description="Create the person without a password and e-mail them a link to set one.",
        request=InviteInput,
        responses={201: PersonOutput, **errors(400, 409)},
        tags=["administration"],
    )
    def post(self, request):
        _require_admin(request)
        data = InviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        problems: dict[str, list[str]] = {}
        team = manager = None
        if values.pop("team", ""):
            team = Team.objects.filter(organisation_id=request.user.organisation_id,
                                       name__iexact=data.validated_data["team"]).first()
            if team is None:
                problems["team"] = ["Your organisation has no team of this name."]
        if values.pop("line_manager", ""):
            manager = User.objects.filter(username=data.validated_data["line_manager"],
                                          organisation_id=request.user.organisation_id).first()
            if manager is None or request.user.organisation_id is None:
                problems["line_manager"] = ["Nobody in your organisation has this username."]
        if problems:
            raise serializers.ValidationError(problems)
        person = services.staff_invite(actor=request.user, team=team, line_manager=manager, **values)
        return Response(PersonOutput(person).data, status=status.HTTP_201_CREATED)


ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The person's id.")


class PersonDeactivateApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="administration_people_deactivate",
        summary="Deactivate a person",
        description="They cannot sign in, and their sessions and API tokens end at once. Refused (409) while "
                    "they hold a live stage, or where nobody else could hold a live stage they may hold.",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: PersonOutput, **errors(404, 409)},
        tags=["administration"],
    )
    def post(self, request, id: int):
        _require_admin(request)
        person = get_visible_or_404(selectors.people_list(actor=request.user), pk=id)
        return Response(PersonOutput(services.staff_deactivate(actor=request.user, person=person)).data)


class ImportInput(InputSerializer):
    csv = StrictCharField(max_length=MAX_BYTES, trim_whitespace=False,
                          help_text="The HR system's CSV: name, email, role, team, line_manager_email.")
    apply = StrictBooleanField(required=False, default=False,
                               help_text="false (the default): preview only. true: apply it, all or nothing.")


class ImportRowErrorOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row in the file; the header is row 1.")
    errors = serializers.ListField(child=serializers.CharField())


class ImportOutput(serializers.Serializer):
    applied = serializers.BooleanField()
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    new_teams = serializers.ListField(child=serializers.CharField())
    errors = ImportRowErrorOutput(many=True)


class StaffImportApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="administration_staff_import",
        summary="Import staff from HR",
        description="Preview what the CSV would change, with each row's errors; with `apply: true`, apply it in "
                    "one transaction. A file with any error is refused whole (400, `csv`). Running the same file "
                    "again changes nothing.",
        request=ImportInput,
        responses={200: ImportOutput, **errors(400)},
        tags=["administration"],
    )
    def post(self, request):
        if not administers_organisation(request.user):
            raise PermissionDenied("Only the organisation's administrator imports staff.")
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            records = staff_import_read(content=data.validated_data["csv"].encode())
        except ImportFileError as error:
            raise serializers.ValidationError({"csv": error.messages}) from None
        apply = data.validated_data["apply"]
        try:
            plan = (services.staff_import_apply if apply else services.staff_import_preview)(
                actor=request.user, records=records
            )
        except ValidationError as error:
            raise serializers.ValidationError({"csv": error.message_dict.get("file", error.messages)}) from None
        return Response(ImportOutput({
            "applied": apply, "new": len(plan.new), "changed": len(plan.changed), "unchanged": len(plan.unchanged),
            "new_teams": plan.new_teams,
            "errors": [{"row": row.number, "errors": row.errors} for row in plan.errors],
        }).data)


class AuditOutput(serializers.Serializer):
    at = LondonDateTimeField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None,
                                  help_text="The administrator's username; null for the platform's set-up.")
    kind = serializers.CharField()
    subject = serializers.CharField()
    before = serializers.DictField()
    after = serializers.DictField()


class AuditApi(generics.GenericAPIView):
    serializer_class = AuditOutput
    pagination_class = PageNumberPagination
    throttle_classes = [UserRateThrottle]
    filter_backends: list = []

    @extend_schema(
        operation_id="administration_audit_list",
        summary="Read the audit log",
        description="Every change made by your organisation's (or partnership's) administrators, newest first.",
        responses={200: AuditOutput(many=True), **errors(404)},
        tags=["administration"],
    )
    def get(self, request):
        _require_admin(request)
        page = self.paginate_queryset(selectors.audit_list(actor=request.user))
        return self.get_paginated_response(AuditOutput(page, many=True).data)
