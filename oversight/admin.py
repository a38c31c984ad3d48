"""The systemic issues register in the admin: shown, never changed here (the PSW's pages change it,
through the services, which write the history)."""
from django.contrib import admin

from escalations.admin import ViewOnlyAdmin

from .models import SystemicIssue, SystemicIssueEvent


class SystemicIssueEventInline(admin.TabularInline):
    """The issue's history, read-only: it is never edited, only appended to by the services."""

    model = SystemicIssueEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "kind", "params"]
    readonly_fields = fields
    ordering = ["at", "pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SystemicIssue)
class SystemicIssueAdmin(ViewOnlyAdmin):
    list_display = ["title", "organisation", "kind", "status", "owner", "created_at"]
    list_filter = ["organisation", "kind", "status"]
    list_select_related = ["organisation", "owner"]
    search_fields = ["title", "description"]
    inlines = [SystemicIssueEventInline]


@admin.register(SystemicIssueEvent)
class SystemicIssueEventAdmin(ViewOnlyAdmin):
    list_display = ["at", "issue", "kind", "actor"]
    list_filter = ["kind"]
    list_select_related = ["issue", "actor"]
    search_fields = ["issue__title", "actor__username"]
    date_hierarchy = "at"
