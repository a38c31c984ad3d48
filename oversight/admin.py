"""The systemic issues register in the admin: shown, never changed here (the PSW's pages change it,
through the services, which write the history)."""
from django.contrib import admin

from core.admin import ViewOnlyAdmin, ViewOnlyInline

from .models import SystemicIssue, SystemicIssueEvent


class SystemicIssueEventInline(ViewOnlyInline):
    """The issue's history, read-only: it is never edited, only appended to by the services."""

    model = SystemicIssueEvent
    fields = ["at", "actor", "kind", "params"]
    readonly_fields = fields
    ordering = ["at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(SystemicIssue)
class SystemicIssueAdmin(ViewOnlyAdmin):
    list_display = ["title", "organisation", "kind", "status", "owner", "created_at"]
    list_filter = ["organisation", "kind", "status"]
    list_select_related = ["organisation", "owner"]
    search_fields = ["title", "description"]
    inlines = [SystemicIssueEventInline]
    # The linked escalations name their cases: platform staff do not read them (CONTRACT section 8.6).
    exclude = ["escalations"]


@admin.register(SystemicIssueEvent)
class SystemicIssueEventAdmin(ViewOnlyAdmin):
    list_display = ["at", "issue", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["issue", "actor"]
    search_fields = ["issue__title", "actor__username"]
    date_hierarchy = "at"
