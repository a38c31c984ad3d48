from django.contrib import admin

from .models import ScimToken


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """Which organisations have SCIM tokens and when each was last used; made with ``scim_token``."""

    list_display = ["organisation", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation"]
    readonly_fields = ["organisation", "name", "key_hash", "created_at", "last_used_at"]
    fields = ["organisation", "name", "key_hash", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a token's key is shown once, by the command
