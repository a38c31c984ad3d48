from django.contrib import admin
from django.db.models import Count
from django.utils import timezone

from core.admin import ViewOnlyAdmin, ViewOnlyInline
from policies.admin import LadderAdmin as PolicyLadderAdmin
from policies.models import Ladder

from .ladder_versions import ladder_freeze_for_edit
from .models import LIVE_STATES, Attachment, Escalation, Participant, TimelineEntry


class TimelineInline(ViewOnlyInline):
    """The timeline, read-only: it is never edited, only appended to by the services."""

    model = TimelineEntry
    fields = ["at", "actor_name", "action", "from_state", "to_state", "stage_index", "note"]
    readonly_fields = fields
    ordering = ["at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="Who")
    def actor_name(self, obj: TimelineEntry) -> str:
        return obj.actor_name


class ParticipantInline(ViewOnlyInline):
    """Who was drawn in (and so may see it): shown, never changed here."""

    model = Participant
    fields = ["user", "reason"]
    readonly_fields = fields


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue now"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.not_overdue()
        return queryset


class LadderAdmin(PolicyLadderAdmin):
    """The ladder admin of ``policies``, with the escalations on each version: saving an edit keeps
    them on the version they were raised on, with a timeline entry each.

    Registered here, in place of the one ``policies`` registers, because only this app may know both.
    """

    list_display = [*PolicyLadderAdmin.list_display, "escalation_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(escalations_n=Count("escalations", distinct=True))

    @admin.display(description="Escalations on this version", ordering="escalations_n")
    def escalation_count(self, obj: Ladder) -> int:
        return obj.escalations_n

    def version_freeze(self, request, ladder: Ladder) -> Ladder:
        return ladder_freeze_for_edit(ladder_id=ladder.pk, actor=request.user)


admin.site.unregister(Ladder)
admin.site.register(Ladder, LadderAdmin)


@admin.register(Escalation)
class EscalationAdmin(ViewOnlyAdmin):
    """View only: every change goes through the services (the web app or the API), which write the timeline."""

    list_display = ["pk", "case", "ladder", "state", "risk_level", "stage_index", "holder", "stage_deadline",
                    "is_overdue_now", "raising_organisation", "receiving_organisation", "raised_at"]
    list_filter = ["state", OverdueFilter, "risk_level", "ladder__slug", "raising_organisation",
                   "receiving_organisation", ("board_logged_at", admin.EmptyFieldListFilter)]
    list_select_related = ["case", "ladder", "holder", "raising_organisation", "receiving_organisation"]
    search_fields = ["=id", "case__reference", "raised_by__username", "holder__username"]
    date_hierarchy = "raised_at"
    inlines = [ParticipantInline, TimelineInline]

    @admin.display(description="Overdue", boolean=True)
    def is_overdue_now(self, obj: Escalation) -> bool:
        return obj.state in LIVE_STATES and obj.is_overdue(timezone.now())



@admin.register(TimelineEntry)
class TimelineEntryAdmin(ViewOnlyAdmin):
    list_display = ["at", "escalation", "actor", "action", "from_state", "to_state", "stage_index"]
    list_filter = ["action", "to_state"]
    list_select_related = ["escalation__case", "actor"]
    search_fields = ["=escalation__id", "actor__username", "note"]
    date_hierarchy = "at"



@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "escalation", "uploaded_by", "uploaded_at", "size"]
    list_select_related = ["escalation__case", "uploaded_by"]
    search_fields = ["original_name", "=escalation__id"]
    readonly_fields = ["escalation", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False
