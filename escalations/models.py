"""An escalation climbing a ladder: its fields, its named querysets, its timeline and what hangs off it.

Its state machine is declared in ``escalations.actions``, one spec per action with its transition;
``Escalation`` inherits the transitions. They change state in memory only and have no side effects;
``escalations.services`` is the one door that checks permission, fires them, saves, writes the
timeline and queues notifications.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField

from audit.services import current_request
from core.models import AppendOnlyModel
from organisations.models import Organisation
from policies import clock
from policies.models import RiskLevel, Stage

from .actions import EscalationActions
from .holders import holder_organisation
from .states import AWAITING_HOLDER, LIVE_STATES, State
from .states import Decision as Decision  # re-exported: callers import the states with the model


class Basis(models.TextChoices):
    EVIDENCE = "evidence", "Evidence"
    PROFESSIONAL_JUDGEMENT = "professional_judgement", "Professional judgement (a gut feeling, owned as such)"


def overdue_condition(now: dt.datetime) -> Q:
    """Overdue, as a filter: ``Escalation.current_deadline`` has passed (``Escalation.is_overdue`` in SQL).

    The stage's deadline counts while the holder must act (open, meeting arranged); the overall
    one while the escalation is live.
    """
    return Q(state__in=AWAITING_HOLDER, stage_deadline__lte=now) | Q(state__in=LIVE_STATES, overall_deadline__lte=now)


def stage_unhandled_condition() -> Q:
    """Awaiting the holder with a stage deadline the clock has not handled yet (passed or not).

    The deadline sweep's stage condition, and the condition of the partial index ``esc_stage_unhandled``
    that serves it: written once, so that the database sees the index's condition in the query.
    """
    return Q(state__in=AWAITING_HOLDER) & (
        Q(missed_deadline_handled__isnull=True) | ~Q(missed_deadline_handled=F("stage_deadline"))
    )


def overall_unhandled_condition() -> Q:
    """Live with an overall deadline the clock has not handled yet (the partial index ``esc_overall_unhandled``)."""
    return Q(state__in=LIVE_STATES, overall_deadline__isnull=False, overall_deadline_handled=False)


def _participations(user) -> models.QuerySet:
    """The escalations the person is a party to (participant rows), as escalation ids."""
    return Participant.objects.filter(user_id=user.pk).values("escalation_id")


def _reports_below(user) -> set[int]:
    """``user.reports_below()`` (a statement a level of the chain), once a request: a page asks the read rule
    again for each action it offers. Outside a request (the clock, a command) it is asked each time."""
    request = current_request()
    if request is None:
        return user.reports_below()
    known: dict[int, frozenset[int]] = request.__dict__.setdefault("_reports_below", {})
    if user.pk not in known:
        known[user.pk] = frozenset(user.reports_below())
    return set(known[user.pk])


def _ids_union(*grounds: models.QuerySet) -> models.QuerySet:
    """The ids of the escalations any ground names, as one subquery (``SELECT id … UNION SELECT id …``)."""
    parts = [g.order_by().values("escalation_id") if g.model is Participant else g.order_by().values("pk")
             for g in grounds]
    first, *rest = parts
    return first.union(*rest) if rest else first


class EscalationQuerySet(models.QuerySet["Escalation"]):
    def live(self) -> EscalationQuerySet:
        return self.filter(state__in=LIVE_STATES)

    def overdue(self, *, now: dt.datetime | None = None) -> EscalationQuerySet:
        return self.filter(overdue_condition(now or timezone.now()))

    def not_overdue(self, *, now: dt.datetime | None = None) -> EscalationQuerySet:
        return self.exclude(pk__in=self.overdue(now=now).values("pk"))

    def visible_to(self, user) -> EscalationQuerySet:
        """Every escalation this person may see; the single source of the read rule."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_platform_staff:
            return self.none()  # platform staff are not parties (CONTRACT 8.6)
        from organisations.models import Role

        if user.role == Role.BOARD_MEMBER:
            return self.none()  # board members see aggregates only
        if user.is_administrator:
            return self.none()  # administrators run the organisation, never its cases (CONTRACT 8.6)
        if user.role == Role.QAP_CHAIR:
            if user.partnership_id is None:
                return self.none()
            # The escalations logged with the board, and those the chair was drawn into: told of a
            # mediation, or holding a resolution panel's stage (participant rows).
            return self.filter(pk__in=_ids_union(
                Escalation.objects.filter(ladder__partnership_id=user.partnership_id, board_logged_at__isnull=False),
                _participations(user),
            ))
        # One id subquery, a UNION of one index scan per ground, not an OR of conditions: PostgreSQL can
        # use no index for ``raised_by IN (…) OR id IN (subquery) OR …`` and reads the whole table; the
        # union reads only the rows each ground names. No join multiplies the rows, so nothing needs
        # DISTINCT (docs/performance.md).
        grounds = [_participations(user)]
        below = _reports_below(user)
        if below:
            grounds += [Escalation.objects.filter(raised_by_id__in=below),
                        Escalation.objects.filter(holder_id__in=below)]
        if user.role == Role.PSW and user.organisation_id:
            grounds += [Escalation.objects.filter(raising_organisation_id=user.organisation_id),
                        Escalation.objects.filter(receiving_organisation_id=user.organisation_id)]
        return self.filter(pk__in=_ids_union(*grounds))

    def with_related(self) -> EscalationQuerySet:
        """Join what a row shows, with both organisations' closure days (the red/amber/green status
        reads the holder organisation's calendar) in one query each, however many rows."""
        return self.select_related(
            "case", "ladder", "holder", "raised_by", "raising_organisation", "receiving_organisation", "mediator"
        ).prefetch_related("raising_organisation__closure_days", "receiving_organisation__closure_days")


