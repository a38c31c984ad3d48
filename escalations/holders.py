"""Where an escalation enters a ladder, and who holds a stage (CONTRACT sections 4 and 8.1).

The entry stage is the one the ladder's risk rule sets, unless the raiser's own place on the ladder is
at or above it: then, on the raiser's own organisation's stages, the first ordinary stage strictly above
the raiser's role (Bexley 2.1, 3.2-3.5); on the receiving organisation's stages, the stage of the
raiser's own tier, counterpart to counterpart (Wiltshire 2.5).

The holder is, in this order: the person named in the request, where eligible; the nearest line manager
with the stage's role; an active holder of that role (or tier) in the stage's organisation. Never the
raiser, never anyone the raiser manages, never anyone away today; where the person the rule would pick is
away and their absence names an eligible cover, the cover.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.utils import timezone

from organisations.models import Absence, Organisation, Role, User
from policies import clock
from policies.models import Ladder, Stage


class EntryRefused(Exception):
    """No stage is left for this raiser to raise to (CONTRACT 8.1): the raise answers 400 with the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def holder_organisation(*, stage: Stage, raising_organisation: Organisation,
                        receiving_organisation: Organisation | None) -> Organisation:
    if stage.in_receiving_organisation and receiving_organisation is not None:
        return receiving_organisation
    return raising_organisation


def eligible_roles(*, stage: Stage, organisation: Organisation) -> list[str]:
    """Return the roles that may hold the stage in this organisation (by role, or by tier)."""
    if stage.role:
        return [stage.role]
    return organisation.roles_for_tier(stage.tier)


# --- the entry stage ---------------------------------------------------------------------------------
def raiser_place(*, ladder: Ladder, raised_by: User) -> Stage | None:
    """The raiser's own place on the ladder: the first stage held by their role, or by their tier in their
    own organisation; None where their role is not on it (a PSW, a legal adviser, a practitioner)."""
    organisation = raised_by.organisation
    own_tier = organisation.tier_of(raised_by.role) if organisation is not None else None
    for stage in ladder.stage_list():
        if (stage.role and stage.role == raised_by.role) or (stage.tier and own_tier and stage.tier == own_tier):
            return stage
    return None


def entry_stage_find(*, ladder: Ladder, risk_level: str, category: str, raised_by: User) -> Stage:
    """The stage a new escalation enters (CONTRACT 8.1, with the category's route: Bexley 3.8).

    Raises EntryRefused where the raiser's own place leaves no ordinary stage above it.
    """
    rule = ladder.rule_for(risk_level)
    route = ladder.route(category)
    reached = [stage for stage in route if stage.index >= rule.entry_stage]
    if not reached:  # the risk rule sets a stage beyond the category's route: the rule wins
        reached = [stage for stage in ladder.stage_list() if stage.index >= rule.entry_stage]
    entry = reached[0]
    if ladder.holder_named_on_raise:
        # The stages are the line of the person the concern is about (Stoke 9), not a ladder of the
        # raiser's seniority: everyone starts with that person.
        return entry
    place = raiser_place(ladder=ladder, raised_by=raised_by)
    if place is None or place.index < entry.index:
        return entry
    if place.in_receiving_organisation:
        counterpart = [stage for stage in route if stage.index >= place.index]
        return counterpart[0] if counterpart else place
    above = [stage for stage in route if stage.index > place.index and not stage.exceptional]
    if above:
        return above[0]
    exceptional = [stage for stage in route if stage.index > place.index and stage.exceptional]
    message = (f"Your own place on this procedure is '{place.name}', and an escalation you raise goes to a stage "
               "above yours: there is none left to raise to.")
    if exceptional:
        message += (f" '{exceptional[0].name}' is reached only by escalating after the final decision, or "
                    "straight away when a child is at imminent risk of significant harm.")
    raise EntryRefused(message)


# --- the holder --------------------------------------------------------------------------------------
def _today() -> dt.date:
    return clock.local(timezone.now()).date()


