from django.contrib import admin

from .models import Attachment, Escalation, SystemicIssue, TimelineEntry


class TimelineInline(admin.TabularInline):
    """The timeline, read-only: it is never edited, only appended to by the services."""

    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "from_state", "to_state", "stage_index", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (the web app or the API)."""

    list_display = ["pk", "case", "ladder", "state", "risk_level", "stage_index", "holder", "stage_deadline", "raised_by"]
    list_filter = ["state", "risk_level", "ladder__slug", "raising_organisation"]
    search_fields = ["case__reference", "raised_by__username", "holder__username"]
    date_hierarchy = "raised_at"
    inlines = [TimelineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Escalation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "escalation", "actor", "action", "from_state", "to_state", "stage_index"]
    list_filter = ["action"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in TimelineEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SystemicIssue)
class SystemicIssueAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "kind", "status", "owner", "created_at"]
    list_filter = ["organisation", "kind", "status"]
    search_fields = ["title"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "escalation", "uploaded_by", "uploaded_at", "size"]
    readonly_fields = ["escalation", "file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]

    def has_add_permission(self, request):
        return False