class Escalation(EscalationActions, ConcurrentTransitionMixin, models.Model):
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
    # When the retention period erased its free text and attachments (escalations.retention); never undone.
    anonymised_at = models.DateTimeField(null=True, blank=True)
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
            # The PSW's overview (her organisation's live escalations, raised or received) and the read rule's
            # grounds for a PSW (every escalation it raised or received): the id in the index makes the
            # latter an index-only scan (docs/performance.md).
            models.Index(fields=["raising_organisation", "state", "id"], name="esc_org_state"),
            models.Index(fields=["receiving_organisation", "state", "id"], name="esc_received_state"),
            # Why each of these exists, with the plans before and after: docs/performance.md.
            models.Index(fields=["-raised_at", "-id"], name="esc_raised_desc"),
            models.Index(fields=["holder", "-raised_at", "-id"], name="esc_holder_raised"),
            models.Index(fields=["raised_by", "-raised_at", "-id"], name="esc_raiser_raised"),
            models.Index(fields=["raising_organisation", "raised_at"], name="esc_org_raised"),
            models.Index(fields=["stage_deadline"], condition=stage_unhandled_condition(),
                         name="esc_stage_unhandled"),
            models.Index(fields=["overall_deadline"], condition=overall_unhandled_condition(),
                         name="esc_overall_unhandled"),
            # The QA&P chair's board log: the few escalations logged with a board, newest first.
            models.Index(fields=["ladder", "-board_logged_at", "-id"], condition=Q(board_logged_at__isnull=False),
                         name="esc_board_logged"),
        ]

    def __str__(self) -> str:
        return f"Escalation {self.pk} on {self.case.reference}"

    # --- derived ---------------------------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def stage(self) -> Stage:
        return self.ladder.stage(self.stage_index)

    @property
    def deadline_organisation(self) -> Organisation:
        """The organisation whose calendar the current stage's deadlines fall on: its holder's."""
        return holder_organisation(stage=self.stage, raising_organisation=self.raising_organisation,
                                   receiving_organisation=self.receiving_organisation)

    @property
    def current_deadline(self) -> dt.datetime | None:
        """The deadline that matters now: the stage's while the holder must act, the overall one while it
        is live, whichever falls first; None once it is closed."""
        if self.state not in LIVE_STATES:
            return None
        candidates = [self.overall_deadline] if self.overall_deadline else []
        if self.state in AWAITING_HOLDER and self.stage_deadline:
            candidates.append(self.stage_deadline)
        return min(candidates) if candidates else None

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        """Whether the current deadline has passed (``overdue_condition`` says the same in SQL)."""
        due = self.current_deadline
        return due is not None and due <= (now or timezone.now())

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    def rag_status(self, now: dt.datetime | None = None) -> str:
        """Red (overdue), amber (due today or by the next working day), green, or grey (closed).

        The next working day is the holder organisation's: its closure days do not count.
        """
        if self.state not in LIVE_STATES:
            return "grey"
        now = now or timezone.now()
        if self.is_overdue(now):
            return "red"
        due = self.current_deadline
        if due is None:
            return "green"
        soon = clock.next_working_day(clock.local(now).date(),
                                      closure_days=self.deadline_organisation.closure_dates())
        return "amber" if clock.local(due).date() <= soon else "green"

    @property
    def category_label(self) -> str:
        return self.ladder.category_label(self.category)

    def next_stage_index(self) -> int | None:
        """The index of the stage above this one on its category's route (Bexley 3.8); None at the top."""
        return self.ladder.next_index(self.stage_index, category=self.category)

    def skip_targets(self) -> list[Stage]:
        """The stages a skip may reach: those the ladder names (Bexley 4.5, exceptional ones included), else
        any later ordinary stage; after the next one, unless the ladder lets a skip reach it (Stoke 5)."""
        ladder = self.ladder
        first = self.stage_index + (1 if ladder.skip_to_next else 2)
        named = set(ladder.skip_to_stages or ())
        return [
            stage for stage in ladder.stage_list()
            if stage.index >= first and (stage.index in named if named else not stage.exceptional)
        ]


