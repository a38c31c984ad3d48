from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The administrators' audit log, read only: it is a record, written by the services."""

    list_display = ["at", "kind", "subject", "actor", "organisation", "partnership"]
    list_filter = ["kind", "organisation", "partnership"]
    list_select_related = ["actor", "organisation", "partnership"]
    search_fields = ["subject", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
