from django.contrib import admin, messages
from django.db.models import Count

from .models import Category, Ladder, RiskRule, Stage
from .services import ladder_freeze_version


class _VersionedInline(admin.TabularInline):
    """A frozen ladder version is history: its stages, categories and rules are shown, never changed."""

    extra = 0

    def _current(self, obj) -> bool:
        return obj is None or obj.is_current

    def has_add_permission(self, request, obj=None):
        return self._current(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._current(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._current(obj) and super().has_delete_permission(request, obj)


class StageInline(_VersionedInline):
    model = Stage
    fields = ["index", "name", "role", "tier", "in_receiving_organisation", "working_days", "final", "exceptional",
              "allocated_worker_acts"]


class CategoryInline(_VersionedInline):
    model = Category
    fields = ["position", "slug", "label", "group", "route", "raiser_roles"]


class RiskRuleInline(_VersionedInline):
    model = RiskRule
    fields = ["risk_level", "entry_stage", "entry_working_days", "on_missed_deadline", "alert_psw", "entry_fixed"]


@admin.register(Ladder)
class LadderAdmin(admin.ModelAdmin):
    """Saving a ladder freezes what was stored as a version of its own, and the edited ladder becomes
    the next, current version.

    ``escalations.admin`` registers a subclass in its place that keeps the escalations on the version
    they were raised on (``version_freeze``) and counts them: this app knows nothing of escalations.
    """

    list_display = ["slug", "version", "is_current", "name", "owner", "stage_count", "timescale"]
    list_filter = ["is_current", "organisation", "partnership", "skip_allowed", "mediation_allowed"]
    search_fields = ["slug", "name", "source"]
    list_select_related = ["organisation", "partnership"]
    readonly_fields = ["version", "is_current", "created_at"]
    inlines = [StageInline, CategoryInline, RiskRuleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            stages_n=Count("stages", distinct=True),
        ).prefetch_related("stages")

    @admin.display(description="Owner")
    def owner(self, obj: Ladder) -> str:
        return str(obj.organisation or obj.partnership)

    @admin.display(description="Stages", ordering="stages_n")
    def stage_count(self, obj: Ladder) -> int:
        return obj.stages_n

    @admin.display(description="Whole timescale (working days)")
    def timescale(self, obj: Ladder) -> str:
        if obj.overall_working_days:
            return f"{obj.overall_working_days} (overall, from stage {obj.overall_from_stage})"
        # The reports' target: the ordinary stages' response times (an exceptional stage comes after the end).
        return str(sum(s.working_days for s in obj.stages.all() if not s.exceptional))

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not obj.is_current:
            return [f.name for f in Ladder._meta.fields]  # a frozen version is history
        if obj is not None:
            # Versions are found by slug: renaming it would split a ladder's history.
            return [*self.readonly_fields, "slug"]
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_current:
            return False  # view only: saving would freeze a copy of history
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            frozen = self.version_freeze(request, obj)
            obj.version = Ladder.objects.get(pk=obj.pk).version
            obj.is_current = True
            messages.info(request, f"Saved as version {obj.version}; version {frozen.version} is kept for the "
                                   "escalations raised on it.")
        super().save_model(request, obj, form, change)

    def version_freeze(self, request, ladder: Ladder) -> Ladder:
        """Freeze what is stored of ``ladder`` as a version of its own; return the frozen copy."""
        return ladder_freeze_version(ladder_id=ladder.pk)
