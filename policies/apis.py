"""The escalation ladders a person may see: stages, categories and the rules of each risk level."""
from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers

from core.api import PageNumberPagination, UserRateThrottle, errors

from .models import Ladder


def ladder_list_visible(*, user) -> QuerySet[Ladder]:
    """Current ladders this person may see: their organisation's and its partnerships';
    a partnership's board users see their partnership's."""
    ladders = Ladder.objects.current().select_related("organisation", "partnership").prefetch_related(
        "stages", "categories", "risk_rules"
    ).order_by("slug")
    if user.is_superuser:
        return ladders
    rule = Q(pk__in=[])
    if user.organisation_id is not None:
        rule |= Q(organisation_id=user.organisation_id) | Q(partnership__members=user.organisation_id)
    if user.partnership_id is not None:
        rule |= Q(partnership_id=user.partnership_id)
    return ladders.filter(pk__in=Ladder.objects.filter(rule).values("pk"))


class StageOutput(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField(
        source="responsible", help_text="The role that holds it, or the tier on a multi-agency ladder.",
    )
    working_days = serializers.IntegerField(help_text="Response time in working days; 0 means the same day.")
    final = serializers.BooleanField(help_text="An upheld decision here ends the escalation.")
    exceptional = serializers.BooleanField(help_text="Reached only by climbing after a final decision, with a reason.")
    in_receiving_organisation = serializers.BooleanField(help_text="The holder is found in the receiving organisation.")


class CategoryOutput(serializers.Serializer):
    slug = serializers.CharField()
    label = serializers.CharField()
    group = serializers.CharField()
    route = serializers.ListField(child=serializers.IntegerField(), help_text=(
        "The stages this kind of disagreement climbs, in order (Bexley 3.8); empty: every stage."))
    raiser_roles = serializers.ListField(child=serializers.CharField(), help_text=(
        "The roles that may choose it (Bexley 3.9); empty: anyone who may raise on the ladder."))


class RiskLevelOutput(serializers.Serializer):
    risk_level = serializers.CharField()
    entry_stage = serializers.IntegerField(help_text="The stage an escalation at this risk level enters at.")
    entry_working_days = serializers.IntegerField(
        allow_null=True, help_text="Response time of the entry stage (0: same day; null: the stage's own)."
    )
    on_missed_deadline = serializers.CharField(help_text="`notify` or `advance` (the clock moves it on).")
    alert_psw = serializers.BooleanField()


class LadderOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug", allow_null=True,
                                         help_text="The owning organisation's slug (single-agency ladders).")
    partnership = serializers.CharField(source="partnership.slug", allow_null=True,
                                        help_text="The owning partnership's slug (multi-agency ladders).")
    multi_agency = serializers.BooleanField(help_text="Raised against another member of the partnership.")
    skip_allowed = serializers.BooleanField()
    skip_by = serializers.CharField(help_text="Who may skip stages: `raiser`, or `psw` (Bexley 4.5: the PSW only).")
    skip_to_stages = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The stages a skip may reach; empty: any later ordinary stage (after the next one unless "
                  "`skip_to_next`).")
    skip_to_next = serializers.BooleanField(help_text="A skip may reach the next stage too (Stoke 5).")
    mediation_allowed = serializers.BooleanField()
    board_logging_allowed = serializers.BooleanField()
    overall_working_days = serializers.IntegerField(allow_null=True)
    emergency_instruction = serializers.CharField(help_text="Shown before anything else when the risk is imminent.")
    can_raise = serializers.SerializerMethodField(help_text="Whether you may raise an escalation on it.")
    stages = StageOutput(many=True, source="stage_list")
    categories = CategoryOutput(many=True)
    risk_levels = RiskLevelOutput(many=True, source="risk_rules")

    def get_can_raise(self, ladder: Ladder) -> bool:
        return ladder.pk in self.context["usable"]


@extend_schema_view(
    get=extend_schema(
        operation_id="ladders_list",
        summary="List ladders",
        description="The current escalation ladders you may see: your organisation's and its partnerships' "
                    "(a board user: the partnership's), each with its stages, categories and risk-level rules.",
        responses={200: LadderOutput(many=True), **errors(404)},
        tags=["ladders"],
    )
)
class LadderListApi(generics.ListAPIView):
    serializer_class = LadderOutput
    pagination_class = PageNumberPagination
    throttle_classes = [UserRateThrottle]
    filter_backends: list = []

    def get_queryset(self):
        return ladder_list_visible(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["usable"] = set(Ladder.objects.usable_by(self.request.user).values_list("pk", flat=True))
        return context
