"""Compose and send notification e-mails: the escalation, the case reference and a link; never a child's name.

One plain-text and one HTML layout (``notifications/email/notification.txt|html``) state what
happened, the escalation's details and what to do next; the next step is written per kind, and per
part the reader plays, in ``notifications/email/next/<kind>.txt``. The PSW's daily digest and a
person's daily digest have layouts of their own.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.text import day_words, when_dated
from policies.models import Ladder

from .calendar import CANCEL, MEETING_LENGTH, Meeting, meeting_calendar
from .models import EmailFrequency, Invitation, Kind, Notification
from .texts import part_of, when

SUBJECT_PREFIX = "[Escalation Tracker]"
RISK_WORDS = {"standard": "standard", "significant_harm": "significant harm", "imminent": "imminent risk"}

# The subject line per kind; {ref} is "escalation N, case REF", {due} the deadline in words.
SUBJECTS: dict[str, str] = {
    Kind.ESCALATION_RAISED: "Escalation raised: {ref}",
    Kind.PSW_ALERT: "Urgent: {risk} escalation raised, {ref}",
    Kind.STAGE_ESCALATED: "Escalated to {stage}: {ref}",
    Kind.MEETING_ARRANGED: "Meeting arranged: {ref}",
    Kind.RESPONSE_RECORDED: "Decision recorded: {ref}",
    Kind.DEADLINE_MISSED: "Deadline missed: {ref}",
    Kind.AUTO_ADVANCED: "Moved to {stage} by the deadline clock: {ref}",
    Kind.OVERALL_DEADLINE_MISSED: "Overall timescale missed: {ref}",
    Kind.RESOLVED: "Resolved: {ref}",
    Kind.WITHDRAWN: "Withdrawn: {ref}",
    Kind.REOPENED: "Reopened at {stage}: {ref}",
    Kind.BOARD_LOGGED: "Logged with the QA&P sub-group: {ref}",
    Kind.MEDIATION_STARTED: "Mediation started: {ref}",
    Kind.MEDIATION_ENDED: "Mediation ended: {ref}",
    Kind.REASSIGNED: "Reassigned: {ref}",
    Kind.PANEL_CONVENED: "Resolution panel convened: {ref}",
    Kind.ALLOCATED_WORKER_CHANGED: "A case allocated to you is escalated: {ref}",
    Kind.DEADLINE_REMINDER: "Response due by {due}: {ref}",
    Kind.PSW_DIGEST: "Overdue escalations in {organisation} on {day}",
    Kind.WEBHOOK_FAILING: "A webhook endpoint is failing",
}


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def escalation_link(escalation_id: int) -> str:
    return site_link(reverse("escalations:detail", args=[escalation_id]))


def wants_now(notification: Notification) -> bool:
    """Say whether this notification's e-mail goes now (else it waits for the digest, or never)."""
    if notification.urgent:
        return True
    pref = getattr(notification.recipient, "notification_preference", None)
    frequency = pref.email_frequency if pref is not None else EmailFrequency.IMMEDIATE
    if notification.kind == Kind.PSW_DIGEST:
        # Already a once-a-day summary: it goes unless the person chose no e-mail at all.
        return frequency != EmailFrequency.NONE
    return frequency == EmailFrequency.IMMEDIATE


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Send each unsent, due-now notification once: the row is claimed before the mail leaves.

    The claim and the send share one transaction: if the backend fails, the claim is undone and a
    retry sends it; if a second task claims first, this one skips it. The batch's messages go through
    one connection to the mail server, opened when the first is sent.
    """
    sent = 0
    rows = list(Notification.objects.filter(pk__in=notification_ids, email_sent_at__isnull=True).select_related(
        "recipient", "recipient__notification_preference", "escalation", "escalation__case",
        "escalation__ladder", "escalation__holder", "escalation__raised_by", "escalation__mediator",
    ))
    _ladders_share(rows)
    with _MailConnection() as mail:
        for notification in rows:
            if not notification.recipient.email or not wants_now(notification):
                continue
            with transaction.atomic():
                claimed = Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=True).update(
                    email_sent_at=timezone.now()
                )
                if not claimed:
                    continue
                mail.send(message_build(notification))
            sent += 1
    return sent


class _MailConnection:
    """One connection to the mail server for a batch of messages, opened by the first that is sent (a
    batch whose rows were all sent already opens none) and closed at the end of the batch, however it ends.

    Each message still leaves inside its own claim's transaction: a failure part-way undoes only the
    claim of the message that failed, and the task's retry sends the rest.
    """

    def __init__(self) -> None:
        self.connection = None

    def send(self, message: EmailMultiAlternatives) -> None:
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        message.connection = self.connection
        message.send()

    def __enter__(self) -> _MailConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.connection is not None:
            self.connection.close()


def _ladders_share(notifications: list[Notification]) -> None:
    """Give the escalations of one ladder one instance of it, its stages read once for all of them: each
    e-mail names a stage, and each escalation's own copy read the ladder's stages again (half of an
    e-mail's time when the clock's notifications go out together)."""
    ladders: dict[int, Ladder] = {}
    for notification in notifications:
        escalation = notification.escalation
        if escalation is not None:
            escalation.ladder = ladders.setdefault(escalation.ladder_id, escalation.ladder)
    prefetch_related_objects(list(ladders.values()), "stages")


def _subject(notification: Notification) -> str:
    escalation = notification.escalation
    fields = {"ref": "", "stage": "", "due": when(notification.deadline), "risk": "",
              "organisation": notification.params.get("organisation", ""),
              "day": notification.params.get("day_words", "")}
    if escalation is not None:
        fields.update(
            ref=f"escalation {escalation.pk}, case {escalation.case.reference}",
            stage=escalation.ladder.stage(notification.stage_index).name
            if notification.stage_index is not None else escalation.stage.name,
            risk=RISK_WORDS.get(escalation.risk_level, escalation.risk_level),
        )
    template = SUBJECTS.get(notification.kind, "{ref}")
    return f"{SUBJECT_PREFIX} {template.format(**fields)}"


def email_context(notification: Notification) -> dict:
    escalation = notification.escalation
    context: dict = {
        "notification": notification,
        "recipient": notification.recipient,
        "escalation": escalation,
        "link": escalation_link(escalation.pk) if escalation else site_link(reverse("notifications:list")),
        "notifications_link": site_link(reverse("notifications:list")),
        "preferences_link": site_link(reverse("notifications:preferences")),
        "part": part_of(escalation, notification.recipient) if escalation else "other",
        "is_mediator": bool(escalation and escalation.mediator_id == notification.recipient_id),
    }
    if escalation is not None:
        context.update(
            reference=escalation.case.reference,
            stage_name=escalation.stage.name,
            holder_name=escalation.holder.display_name if escalation.holder_id else "Nobody yet",
            deadline_words=when(escalation.stage_deadline),
            overall_deadline_words=when(escalation.overall_deadline) if escalation.overall_deadline else "",
            live=escalation.is_live,
        )
    if notification.kind == Kind.PSW_DIGEST:
        context["overdue"] = [
            {**item, "link": escalation_link(item["id"]),
             "deadline_words": when(dt.datetime.fromisoformat(item["deadline"]))}
            for item in notification.params.get("overdue", [])
        ]
    return context


def message_build(notification: Notification) -> EmailMultiAlternatives:
    """Build the e-mail of one notification from its kind's plain-text and HTML templates."""
    context = email_context(notification)
    # The PSW's digest lists many escalations; every other kind describes one, with its next step.
    name = "psw_digest" if notification.kind == Kind.PSW_DIGEST else "notification"
    text = render_to_string(f"notifications/email/{name}.txt", context)
    html = render_to_string(f"notifications/email/{name}.html", context)
    message = EmailMultiAlternatives(_subject(notification), text, settings.DEFAULT_FROM_EMAIL,
                                     [notification.recipient.email])
    message.attach_alternative(html, "text/html")
    return message


