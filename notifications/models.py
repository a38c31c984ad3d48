"""In-app notifications (and the e-mails sent for them), one per recipient, kind and event."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    # CONTRACT section 7
    ESCALATION_RAISED = "escalation_raised", "Escalation raised"
    STAGE_ESCALATED = "stage_escalated", "Escalated to the next stage"
    DEADLINE_MISSED = "deadline_missed", "Deadline missed"
    AUTO_ADVANCED = "auto_advanced", "Advanced by the clock"
    RESPONSE_RECORDED = "response_recorded", "Response recorded"
    RESOLVED = "resolved", "Resolved"
    PSW_ALERT = "psw_alert", "Alert for the principal social worker"
    BOARD_LOGGED = "board_logged", "Logged with the board"
    # Further events
    MEETING_ARRANGED = "meeting_arranged", "Meeting arranged"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REOPENED = "reopened", "Reopened"
    MEDIATION_STARTED = "mediation_started", "Mediation started"
    MEDIATION_ENDED = "mediation_ended", "Mediation ended"
    REASSIGNED = "reassigned", "Reassigned"
    DEADLINE_REMINDER = "deadline_reminder", "Deadline approaching"
    OVERALL_DEADLINE_MISSED = "overall_deadline_missed", "Overall timescale missed"
    PSW_DIGEST = "psw_digest", "Daily overdue digest"
    PANEL_CONVENED = "panel_convened", "Resolution panel convened"
    ALLOCATED_WORKER_CHANGED = "allocated_worker_changed", "Allocated worker changed"
    # About an organisation, not an escalation: its administrators are told (webhooks.delivery).
    WEBHOOK_FAILING = "webhook_failing", "Webhook endpoint failing"


# The kinds about no one escalation: each carries its own message, and the escalations' recipient table has
# no row for them (the PSW's digest: oversight.digests; a failing webhook endpoint: webhooks.delivery).
ORGANISATION_WIDE_KINDS = frozenset({Kind.PSW_DIGEST, Kind.WEBHOOK_FAILING})


class Notification(models.Model):
    # No index of its own: every query by recipient is served by the two indexes that begin with it
    # (Meta), and each index is one more write for each of the sweep's notifications (docs/performance.md).
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                                  db_index=False)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    escalation = models.ForeignKey(
        "escalations.Escalation", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    stage_index = models.PositiveIntegerField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    # recipient, kind, escalation, stage, deadline (and event) in one string: the database refuses
    # a second row with the same key, so a retried task or a double sweep never notifies twice.
    dedupe_key = models.CharField(max_length=255)  # unique: Meta.constraints
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    urgent = models.BooleanField(default=False)
    # Structured detail for the e-mail (the PSW digest's list of overdue escalations); never a child's name.
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            # A person's list, newest first, read straight off the index (docs/performance.md).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_recent"),
            # No index on (email_sent_at, urgent): the e-mails are sent by id and the digest reads one
            # person's rows (notif_recipient_unread or notif_recipient_recent); no query read it.
        ]
        constraints = [
            # A constraint, not ``unique=True``, which on PostgreSQL adds a second index on the key for
            # LIKE, that no query uses (docs/performance.md).
            models.UniqueConstraint(fields=["dedupe_key"], name="notif_dedupe_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def read(self) -> bool:
        return self.read_at is not None


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "Straight away"
    DAILY_DIGEST = "daily_digest", "A daily digest (urgent messages still come straight away)"
    NONE = "none", "No e-mail (urgent messages still come straight away)"


class Preference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference",
    )
    email_frequency = models.CharField(max_length=20, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE)
    # When the frequency was last chosen: a first digest covers only what arrived since then, so
    # someone moving from "no e-mail" to the digest is not sent months of old news.
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_frequency}"


class DigestSent(models.Model):
    """One daily digest e-mail sent to one person: the database refuses a second on the same day."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent")
    day = models.DateField(help_text="The local (Europe/London) date of the digest.")
    sent_at = models.DateTimeField(default=timezone.now)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_a_day")]

    def __str__(self) -> str:
        return f"digest for {self.recipient_id} on {self.day:%Y-%m-%d}"


class InvitationMethod(models.TextChoices):
    """The iTIP method of a meeting invitation's message (RFC 5546)."""

    REQUEST = "REQUEST", "Invitation or update"
    CANCEL = "CANCEL", "Cancellation"


class Invitation(models.Model):
    """One version of a meeting's calendar invitation (or its cancellation) for one person.

    Written in the transaction of the change that caused it and e-mailed after it commits
    (``emails.invitation_emails_send``), so a change that rolled back sends nothing and a failed send is
    retried. The rows of one meeting share its ``uid``; ``sequence`` numbers its versions (the iCalendar
    SEQUENCE), so the next version of a meeting is one more than the highest here. ``meeting`` is the
    version's VEVENT as data (``calendar.Meeting.as_params``): the escalation's number, stage and link, the
    organiser and the attendees; never a child's name or a case reference.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    escalation = models.ForeignKey("escalations.Escalation", on_delete=models.CASCADE, related_name="invitations")
    uid = models.CharField(max_length=255)
    sequence = models.PositiveIntegerField()
    method = models.CharField(max_length=10, choices=InvitationMethod.choices)
    meeting = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # One message per person and version of a meeting: a repeated change or a retried batch adds none.
            models.UniqueConstraint(fields=["uid", "sequence", "recipient"], name="one_invitation_per_version"),
        ]
        indexes = [models.Index(fields=["escalation", "uid", "sequence"], name="invitation_versions")]

    def __str__(self) -> str:
        return f"{self.method} {self.uid} #{self.sequence} for {self.recipient_id}"
