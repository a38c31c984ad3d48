"""Reads for the notification centre: only ever the signed-in person's own notifications."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import EmailFrequency, Notification, Preference


def notification_list(*, user, unread_only: bool = False) -> QuerySet[Notification]:
    """Return this person's notifications, newest first, with what the list shows of each escalation."""
    rows = Notification.objects.filter(recipient=user).select_related("escalation", "escalation__case")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-pk")


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preference_get(*, user) -> Preference:
    """Return this person's e-mail preference (unsaved default, straight away, if never chosen)."""
    preference = Preference.objects.filter(user=user).first()
    return preference or Preference(user=user, email_frequency=EmailFrequency.IMMEDIATE)
