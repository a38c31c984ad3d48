"""An escalation climbing a ladder: its state machine, its timeline and what hangs off it.

Transitions change state in memory only and have no side effects; ``escalations.services`` is the
one door that checks permission, fires them, saves, writes the timeline and queues notifications.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from policies.models import RiskLevel


class State(models.TextChoices):
    OPEN = "open", "Open"
    MEETING_ARRANGED = "meeting_arranged", "Meeting arranged"
    RESPONDED = "responded", "Responded"
    IN_MEDIATION = "in_mediation", "In mediation"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_STATES = (State.OPEN, State.MEETING_ARRANGED, State.RESPONDED, State.IN_MEDIATION)
AWAITING_HOLDER = (State.OPEN, State.MEETING_ARRANGED)


class Basis(models.TextChoices):
    EVIDENCE = "evidence", "Evidence"
    PROFESSIONAL_JUDGEMENT = "professional_judgement", "Professional judgement (a gut feeling, owned as such)"


class Decision(models.TextChoices):
    AGREE = "agree", "Agree with the challenge: the decision changes"
    UPHOLD = "uphold", "Uphold the original decision"


class EscalationQuerySet(models.QuerySet):
    def live(self) -> "EscalationQuerySet":
        return self.filter(state__in=LIVE_STATES)

    def overdue(self, *, now: dt.datetime | None = None) -> "EscalationQuerySet":
        now = now or timezone.now()
        return self.filter(
            Q(state__in=AWAITING_HOLDER, stage_deadline__lte=now)
            | Q(state__in=LIVE_STATES, overall_deadline__lte=now)
        )

    def not_overdue(self, *, now: dt.datetime | None = None) -> "EscalationQuerySet":
        return self.exclude(pk__in=self.overdue(now=now).values("pk"))

    def visible_to(self, user) -> "EscalationQuerySet":
        """Every escalation this person may see; the single source of the read rule."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        from organisations.models import Role

        if user.role == Role.BOARD_MEMBER:
            return self.none()  # board members see aggregates only
        if user.role == Role.QAP_CHAIR:
            if user.partnership_id is None:
                return self.none()
            return self.filter(ladder__partnership_id=user.partnership_id, board_logged_at__isnull=False)
        below = user.reports_below()
        rule = Q(participants__user=user)
        if below:
            rule |= Q(raised_by_id__in=below) | Q(holder_id__in=below)
        if user.role == Role.PSW and user.organisation_id:
            rule |= Q(raising_organisation_id=user.organisation_id) | Q(receiving_organisation_id=user.organisation_id)
        return self.filter(pk__in=self.model.objects.filter(rule).values("pk"))

    def with_related(self) -> "EscalationQuerySet":
        return self.select_related(
            "case", "ladder", "holder", "raised_by", "raising_organisation", "receiving_organisation", "mediator"
        )