def digest_message_build(*, recipient, notifications: list[Notification], day: dt.date) -> EmailMultiAlternatives:
    """Build one person's daily digest of the notifications that waited for it."""
    items = [
        {"notification": n, "link": escalation_link(n.escalation_id) if n.escalation_id else None}
        for n in notifications
    ]
    context = {
        "recipient": recipient, "items": items, "day_words": day_words(day),
        "notifications_link": site_link(reverse("notifications:list")),
        "preferences_link": site_link(reverse("notifications:preferences")),
    }
    subject = f"{SUBJECT_PREFIX} Your daily digest: {len(items)} notification{'s' if len(items) != 1 else ''}"
    text = render_to_string("notifications/email/daily_digest.txt", context)
    html = render_to_string("notifications/email/daily_digest.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    message.attach_alternative(html, "text/html")
    return message


# --- meeting invitations --------------------------------------------------------------------------
class InvitationMessage(EmailMultiAlternatives):
    """An e-mail whose ``text/calendar`` alternative carries its iTIP method as a Content-Type parameter
    (RFC 6047 2.4: ``text/calendar; method=REQUEST``), which mail clients read to offer accept and decline;
    Django's alternatives take a bare MIME type, so the part is given its parameter here."""

    def __init__(self, *args, method: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.method = method

    def _create_mime_attachment(self, content, mimetype):
        part = super()._create_mime_attachment(content, mimetype)
        if mimetype == "text/calendar":
            part.set_param("method", self.method, requote=False)
        return part


def invitation_message_build(invitation: Invitation) -> InvitationMessage:
    """The e-mail of one invitation: a few lines of text, the calendar as an alternative and as an .ics file."""
    meeting = Meeting.from_params(invitation.meeting)
    ical = meeting_calendar(meeting, method=invitation.method, stamp=invitation.created_at)
    cancelled = invitation.method == CANCEL
    updated = not cancelled and meeting.sequence > 0
    verb = "Cancelled" if cancelled else "Updated invitation" if updated else "Invitation"
    context = {
        "recipient": invitation.recipient, "meeting": meeting, "cancelled": cancelled, "updated": updated,
        "escalation_id": invitation.escalation_id, "when": when_dated(meeting.starts_at),
        "minutes": int(MEETING_LENGTH.total_seconds() // 60), "link": meeting.url,
    }
    text = render_to_string("notifications/email/invitation.txt", context)
    message = InvitationMessage(f"{SUBJECT_PREFIX} {verb}: {meeting.summary}", text, settings.DEFAULT_FROM_EMAIL,
                                [invitation.recipient.email], method=invitation.method)
    message.attach_alternative(ical, "text/calendar")
    message.attach("meeting.ics" if not cancelled else "cancelled.ics", ical.encode("utf-8"), "application/ics")
    return message


def invitation_emails_send(*, invitation_ids: list[int]) -> int:
    """Send each unsent invitation once, as ``notification_emails_send`` does: claimed, then sent, in one
    transaction, so a failed send is undone and retried and a second task skips what the first sent."""
    sent = 0
    with _MailConnection() as mail:
        for invitation in Invitation.objects.filter(pk__in=invitation_ids, email_sent_at__isnull=True).select_related(
                "recipient"):
            if not invitation.recipient.email:
                continue
            with transaction.atomic():
                claimed = Invitation.objects.filter(pk=invitation.pk, email_sent_at__isnull=True).update(
                    email_sent_at=timezone.now())
                if not claimed:
                    continue
                mail.send(invitation_message_build(invitation))
            sent += 1
    return sent
