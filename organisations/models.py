"""Organisations, partnerships, teams and the people who work in them."""
from __future__ import annotations

import datetime as dt

import rules
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class OrganisationKind(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", "Local authority children's services"
    NURSERY = "nursery", "Nursery or early years setting"
    HEALTH = "health", "Health"
    POLICE = "police", "Police"
    OTHER = "other", "Other agency"


class Role(models.TextChoices):
    """What a person does; ladders name these (single-agency) or a tier they map to (multi-agency)."""

    PRACTITIONER = "practitioner", "Practitioner"
    SOCIAL_WORKER = "social_worker", "Social worker"
    ASSISTANT_TEAM_MANAGER = "assistant_team_manager", "Assistant team manager"
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"
    STRATEGIC_MANAGER = "strategic_manager", "Strategic manager"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"
    ASSISTANT_DIRECTOR = "assistant_director", "Assistant director"
    DEPUTY_DIRECTOR = "deputy_director", "Deputy director"
    DIRECTOR = "director", "Director of children's services"
    PSW = "psw", "Principal social worker"
    CONFERENCE_REVIEW_MANAGER = "conference_review_manager", "Conference and review manager"
    DESIGNATED_SAFEGUARDING_LEAD = "designated_safeguarding_lead", "Designated safeguarding lead"
    NURSERY_MANAGER = "nursery_manager", "Nursery manager"
    OWNER = "owner", "Owner"
    LEGAL_ADVISER = "legal_adviser", "Legal adviser"
    QAP_CHAIR = "qap_chair", "QA&P sub-group chair"
    BOARD_MEMBER = "board_member", "Partnership board member"
    ORG_ADMIN = "org_admin", "Organisation administrator"
    PARTNERSHIP_ADMIN = "partnership_admin", "Partnership administrator"


# The partnership's roles, who belong to no organisation's staff: they see aggregates (and the QA&P chair,
# escalations logged with the board), never raise or hold one.
BOARD_ROLES = (Role.BOARD_MEMBER, Role.QAP_CHAIR)

# The people who run the product for an organisation or a partnership: they never raise, hold or see
# an escalation (CONTRACT section 8.6 and the administration pages).
ADMIN_ROLES = (Role.ORG_ADMIN, Role.PARTNERSHIP_ADMIN)

# The product's permissions a platform account keeps (CONTRACT section 8.6): the themes report is made of
# aggregates only, never an escalation, a case or a child's name.
PLATFORM_PERMISSIONS = frozenset({"escalations.view_reports"})


class Tier(models.TextChoices):
    """The levels of a multi-agency ladder, each organisation mapping its roles onto them."""

    PRACTITIONER = "practitioner", "Practitioner"
    MANAGER = "manager", "Manager"
    SENIOR_MANAGER = "senior_manager", "Senior manager"
    SENIOR_LEADER = "senior_leader", "Senior leader"


# CONTRACT section 4: the default role -> tier mapping by kind of organisation.
DEFAULT_TIERS: dict[str, dict[str, str]] = {
    OrganisationKind.LOCAL_AUTHORITY: {
        Role.SOCIAL_WORKER: Tier.PRACTITIONER,
        Role.PRACTITIONER: Tier.PRACTITIONER,
        Role.TEAM_MANAGER: Tier.MANAGER,
        Role.SERVICE_MANAGER: Tier.SENIOR_MANAGER,
        Role.HEAD_OF_SERVICE: Tier.SENIOR_LEADER,
    },
    OrganisationKind.NURSERY: {
        Role.PRACTITIONER: Tier.PRACTITIONER,
        Role.DESIGNATED_SAFEGUARDING_LEAD: Tier.MANAGER,
        Role.NURSERY_MANAGER: Tier.SENIOR_MANAGER,
        Role.OWNER: Tier.SENIOR_LEADER,
    },
}


# How long a closed escalation is kept in full (CONTRACT 8, issue 14 item 8). The procedures keep the record
# of a disagreement on the child's file (004: "retained on the child's chronology / agency database";
# 003 section 6: the escalation form on the case-management system; 001: decisions recorded in writing):
# the tracker's copy is a working copy. A year after closing covers the year's themes report to the board
# and a decision overturned higher up; afterwards the free text is erased and the timeline kept.
RETENTION_DEFAULT_DAYS = 365
RETENTION_MIN_DAYS = 30  # a month: the debriefs and a reopening after resolution happen within weeks
RETENTION_MAX_DAYS = 6 * 365  # six years: the Limitation Act 1980's period, the longest a record is kept for a claim


class Partnership(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    members = models.ManyToManyField("Organisation", related_name="partnerships", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganisationQuerySet(models.QuerySet):
    def partners_under(self, ladder, *, excluding: int | None = None) -> OrganisationQuerySet:
        """The organisations in the partnerships a ladder spans (``Ladder.partnership_ids``), but ``excluding``."""
        return self.filter(partnerships__in=ladder.partnership_ids()).exclude(pk=excluding).distinct()


class Organisation(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.LOCAL_AUTHORITY)
    close_of_business = models.TimeField(default=dt.time(17, 0), help_text="Deadlines fall at this local time.")
    emergency_contacts = models.TextField(
        blank=True, help_text="Shown before anything else when someone raises an imminent-risk escalation."
    )
    out_of_hours_contacts = models.TextField(
        blank=True, help_text="Who to call outside working hours (an emergency duty team); shown beside the "
                              "emergency contacts and when a same-day escalation is raised after close of business.",
    )
    active_staff = models.PositiveIntegerField(
        default=0, help_text="Staff count used for 'escalations per 100 staff' (0: count active users)."
    )
    retention_days = models.PositiveIntegerField(
        default=RETENTION_DEFAULT_DAYS,
        validators=[MinValueValidator(RETENTION_MIN_DAYS), MaxValueValidator(RETENTION_MAX_DAYS)],
        help_text="Days a closed escalation is kept in full; then its free text and attachments are erased "
                  "and its timeline kept (escalations.retention).",
    )
    require_two_factor = models.BooleanField(
        default=False,
        help_text="Everyone signing in with a password also gives a code from an authenticator app.",
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def closure_dates(self) -> frozenset[dt.date]:
        """Return the organisation's closure days (cached on the instance)."""
        cached = getattr(self, "_closure_dates", None)
        if cached is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("closure_days")
            if prefetched is not None:  # a list prefetched them for all its rows at once
                cached = frozenset(day.date for day in prefetched)
            else:
                cached = frozenset(self.closure_days.values_list("date", flat=True))
            self._closure_dates = cached
        return cached

    def tier_of(self, role: str) -> str | None:
        mapping = getattr(self, "_tier_map", None)
        if mapping is None:
            mapping = dict(self.tier_mappings.values_list("role", "tier"))
            self._tier_map = mapping
        return mapping.get(role)

    def roles_for_tier(self, tier: str) -> list[str]:
        """Return the roles mapped onto a tier, in the order they were mapped (the holder rule prefers the first)."""
        return list(self.tier_mappings.filter(tier=tier).order_by("pk").values_list("role", flat=True))


class ClosureDay(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organisation", "date"], name="one_closure_a_day")]

    def __str__(self) -> str:
        return f"{self.organisation.slug} closed {self.date:%d %b %Y}"


class TierMapping(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tier_mappings")
    role = models.CharField(max_length=40, choices=Role.choices)
    tier = models.CharField(max_length=20, choices=Tier.choices)

    class Meta:
        ordering = ["organisation", "tier"]
        constraints = [models.UniqueConstraint(fields=["organisation", "role"], name="one_tier_a_role")]

    def __str__(self) -> str:
        return f"{self.organisation.slug}: {self.role} → {self.tier}"


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_team_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.slug})"


class User(AbstractUser):
    """A member of staff, or a partnership's board member or QA&P chair (no organisation needed)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="staff", null=True, blank=True
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="board", null=True, blank=True,
        help_text="For the partnership's QA&P chair and board members.",
    )
    role = models.CharField(max_length=40, choices=Role.choices, default=Role.PRACTITIONER)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    line_manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    job_title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs) -> None:
        """Save; a new password also ends every API token the person holds (their sessions end through
        Django's session hash)."""
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from .tokens import tokens_end

            tokens_end(user=self)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_psw(self) -> bool:
        return self.role == Role.PSW

    @property
    def is_board_user(self) -> bool:
        return self.role in BOARD_ROLES

    @property
    def is_administrator(self) -> bool:
        """An organisation's or partnership's administrator: runs the product, never sees case data."""
        return self.role in ADMIN_ROLES

    @property
    def is_platform_staff(self) -> bool:
        """A Django superuser or staff account: it runs the platform and is never a party (CONTRACT 8.6)."""
        return self.is_superuser or self.is_staff

    def has_perm(self, perm: str, obj=None) -> bool:
        """Django's answer, except that a platform account holds none of the product's own permissions
        (those registered with ``rules``), whatever Django's superuser shortcut would say (CONTRACT 8.6).

        The Django admin's model permissions are untouched: platform staff keep the admin.
        """
        if self.is_platform_staff and rules.perm_exists(perm) and perm not in PLATFORM_PERMISSIONS:
            return False
        return super().has_perm(perm, obj)

    def line_managers(self) -> list[User]:
        """Return the chain above this person, nearest first (stops on a loop)."""
        chain: list[User] = []
        seen = {self.pk}
        current = self.line_manager
        while current is not None and current.pk not in seen:
            chain.append(current)
            seen.add(current.pk)
            current = current.line_manager
        return chain

    def reports_below(self) -> set[int]:
        """Return the ids of everyone this person manages, directly or further down."""
        below: set[int] = set()
        frontier = [self.pk]
        while frontier:
            ids = list(User.objects.filter(line_manager_id__in=frontier).values_list("pk", flat=True))
            frontier = [i for i in ids if i not in below and i != self.pk]
            below.update(frontier)
        return below


class AbsenceQuerySet(models.QuerySet):
    def on(self, day: dt.date) -> AbsenceQuerySet:
        """The absences that include ``day`` (both ends count)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def absent_ids(self, day: dt.date) -> set[int]:
        """The ids of the people away on ``day``."""
        return set(self.on(day).values_list("person_id", flat=True))


class Absence(models.Model):
    """A recorded absence (CONTRACT section 8.5): new stages skip the person, and the live stages they hold
    pass to the cover (or to the next holder) from 00:00 local on ``starts_on``."""

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField()
    ends_on = models.DateField()
    cover = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="covering",
        help_text="Who takes the person's stages while they are away (blank: the next holder by the usual rule).",
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="absences_recorded")
    recorded_at = models.DateTimeField(auto_now_add=True)
    handed_over_at = models.DateTimeField(
        null=True, blank=True, help_text="When the clock passed the person's live stages on (once per absence)."
    )

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["person", "starts_on", "ends_on"], name="absence_person_dates")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} away {self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}"
