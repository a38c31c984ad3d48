"""Escalation ladders as data: stages, categories and per-risk-level rules, versioned."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from organisations.models import Organisation, Partnership, Role, Tier


class RiskLevel(models.TextChoices):
    STANDARD = "standard", "Standard"
    SIGNIFICANT_HARM = "significant_harm", "Undue or immediate risk of significant harm"
    IMMINENT = "imminent", "Imminent risk of significant harm"


class MissedDeadlineAction(models.TextChoices):
    NOTIFY = "notify", "Notify: tell the raiser they may proceed, remind the holder"
    ADVANCE = "advance", "Advance to the next stage automatically"


class SkipBy(models.TextChoices):
    RAISER = "raiser", "The person who raised it"
    PSW = "psw", "The principal social worker"


class LadderQuerySet(models.QuerySet):
    def current(self) -> LadderQuerySet:
        return self.filter(is_current=True)

    def usable_by(self, user) -> LadderQuerySet:
        """Current ladders a person may raise on: their organisation's or their partnership's,
        where the ladder names no raiser roles or names the person's role."""
        if getattr(user, "organisation_id", None) is None:
            return self.none()
        partnerships = list(user.organisation.partnerships.values_list("pk", flat=True))
        candidates = self.current().filter(Q(organisation_id=user.organisation_id) | Q(partnership__in=partnerships))
        allowed = [pk for pk, roles in candidates.values_list("pk", "raiser_roles") if not roles or user.role in roles]
        return self.filter(pk__in=allowed)


class Ladder(models.Model):
    """One version of an organisation's (or partnership's) escalation procedure."""

    slug = models.SlugField()
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="ladders",
        help_text="Single-agency ladders belong to an organisation.",
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="ladders",
        help_text="Multi-agency ladders belong to a partnership.",
    )
    source = models.CharField(max_length=200, blank=True, help_text="The published procedure it is read from.")
    description = models.TextField(blank=True)
    raiser_roles = models.JSONField(default=list, blank=True, help_text="Roles that may raise; empty: anyone.")
    skip_allowed = models.BooleanField(default=False, help_text="A stage may be skipped with a recorded reason.")
    skip_by = models.CharField(
        max_length=10, choices=SkipBy.choices, default=SkipBy.RAISER,
        help_text="Who may skip stages (Bexley 4.5: the PSW, and nobody else).",
    )
    skip_to_next = models.BooleanField(
        default=False, help_text="A skip may go to the next stage too (Stoke 5: any later stage); otherwise only "
                                 "to a stage after the next one.",
    )
    skip_to_stages = models.JSONField(
        default=list, blank=True,
        help_text="The stage numbers a skip may reach (exceptional ones included); empty: any later ordinary stage.",
    )
    allocated_worker_is_party = models.BooleanField(
        default=False, help_text="The case's allocated worker sees every escalation on it and is told of each step "
                                 "(Stoke 4).",
    )
    holder_named_on_raise = models.BooleanField(
        default=False, help_text="The raiser names the person the concern is about, who holds the first stage; "
                                 "later stages go up that person's line management (Stoke 9).",
    )
    mediation_allowed = models.BooleanField(default=False)
    board_logging_allowed = models.BooleanField(default=False)
    overall_working_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="The whole formal process must finish within this many working days."
    )
    overall_from_stage = models.PositiveIntegerField(default=1, help_text="The overall timescale starts here.")
    emergency_instruction = models.TextField(
        blank=True, help_text="Shown before anything else when the risk is imminent."
    )
    written_record_required = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LadderQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="unique_ladder_version"),
            models.UniqueConstraint(fields=["slug"], condition=Q(is_current=True), name="one_current_ladder"),
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | Q(partnership__isnull=False),
                name="ladder_has_an_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @property
    def multi_agency(self) -> bool:
        return self.partnership_id is not None

    @property
    def needs_receiving_organisation(self) -> bool:
        """Whether an escalation on it names the organisation whose decision it challenges."""
        return self.multi_agency or any(stage.in_receiving_organisation for stage in self.stage_list())

    def partnership_ids(self) -> list[int]:
        """The partnerships it spans: its own, or those its organisation belongs to."""
        if self.partnership_id:
            return [self.partnership_id]
        return list(self.organisation.partnerships.values_list("pk", flat=True))

    def stage_list(self) -> list[Stage]:
        cached = getattr(self, "_stage_list", None)
        if cached is None:
            cached = list(self.stages.all())
            self._stage_list = cached
        return cached

    def stage(self, index: int) -> Stage:
        for stage in self.stage_list():
            if stage.index == index:
                return stage
        raise Stage.DoesNotExist(f"{self.slug} has no stage {index}")

    def has_stage(self, index: int) -> bool:
        return any(stage.index == index for stage in self.stage_list())

    @property
    def last_index(self) -> int:
        return max(stage.index for stage in self.stage_list())

    def rule_for(self, risk_level: str) -> RiskRule:
        for rule in self.risk_rules.all():
            if rule.risk_level == risk_level:
                return rule
        raise RiskRule.DoesNotExist(f"{self.slug} has no rule for {risk_level}")

    def category_label(self, slug: str) -> str:
        for category in self.categories.all():
            if category.slug == slug:
                return category.label
        return slug

    def route(self, category: str) -> list[Stage]:
        """The stages an escalation of this category climbs, in order: the category's route (Bexley 3.8),
        or every stage. Read once per ladder instance."""
        routes = getattr(self, "_routes", None)
        if routes is None:
            routes = {category.slug: list(category.route) for category in self.categories.all() if category.route}
            self._routes = routes
        indices = routes.get(category)
        if not indices:
            return self.stage_list()
        return [stage for stage in self.stage_list() if stage.index in indices]

    def next_index(self, index: int, *, category: str) -> int | None:
        """The stage above ``index`` on the category's route; None at its top."""
        later = [stage.index for stage in self.route(category) if stage.index > index]
        return min(later) if later else None


