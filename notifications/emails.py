"""Compose and send notification e-mails: the escalation, the case reference and a link; never a child's name."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import EmailFrequency, Notification


def wants_now(notification: Notification) -> bool:
    if notification.urgent:
        return True
    pref = getattr(notification.recipient, "notification_preference", None)
    return pref is None or pref.email_frequency == EmailFrequency.IMMEDIATE


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Send each unsent, due-now notification once: the row is claimed before the mail leaves."""
    sent = 0
    rows = Notification.objects.filter(pk__in=notification_ids, email_sent_at__isnull=True).select_related(
        "recipient", "recipient__notification_preference", "escalation", "escalation__case"
    )
    for notification in rows:
        if not notification.recipient.email or not wants_now(notification):
            continue
        with transaction.atomic():
            claimed = Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=True).update(
                email_sent_at=timezone.now()
            )
            if not claimed:
                continue
            message_build(notification).send()
        sent += 1
    return sent


def message_build(notification: Notification) -> EmailMultiAlternatives:
    escalation = notification.escalation
    link = settings.SITE_URL.rstrip("/") + (
        reverse("escalations:detail", args=[escalation.pk]) if escalation else reverse("notifications:list")
    )
    context = {
        "notification": notification,
        "escalation": escalation,
        "reference": escalation.case.reference if escalation else "",
        "link": link,
        "recipient": notification.recipient,
    }
    subject = f"[Escalation Tracker] {notification.get_kind_display()}"
    if escalation:
        subject += f": escalation {escalation.pk} (case {escalation.case.reference})"
    text = render_to_string("notifications/email/notification.txt", context)
    html = render_to_string("notifications/email/notification.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
    message.attach_alternative(html, "text/html")
    return message
