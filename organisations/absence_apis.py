"""Absences through the API (CONTRACT section 8.5): record one, list those you may see.

Thin: the body's shape is checked here, the usernames are found, and ``organisations.absences`` decides
(400 with the field, 403 for someone you do not manage).
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from core.api import (
    InputSerializer,
    LondonDateTimeField,
    PageNumberPagination,
    StrictCharField,
    UserRateThrottle,
    errors,
)

from .absences import absence_list_for, absence_record
from .models import Absence, User


class StrictDateField(serializers.DateField):
    """A date written as text, YYYY-MM-DD."""

    default_error_messages = {"invalid": "Must be a date written YYYY-MM-DD."}

    def to_internal_value(self, value: Any):
        if not isinstance(value, str):
            self.fail("invalid")
        return super().to_internal_value(value)


class AbsenceInput(InputSerializer):
    starts_on = StrictDateField(help_text="The first day away (YYYY-MM-DD), both ends included.")
    ends_on = StrictDateField(help_text="The last day away (YYYY-MM-DD).")
    cover = StrictCharField(max_length=150, required=False, allow_null=True, default=None,
                            help_text="The username of the colleague who takes the person's stages; "
                                      "empty: the next holder by the usual rule.")
    person = StrictCharField(max_length=150, required=False, allow_null=True, default=None,
                             help_text="The username of someone you manage (directly or not); empty: yourself.")


class AbsenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.CharField(source="person.username")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    cover = serializers.CharField(source="cover.username", allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = LondonDateTimeField()
    handed_over_at = LondonDateTimeField(
        allow_null=True, help_text="When the clock passed the person's live stages on (from the first day).")


def _user(field: str, username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise serializers.ValidationError({field: ["There is nobody with this username."]})
    return user


class AbsenceListCreateApi(generics.GenericAPIView):
    serializer_class = AbsenceOutput
    pagination_class = PageNumberPagination
    throttle_classes = [UserRateThrottle]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no one signed in
            return Absence.objects.none()
        return absence_list_for(user=self.request.user)

    @extend_schema(
        operation_id="absences_list",
        summary="List absences",
        description="Your absences, those of the people you manage, and those you cover (an organisation's "
                    "administrator: every absence of the organisation); latest first.",
        responses={200: AbsenceOutput(many=True), **errors(404)},
        tags=["absences"],
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AbsenceOutput(page, many=True).data)

    @extend_schema(
        operation_id="absences_create",
        summary="Record an absence",
        description="Record your own absence, or that of `person`, someone you manage directly or further "
                    "down; an organisation's administrator records anyone's of the organisation but another "
                    "administrator's (403 otherwise). From 00:00 London time on `starts_on` new stages skip the "
                    "person and the live stages they hold pass to `cover` (where the cover may hold them) or to "
                    "the next holder, by the deadline clock's next run. Bad dates, a cover who is not an active member "
                    "of the person's organisation, or the person as their own cover answer 400 with the field.",
        request=AbsenceInput,
        responses={201: AbsenceOutput, **errors(400)},
        tags=["absences"],
    )
    def post(self, request):
        data = AbsenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        person = _user("person", values["person"])
        cover = _user("cover", values["cover"])
        absence = absence_record(actor=request.user, person=person, cover=cover,
                                 starts_on=values["starts_on"], ends_on=values["ends_on"])
        return Response(AbsenceOutput(absence).data, status=status.HTTP_201_CREATED)
