"""A person's own notifications: list them, mark one read."""
from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LondonDateTimeField, PageNumberPagination, UserRateThrottle, errors, get_visible_or_404

from .models import Kind, Notification
from .services import notification_mark_read


def notification_list_own(*, user) -> QuerySet[Notification]:
    """This person's notifications, newest first; nobody sees anyone else's."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")


class NotificationFilter(filters.FilterSet):
    read = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True,
                                 help_text="false: only the unread ones; true: only the read ones.")

    class Meta:
        model = Notification
        fields = ["read"]


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    escalation = serializers.IntegerField(source="escalation_id", allow_null=True, help_text="The escalation's id.")
    created_at = LondonDateTimeField()
    read = serializers.BooleanField()
    urgent = serializers.BooleanField()
    message = serializers.CharField()


@extend_schema_view(
    get=extend_schema(
        operation_id="notifications_list",
        summary="List my notifications",
        description="Your own notifications, newest first; `?read=false` for the unread ones.",
        responses={200: NotificationOutput(many=True), **errors(400, 404)},
        tags=["notifications"],
    )
)
class NotificationListApi(generics.ListAPIView):
    serializer_class = NotificationOutput
    pagination_class = PageNumberPagination
    filterset_class = NotificationFilter
    throttle_classes = [UserRateThrottle]

    def get_queryset(self):
        return notification_list_own(user=self.request.user)


class NotificationReadApi(APIView):
    throttle_classes = [UserRateThrottle]

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark a notification read",
        description="Mark one of your notifications read (again is harmless). Someone else's answers 404.",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The notification's id."),
        ],
        request=None,
        responses={200: NotificationOutput, **errors(404)},
        tags=["notifications"],
    )
    def post(self, request, id: int):
        notification = get_visible_or_404(notification_list_own(user=request.user), pk=id)
        return Response(NotificationOutput(notification_mark_read(notification=notification)).data)