class Participant(models.Model):
    """Someone drawn into an escalation (raiser, holder at any stage, mediator, actor): they may see it."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    reason = models.CharField(max_length=30)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["escalation", "user"], name="one_participation")]

    def __str__(self) -> str:
        # Ids, not names: an admin inline lists many rows and should not query once per row.
        return f"user {self.user_id} on escalation {self.escalation_id} ({self.reason})"


class TimelineEntry(AppendOnlyModel):
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

    append_only_name = "the timeline"
    # Free text retention's anonymisation may blank (core.models.anonymising): the rest is kept.
    append_only_erasable = ("note", "params")

    class Meta:
        base_manager_name = "objects"
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["escalation", "at"], name="timeline_esc_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def actor_name(self) -> str:
        return self.actor.username if self.actor is not None else "system"


class BoardLogKind(models.TextChoices):
    """What a case is logged with the partnership's QA&P chair for (Wiltshire 3a, 3b)."""

    SERIOUS_CONCERN = "serious_concern", "A serious concern (3a)"
    UNRESOLVED = "unresolved", "Unresolved: logged formally (3b)"


class BoardLog(models.Model):
    """One log of the escalation with the QA&P chair; at most one of each kind per escalation."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="board_logs")
    kind = models.CharField(max_length=20, choices=BoardLogKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["escalation", "kind"], name="one_board_log_a_kind")]

    def __str__(self) -> str:
        return f"escalation {self.escalation_id} logged {self.kind}"


class PanelMember(models.Model):
    """A member of the resolution panel the QA&P chair convened (001): they see the escalation."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="panel_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panels")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["escalation", "user"], name="one_panel_seat")]

    def __str__(self) -> str:
        return f"user {self.user_id} on the panel of escalation {self.escalation_id}"


class Debrief(models.Model):
    """A party's debrief after resolution (001: "to promote continuing good working relationships"); one each."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="debriefs")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [models.UniqueConstraint(fields=["escalation", "by"], name="one_debrief_a_party")]

    def __str__(self) -> str:
        return f"debrief by user {self.by_id} on escalation {self.escalation_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
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

