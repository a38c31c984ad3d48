"""``GET /api/v1/access-log/``: the PSW's access log as JSON, filtered and paged like the page."""
from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied

from core.api import PageNumberPagination, UserRateThrottle, errors

from .filters import AccessLogFilter
from .models import AccessEvent, Action, Outcome
from .selectors import access_log_for
from .views import access_log_read_record


class AccessEventOutput(serializers.ModelSerializer):
    at = serializers.DateTimeField(default_timezone=dt.UTC, help_text="When, in UTC.")
    username = serializers.CharField(help_text="Who; empty for an anonymous request or the system.")
    action = serializers.ChoiceField(choices=Action.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    escalation = serializers.IntegerField(source="escalation_id", allow_null=True)
    address = serializers.CharField(allow_null=True, help_text="The client's address.")

    class Meta:
        model = AccessEvent
        fields = ["at", "username", "action", "outcome", "status", "object_kind", "object_id", "escalation",
                  "address", "method", "path"]


class AccessLogApi(generics.GenericAPIView):
    serializer_class = AccessEventOutput
    pagination_class = PageNumberPagination
    filterset_class = AccessLogFilter
    throttle_classes = [UserRateThrottle]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no one signed in
            return AccessEvent.objects.none()
        return access_log_for(user=self.request.user)

    @extend_schema(
        operation_id="access_log_list",
        summary="Read the access log (PSW)",
        description="Who viewed, downloaded, exported or was refused the escalations raised by or against your "
                    "organisation, newest first; filtered by `escalation`, `person` (username), `action`, "
                    "`outcome`, `from_date` and `to_date`. A page past the last answers 404. Only a principal "
                    "social worker may read it, and reading it is recorded.",
        responses={200: AccessEventOutput(many=True), **errors(400, 403, 404)},
        tags=["audit"],
    )
    def get(self, request):
        if not request.user.has_perm("audit.read_access_log"):
            raise PermissionDenied("Only the organisation's principal social worker reads its access log.")
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        access_log_read_record(request=request._request, filterset=AccessLogFilter(request.query_params),
                               via="api")
        return self.get_paginated_response(AccessEventOutput(page, many=True).data)
