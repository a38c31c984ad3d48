"""The themes report over the REST API: aggregates only, the same tables the page shows."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import errors

from .exports import report_export_record
from .selectors import report_period_parse, report_scope_for, themes_report


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """An integer count or a decimal statistic, as it is; null when suppressed or not applicable."""

    def to_representation(self, value):
        return value


class CellSerializer(serializers.Serializer):
    value = NumberField(allow_null=True, help_text="null when suppressed (a small count) or not applicable")
    text = serializers.CharField(help_text="what the page shows, e.g. '12', '40%' or 'fewer than 5'")
    suppressed = serializers.BooleanField()


class RowSerializer(serializers.Serializer):
    label = serializers.CharField()
    cells = CellSerializer(many=True)


class TableSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="also the CSV export's ?table=")
    title = serializers.CharField()
    description = serializers.CharField()
    label_heading = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = RowSerializer(many=True)


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["partnership", "organisation"], source="scope_kind")
    name = serializers.CharField(source="scope_name")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class ThemesReportApi(APIView):
    """The themes report of the reader's partnership (board users) or organisation (a PSW)."""

    class OutputSerializer(serializers.Serializer):
        scope = ScopeSerializer(source="*")
        period = PeriodSerializer()
        generated_at = serializers.DateTimeField()
        small_counts_suppressed = serializers.BooleanField(source="suppression.active")
        small_count_threshold = serializers.SerializerMethodField()
        tables = TableSerializer(many=True)

        def get_small_count_threshold(self, report) -> int | None:
            return report.suppression.threshold if report.suppression.active else None

    @extend_schema(
        operation_id="reports_themes",
        summary="Themes report (aggregates only)",
        description=(
            "Counts and statistics about the escalations raised in the period: by category, organisation, agency "
            "pair, risk level and resolution stage; informal versus formal; working days to resolution against each "
            "procedure's timescale; overdue, stuck, advanced by the clock, reopened; a monthly trend; and "
            "escalations per 100 staff. Never a child's reference or name, nor a practitioner's name. For board "
            "users, counts from 1 to the threshold minus one read 'fewer than N' and carry no value."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the period, YYYY-MM-DD "
                             "(default: the first day of the month eleven months ago)"),
            OpenApiParameter("to", OpenApiTypes.DATE,
                             description="Last day of the period, YYYY-MM-DD (default: today)"),
            OpenApiParameter("partnership", OpenApiTypes.STR, description="Partnership slug (your own; optional)"),
            OpenApiParameter("organisation", OpenApiTypes.STR, description="Organisation slug (a PSW's own; optional)"),
        ],
        responses={200: OutputSerializer, **errors(400, 404)},
        tags=["reports"],
    )
    def get(self, request: Request) -> Response:
        scope = report_scope_for(
            user=request.user,
            partnership=request.query_params.get("partnership") or None,
            organisation=request.query_params.get("organisation") or None,
        )
        try:
            period = report_period_parse(query=request.query_params)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        report = themes_report(scope=scope, period=period)
        report_export_record(request=request, scope=scope, period=period, via="api")
        return Response(self.OutputSerializer(report).data)
