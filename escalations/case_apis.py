"""Cases by their case-management reference: find one, or register one to raise an escalation on.

Here, not in ``cases``: who may see a case depends on the escalations they may see.

An organisation's case-management system registers its cases with a service token of scope ``cases:create``
(``identity.service_token_auth``): the case is the token's organisation's, and the token reads no child's
display name back (it is no member of staff).
"""
from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from audit.services import Action, access_record, access_record_many
from cases.models import Case
from core.api import (
    InputSerializer,
    LondonDateTimeField,
    PageNumberPagination,
    StrictCharField,
    errors,
)
from identity import service_token_auth
from identity.models import Scope
from identity.service_token_auth import PersonOrServiceScope, service_token_of
from organisations.models import User

from .cases import case_list_visible
from .services import case_get_or_create


class CaseFilter(filters.FilterSet):
    reference = filters.CharFilter(field_name="reference", lookup_expr="exact", max_length=64,
                                   help_text="The exact reference in the case-management system.")

    class Meta:
        model = Case
        fields = ["reference"]


class CaseInput(InputSerializer):
    reference = StrictCharField(max_length=64,
                                help_text="The reference in the case-management system, e.g. LCS-104233.")
    display_name = StrictCharField(max_length=120, required=False, allow_blank=True, default="",
                                   help_text="Optional, e.g. initials; never sent by e-mail or to the board.")
    allocated_worker = StrictCharField(
        max_length=150, required=False, allow_null=True, allow_blank=True, default=None,
        help_text="Optional: the username of the member of your organisation's staff the case is allocated to "
                  "(Stoke: the social worker, a party to escalations on the case).",
    )


class CaseOutput(serializers.Serializer):
    reference = serializers.CharField()
    display_name = serializers.SerializerMethodField(
        help_text="Only for staff of the owning organisation; empty for anyone else (CONTRACT section 8.6).",
    )
    organisation = serializers.CharField(source="organisation.slug", help_text="The owning organisation's slug.")
    allocated_worker = serializers.CharField(source="allocated_worker.username", allow_null=True, default=None,
                                             help_text="The username of the worker the case is allocated to.")
    created_at = LondonDateTimeField()

    def get_display_name(self, case: Case) -> str:
        return case.display_name_for(self.context["request"].user)


class CaseListCreateApi(generics.GenericAPIView):
    serializer_class = CaseOutput
    pagination_class = PageNumberPagination
    filterset_class = CaseFilter
    authentication_classes = service_token_auth.authentication_classes()
    permission_classes = [PersonOrServiceScope]
    service_token_scopes = {"POST": Scope.CASES_CREATE}
    throttle_classes = service_token_auth.THROTTLES

    def get_queryset(self):
        return case_list_visible(user=self.request.user)

    @extend_schema(
        operation_id="cases_list",
        summary="Find cases",
        description="Cases you may see (your organisation's, and those of escalations you may see), "
                    "optionally by exact reference.",
        responses={200: CaseOutput(many=True), **errors(400, 404)},
        auth=service_token_auth.PERSONS_ONLY,  # no scope lists cases
        tags=["cases"],
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # Each case listed is a look at it (its reference, and the child's name for the owning organisation's
        # staff): one row of the access log per case on the page, as for the escalations' list.
        access_record_many(action=Action.EXPORTED, objs=page, request=request, detail={"via": "api_cases"})
        return self.get_paginated_response(CaseOutput(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="cases_create",
        summary="Register a case",
        description="Register a case of your organisation by its reference, so that an escalation can be "
                    "raised on it. Answers 201 for a new case and 200 with the existing one where the "
                    "reference is already registered. "
                    + service_token_auth.scopes_words(POST=Scope.CASES_CREATE)
                    + " The case is the token's organisation's, and `display_name` is not read back.",
        request=CaseInput,
        responses={201: CaseOutput, 200: CaseOutput, **errors(400)},
        tags=["cases"],
    )
    def post(self, request):
        token = service_token_of(request)
        if token is None and not request.user.has_perm("escalations.raise_escalation"):
            raise PermissionDenied("Only staff of an organisation can register a case.")
        organisation = token.organisation if token is not None else request.user.organisation
        data = CaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        worker = None
        if data.validated_data.get("allocated_worker"):
            worker = User.objects.filter(username=data.validated_data["allocated_worker"],
                                         organisation_id=organisation.pk, is_active=True).first()
            if worker is None:
                raise serializers.ValidationError(
                    {"allocated_worker": ["No active member of your organisation's staff has this username."]})
        case, created = case_get_or_create(
            organisation=organisation, reference=data.validated_data["reference"],
            display_name=data.validated_data["display_name"], created_by=None if token else request.user,
            allocated_worker=worker,
        )
        if token is not None:
            access_record(action=Action.SERVICE_WRITE, obj=case, request=request,
                          detail={"via": "api_cases", "created": created})
        return Response(CaseOutput(case, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
