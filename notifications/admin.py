from django.contrib import admin

from .models import DigestSent, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "escalation", "read_at", "email_sent_at", "urgent"]
    list_filter = ["kind", "urgent"]
    search_fields = ["recipient__username"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_frequency", "changed_at"]


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ["day", "recipient", "notification_count", "sent_at"]
    readonly_fields = [f.name for f in DigestSent._meta.fields]

    def has_add_permission(self, request):
        return False
