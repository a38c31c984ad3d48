"""Notification settings in the Django admin. The notifications themselves are not shown: their words
name escalations and cases, which platform staff do not read (CONTRACT section 8.6)."""
from django.contrib import admin

from .models import DigestSent, Preference


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_frequency", "changed_at"]


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient", "notification_count", "sent_at"]
    readonly_fields = [f.name for f in DigestSent._meta.fields]

    def has_add_permission(self, request):
        return False