class Stage(models.Model):
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="stages")
    index = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=40, choices=Role.choices, blank=True, help_text="Single-agency: who holds it.")
    tier = models.CharField(max_length=20, choices=Tier.choices, blank=True, help_text="Multi-agency: who holds it.")
    in_receiving_organisation = models.BooleanField(
        default=False, help_text="The holder is found in the receiving organisation."
    )
    working_days = models.PositiveIntegerField(help_text="Response time; 0 means the same day.")
    final = models.BooleanField(default=False, help_text="An upheld decision here ends the escalation.")
    exceptional = models.BooleanField(
        default=False, help_text="Entered by climbing only after a final decision, with a reason."
    )
    timescale_editable = models.BooleanField(
        default=False, help_text="The procedure sets no response time here: the owner's administrator may change it.",
    )
    allocated_worker_acts = models.BooleanField(
        default=False, help_text="The case's allocated worker may arrange a meeting and respond here, as well as "
                                 "the holder (Stoke 4: 'either by the social worker or team manager').",
    )

    class Meta:
        ordering = ["ladder", "index"]
        constraints = [
            models.UniqueConstraint(fields=["ladder", "index"], name="unique_stage_index"),
            models.CheckConstraint(condition=~Q(role="") | ~Q(tier=""), name="stage_has_role_or_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.index}: {self.name}"

    @property
    def responsible(self) -> str:
        return self.role or self.tier

    @property
    def panel(self) -> bool:
        """A resolution panel's stage (001): held by the ladder's partnership's QA&P chair, who convenes the panel."""
        return self.role == Role.QAP_CHAIR


class Category(models.Model):
    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="categories")
    slug = models.SlugField(max_length=80)
    label = models.CharField(max_length=300)
    group = models.CharField(max_length=200, blank=True, help_text="e.g. informal or formal concern list.")
    position = models.PositiveIntegerField(default=0)
    own = models.BooleanField(
        default=False, help_text="Added by the ladder's organisation or partnership, not read from the procedure.",
    )
    route = models.JSONField(
        default=list, blank=True,
        help_text="The stage numbers this kind of disagreement climbs, in order (Bexley 3.8: Service Manager, then "
                  "Deputy Director); empty: every stage.",
    )
    raiser_roles = models.JSONField(
        default=list, blank=True, help_text="Roles that may choose it (Bexley 3.9: legal advisers); empty: anyone.",
    )

    class Meta:
        ordering = ["ladder", "position", "label"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["ladder", "slug"], name="unique_category_slug")]

    def __str__(self) -> str:
        return self.label

    def open_to(self, role: str) -> bool:
        """Whether a person with this role may choose the category."""
        return not self.raiser_roles or role in self.raiser_roles


class RiskRule(models.Model):
    """How a ladder treats one risk level: where it enters, how fast, what a missed deadline does."""

    ladder = models.ForeignKey(Ladder, on_delete=models.CASCADE, related_name="risk_rules")
    risk_level = models.CharField(max_length=20, choices=RiskLevel.choices)
    entry_stage = models.PositiveIntegerField(default=0)
    entry_working_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Response time of the entry stage; 0 = same day; empty: the stage's own."
    )
    on_missed_deadline = models.CharField(
        max_length=10, choices=MissedDeadlineAction.choices, default=MissedDeadlineAction.NOTIFY
    )
    alert_psw = models.BooleanField(default=False, help_text="The PSW is alerted as soon as it is raised.")
    entry_fixed = models.BooleanField(
        default=False, help_text="Raising always enters at the entry stage (a raiser may not choose another)."
    )

    class Meta:
        ordering = ["ladder", "risk_level"]
        constraints = [models.UniqueConstraint(fields=["ladder", "risk_level"], name="one_rule_a_risk_level")]

    def __str__(self) -> str:
        return f"{self.ladder.slug} {self.risk_level}"