class Escalation(ConcurrentTransitionMixin, models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="escalations")
    ladder = models.ForeignKey("policies.Ladder", on_delete=models.PROTECT, related_name="escalations")
    raising_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="escalations_raised"
    )
    receiving_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, blank=True,
        related_name="escalations_received",
    )
    state = FSMField(default=State.OPEN, choices=State.choices, protected=True)
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices, default=RiskLevel.STANDARD)
    category = models.SlugField(max_length=80)
    decision_challenged = models.TextField()
    concern = models.TextField()
    basis = models.CharField(max_length=30, choices=Basis.choices)
    desired_outcome = models.TextField()

    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="escalations_raised")
    raised_at = models.DateTimeField(default=timezone.now)
    stage_index = models.PositiveIntegerField(default=0)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations_held"
    )
    stage_started_at = models.DateTimeField(default=timezone.now)
    stage_deadline = models.DateTimeField()
    overall_deadline = models.DateTimeField(null=True, blank=True)
    # The stage deadline whose missed-deadline rule has been applied; the clock acts once per deadline.
    missed_deadline_handled = models.DateTimeField(null=True, blank=True)
    overall_deadline_handled = models.BooleanField(default=False)

    meeting_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    rationale = models.TextField(blank=True)
    agreed_outcome = models.TextField(blank=True)
    outstanding_actions = models.TextField(blank=True)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="mediations"
    )
    board_logged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    times_reopened = models.PositiveIntegerField(default=0)
    times_auto_advanced = models.PositiveIntegerField(default=0)
    # Incremented by every change: a form or API call made on an older version is refused (409).
    version = models.PositiveIntegerField(default=1)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["state", "stage_deadline"], name="esc_due_stage"),
            models.Index(fields=["state", "overall_deadline"], name="esc_due_overall"),
            models.Index(fields=["holder", "state"], name="esc_holder_state"),
            models.Index(fields=["raised_by", "state"], name="esc_raiser_state"),
            models.Index(fields=["raising_organisation", "state"], name="esc_org_state"),
        ]

    def __str__(self) -> str:
        return f"Escalation {self.pk} on {self.case.reference}"

    # --- derived -----------------------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def stage(self):
        return self.ladder.stage(self.stage_index)

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.state in AWAITING_HOLDER and self.stage_deadline and self.stage_deadline <= now:
            return True
        return bool(self.is_live and self.overall_deadline and self.overall_deadline <= now)

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def category_label(self) -> str:
        return self.ladder.category_label(self.category)

    def next_stage_index(self) -> int | None:
        later = [s.index for s in self.ladder.stage_list() if s.index > self.stage_index]
        return min(later) if later else None

    # --- ladder conditions (pure) ------------------------------------------------------------------
    def _can_climb(self) -> bool:
        nxt = self.next_stage_index()
        if nxt is None:
            return False
        if self.ladder.stage(nxt).exceptional:
            # Bexley 3.6: only after the final decision, where concerns remain.
            return self.stage.final and self.state in (State.RESPONDED, State.RESOLVED)
        return self.state != State.RESOLVED

    def _is_multi_agency(self) -> bool:
        return self.ladder.mediation_allowed

    # --- transitions: state only, no side effects --------------------------------------------------
    @transition(field=state, source=State.OPEN, target=State.MEETING_ARRANGED)
    def arrange_meeting(self, *, meeting_at: dt.datetime) -> None:
        self.meeting_at = meeting_at

    @transition(
        field=state, source=[State.OPEN, State.MEETING_ARRANGED],
        target=RETURN_VALUE(State.RESPONDED, State.RESOLVED),
    )
    def respond(self, *, decision: str, rationale: str, now: dt.datetime) -> str:
        self.decision, self.rationale = decision, rationale
        if decision == Decision.UPHOLD and self.stage.final:
            self.resolved_at = self.closed_at = now
            return State.RESOLVED
        return State.RESPONDED

    @transition(field=state, source=State.RESPONDED, target=State.RESOLVED)
    def accept(self, *, agreed_outcome: str, outstanding_actions: str, now: dt.datetime) -> None:
        self.agreed_outcome, self.outstanding_actions = agreed_outcome, outstanding_actions
        self.resolved_at = self.closed_at = now

    @transition(
        field=state, source=[State.OPEN, State.MEETING_ARRANGED, State.RESPONDED, State.RESOLVED],
        target=State.OPEN, conditions=[_can_climb],
    )
    def escalate(self, *, to_stage: int) -> None:
        self.stage_index = to_stage
        self.resolved_at = self.closed_at = None

    @transition(field=state, source=[State.OPEN, State.MEETING_ARRANGED, State.RESPONDED], target=State.OPEN)
    def skip(self, *, to_stage: int) -> None:
        self.stage_index = to_stage

    @transition(field=state, source=list(LIVE_STATES), target=State.WITHDRAWN)
    def withdraw(self, *, now: dt.datetime) -> None:
        self.closed_at = now

    @transition(field=state, source=State.RESOLVED, target=State.OPEN)
    def reopen(self, *, to_stage: int) -> None:
        self.stage_index = to_stage
        self.resolved_at = self.closed_at = None
        self.times_reopened += 1

    @transition(
        field=state, source=[State.OPEN, State.MEETING_ARRANGED, State.RESPONDED], target=State.IN_MEDIATION,
        conditions=[_is_multi_agency],
    )
    def start_mediation(self, *, mediator) -> None:
        self.mediator = mediator

    @transition(field=state, source=State.IN_MEDIATION, target=RETURN_VALUE(State.RESOLVED, State.OPEN))
    def end_mediation(self, *, agreed: bool, note: str, now: dt.datetime) -> str:
        if agreed:
            self.agreed_outcome = note
            self.resolved_at = self.closed_at = now
            return State.RESOLVED
        return State.OPEN


class Participant(models.Model):
    """Someone drawn into an escalation (raiser, holder at any stage, mediator, actor): they may see it."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    reason = models.CharField(max_length=30)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "user"], name="one_participation")]


class TimelineQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("the timeline is append-only")

    def delete(self):
        raise PermissionError("the timeline is append-only")


class TimelineEntry(models.Model):
    """One thing that happened to an escalation: append-only, written on purpose by a service."""

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Empty for the system (the deadline clock).",
    )
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    stage_index = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)

    objects = TimelineQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["escalation", "at"], name="timeline_esc_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def actor_name(self) -> str:
        return self.actor.username if self.actor_id else "system"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the timeline is append-only")


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"escalation-{instance.escalation_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class Attachment(models.Model):
    """Minutes, e-mails, reports: stored outside any public path, served by a permission-checked view."""

    escalation = models.ForeignKey(Escalation, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name