class _Eligibility:
    """Who may hold one stage of one escalation: read once, asked of each person considered."""

    def __init__(self, *, stage: Stage, raised_by: User, organisation: Organisation,
                 exclude: Collection[int], on: dt.date, absent_ids: Collection[int] | None = None):
        self.stage, self.raised_by, self.organisation, self.on = stage, raised_by, organisation, on
        self.roles = eligible_roles(stage=stage, organisation=organisation)
        self.exclude = set(exclude)
        self._below: set[int] | None = None
        self._absent: set[int] | None = set(absent_ids) if absent_ids is not None else None

    @property
    def below(self) -> set[int]:
        if self._below is None:
            self._below = self.raised_by.reports_below()
        return self._below

    def absent(self, user: User) -> bool:
        if self._absent is None:
            self._absent = Absence.objects.absent_ids(self.on)
        return user.pk in self._absent

    def refusal(self, user: User, *, cover_for: User | None = None) -> str | None:
        """Why this person may not hold the stage; None if they may. A cover may also be the absent
        person's own line manager (CONTRACT 8.5)."""
        if user.pk == self.raised_by.pk:
            return "The person who raised it cannot hold it."
        covers_as_manager = cover_for is not None and user in cover_for.line_managers()
        if not user.is_active or user.organisation_id != self.organisation.pk or (
                user.role not in self.roles and not covers_as_manager):
            return f"Choose an active {self.role_words} in {self.organisation.name}."
        if user.pk in self.below:
            return f"{user.display_name} is managed by the person who raised it, so cannot hold it."
        if user.pk in self.exclude:
            return f"{user.display_name} cannot hold this stage of this escalation."
        if self.absent(user):
            return f"{user.display_name} is away: choose someone else, or leave it to the procedure."
        return None

    @property
    def role_words(self) -> str:
        labels = [Role(role).label.lower() if role in Role.values else role for role in self.roles]
        return " or ".join(labels) or f"holder of '{self.stage.name}'"

    def pick(self, user: User, *, above_raiser: bool = False) -> User | None:
        """The person (active, of the organisation, with the role: the caller's query), where eligible; where
        away, their absence's cover if that cover is eligible; else None. ``above_raiser``: the person is in
        the raiser's own line of management, so not among those the raiser manages."""
        if user.pk == self.raised_by.pk or user.pk in self.exclude:
            return None
        if not above_raiser and user.pk in self.below:
            return None
        if not self.absent(user):
            return user
        for absence in Absence.objects.on(self.on).filter(person=user, cover__isnull=False).select_related("cover"):
            cover = absence.cover
            if cover is not None and self.refusal(cover, cover_for=user) is None:
                return cover
        return None


def holder_find(*, stage: Stage, raised_by: User, raising_organisation: Organisation,
                receiving_organisation: Organisation | None = None, holder: User | None = None,
                exclude: Collection[int] = (), line_of: User | None = None,
                on: dt.date | None = None, absent_ids: Collection[int] | None = None) -> User | None:
    """Return who holds the stage by CONTRACT 8.1; None where nobody may.

    ``holder`` is the person named in the request: returned where eligible, else ValidationError on the
    field ``holder``. ``exclude``: ids of people who may not hold it this time. ``line_of``: whose line
    management is climbed (the raiser's; Stoke 9: the named CRM's). ``on``: the day absences are read for
    (today, in London); ``absent_ids``: who is away that day, where the caller has read it for a batch.
    """
    organisation = holder_organisation(
        stage=stage, raising_organisation=raising_organisation, receiving_organisation=receiving_organisation
    )
    eligibility = _Eligibility(stage=stage, raised_by=raised_by, organisation=organisation, exclude=exclude,
                               on=on or _today(), absent_ids=absent_ids)
    if holder is not None:
        reason = eligibility.refusal(holder)
        if reason is not None:
            raise ValidationError({"holder": [reason]})
        return holder
    if not eligibility.roles:
        return None
    for manager in (line_of or raised_by).line_managers():
        if manager.is_active and manager.role in eligibility.roles and manager.organisation_id == organisation.pk:
            picked = eligibility.pick(manager, above_raiser=line_of is None)
            if picked is not None:
                return picked
    candidates = User.objects.filter(organisation=organisation, role__in=eligibility.roles, is_active=True)
    by_role = {role: i for i, role in enumerate(eligibility.roles)}
    for candidate in sorted(candidates, key=lambda u: (by_role.get(u.role, 99), u.pk)):
        picked = eligibility.pick(candidate)
        if picked is not None:
            return picked
    return None


def holder_candidates(*, stage: Stage, raised_by: User, raising_organisation: Organisation,
                      receiving_organisation: Organisation | None = None, exclude: Collection[int] = (),
                      on: dt.date | None = None) -> list[User]:
    """Everyone who may be named as the stage's holder (the pages' "who should hold it" choice); for a
    resolution panel's stage, the partnership's QA&P chairs who are not away (``panel_chairs_eligible``)."""
    if stage.panel:
        return panel_chairs_eligible(ladder=stage.ladder, exclude={raised_by.pk, *exclude}, on=on)
    organisation = holder_organisation(
        stage=stage, raising_organisation=raising_organisation, receiving_organisation=receiving_organisation
    )
    eligibility = _Eligibility(stage=stage, raised_by=raised_by, organisation=organisation, exclude=exclude,
                               on=on or _today())
    if not eligibility.roles:
        return []
    people = User.objects.filter(organisation=organisation, role__in=eligibility.roles, is_active=True).select_related(
        "organisation").order_by("last_name", "first_name", "username")
    return [person for person in people if eligibility.refusal(person) is None]


def holder_line_manager(*, holder: User | None, organisation: Organisation, day: dt.date | None = None) -> User | None:
    """The holder's own nearest line manager in the stage's organisation who is active and not away on
    ``day`` (today by default): always eligible to take the stage over from them (CONTRACT section 8.5),
    whatever their role."""
    if holder is None:
        return None
    chain = [m for m in holder.line_managers() if m.is_active and m.organisation_id == organisation.pk]
    if not chain:
        return None
    away = Absence.objects.on(day or _today()).filter(person__in=chain).values_list("person_id", flat=True)
    away_ids = set(away)
    return next((manager for manager in chain if manager.pk not in away_ids), None)


def holder_may_take(*, user: User, stage: Stage, organisation: Organisation, holder: User | None = None,
                    raised_by: User | None = None, day: dt.date | None = None) -> bool:
    """Whether a person may be given the stage instead of ``holder`` (reassignment, absence cover).

    Eligible: an active person of the stage's organisation with the stage's role (or a role of its
    tier), or the holder's own line manager; never the holder, never the raiser or someone the
    raiser manages (CONTRACT section 8.1), and never someone away on ``day`` (today by default).
    A resolution panel's stage is the partnership's: only another of its QA&P chairs may take it
    (``panel_chairs_eligible``).
    """
    if stage.panel:
        exclude = {pk for pk in (getattr(holder, "pk", None), getattr(raised_by, "pk", None)) if pk is not None}
        return any(chair.pk == user.pk for chair in panel_chairs_eligible(ladder=stage.ladder, exclude=exclude,
                                                                           on=day))
    if not user.is_active or user.organisation_id != organisation.pk:
        return False
    if holder is not None and user.pk == holder.pk:
        return False
    if raised_by is not None and (user.pk == raised_by.pk or user.pk in raised_by.reports_below()):
        return False
    day = day or _today()
    if Absence.objects.on(day).filter(person=user).exists():
        return False
    if user.role in eligible_roles(stage=stage, organisation=organisation):
        return True
    manager = holder_line_manager(holder=holder, organisation=organisation, day=day)
    return manager is not None and manager.pk == user.pk


# --- the resolution panel's stage ----------------------------------------------------------------------
# 001: "If the Board convenes a Resolution Panel": the panel is the partnership's, convened and chaired by
# its QA&P sub-group chair (CONTRACT 8.2), who is independent of every agency that disagrees (Wiltshire 3c:
# nobody from the sub-group is a case decision-maker). So the stage never passes to an agency's own
# managers, nor to a board member (who sees aggregates only): while the chair is away it is held by another
# QA&P chair of the same partnership (a vice-chair), the one the chair's absence names as cover first.
def panel_chairs_eligible(*, ladder: Ladder, exclude: Collection[int] = (), on: dt.date | None = None,
                          absent_ids: Collection[int] | None = None) -> list[User]:
    """The partnership's active QA&P chairs who may hold its resolution panel's stage on ``on`` (today):
    not away, not among ``exclude`` (the person handing it over, the raiser), in the order they were added."""
    chairs = list(User.objects.filter(role=Role.QAP_CHAIR, partnership__in=ladder.partnership_ids(), is_active=True)
                  .exclude(pk__in=list(exclude)).order_by("pk"))
    if not chairs:
        return []
    if absent_ids is None:
        absent_ids = Absence.objects.on(on or _today()).filter(person__in=chairs).values_list("person_id", flat=True)
    away = set(absent_ids)
    return [chair for chair in chairs if chair.pk not in away]


def panel_chair_find(*, stage: Stage, ladder: Ladder, on: dt.date | None = None,
                     absent_ids: Collection[int] | None = None, cover: User | None = None,
                     exclude: Collection[int] = ()) -> User | None:
    """The holder of a resolution panel's stage (CONTRACT 8.2): the QA&P chair of the ladder's partnership.

    Where the chair is away (CONTRACT 8.5), the cover their absence names if that cover is another QA&P chair
    of the partnership who is here, else any such chair who is here; None where every chair is away (the stage
    cannot be convened by anyone else). ``cover``: the cover to try first (a hand-over names it).
    """
    if not stage.panel:
        return None
    day = on or _today()
    present = panel_chairs_eligible(ladder=ladder, exclude=exclude, on=day, absent_ids=absent_ids)
    first = (User.objects.filter(role=Role.QAP_CHAIR, partnership__in=ladder.partnership_ids(), is_active=True)
             .exclude(pk__in=list(exclude)).order_by("pk").first())
    if first is None:
        return None
    if any(chair.pk == first.pk for chair in present):
        return first
    covers = [cover] if cover is not None else []
    covers += [absence.cover for absence in Absence.objects.on(day).filter(person=first, cover__isnull=False)
               .select_related("cover")]
    for candidate in covers:
        if candidate is not None and any(chair.pk == candidate.pk for chair in present):
            return candidate
    return present[0] if present else None
