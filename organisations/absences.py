"""Recording absences (CONTRACT section 8.5): who may record one for whom, what is a valid absence,
and the lists people see. Writes here; passing the absent person's stages on is the deadline clock's
(``deadlines.absences``), from 00:00 local on the first day.

A person records their own absences; a line manager, directly or further up, records those of the
people below them; the organisation's administrator records anyone's of the organisation (the HR system's
leave, or a sudden absence reported to them), never their own (an administrator holds no stage). An
absence may be changed or cancelled until it begins; from its first day the clock has passed the person's
stages on, so it stays as recorded.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.errors import ActionConflict, ActionNotPermitted

from .models import ADMIN_ROLES, Absence, Role, User

# The longest absence recorded at once, and how far ahead one may start: a year covers parental
# leave and long sickness; a longer one is recorded again when it is known.
MAX_DAYS = 366
MAX_DAYS_AHEAD = 366

Errors = dict[str, list[str]]


def _today() -> dt.date:
    return timezone.localdate()


def _administers(actor: User, person: User) -> bool:
    """The organisation's administrator, for a member of their organisation who is not an administrator."""
    return (actor.role == Role.ORG_ADMIN and actor.organisation_id is not None
            and person.organisation_id == actor.organisation_id and person.role not in ADMIN_ROLES)


def absence_may_record(*, actor: User, person: User) -> bool:
    """A person for themselves; a line manager for anyone below them, directly or not. A partnership's QA&P
    chair, who holds its resolution panel's stage, records their own (CONTRACT 8.5). The organisation's
    administrator for anyone of the organisation but another administrator."""
    if not actor.is_active:
        return False
    if actor.role in ADMIN_ROLES:
        return _administers(actor, person)
    if person.role in ADMIN_ROLES:
        return False
    if actor.organisation_id is None:
        return actor.role == Role.QAP_CHAIR and actor.partnership_id is not None and person.pk == actor.pk
    return person.pk == actor.pk or person.pk in actor.reports_below()


def absence_may_record_any(*, actor: User) -> bool:
    """Whether the absence pages are the actor's at all: their own absences, or those of people they administer."""
    return absence_may_record(actor=actor, person=actor) or (
        actor.is_active and actor.role == Role.ORG_ADMIN and actor.organisation_id is not None)


def absence_list_for(*, user: User) -> QuerySet[Absence]:
    """The absences a person sees: their own, those of the people below them, and those they cover; an
    organisation's administrator, every absence of the organisation."""
    if user.organisation_id is None:
        return Absence.objects.none()
    if user.role == Role.ORG_ADMIN:
        return (Absence.objects.filter(person__organisation_id=user.organisation_id)
                .select_related("person", "cover", "recorded_by").order_by("-starts_on", "-pk"))
    below = user.reports_below()
    return (Absence.objects.filter(Q(person=user) | Q(person_id__in=below) | Q(cover=user))
            .select_related("person", "cover", "recorded_by").order_by("-starts_on", "-pk"))


def absence_get(*, user: User, pk: int) -> Absence:
    """One absence the person may see; ``Absence.DoesNotExist`` otherwise (a 404 for the caller)."""
    return absence_list_for(user=user).get(pk=pk)


def absences_covered_by(*, user: User, day: dt.date | None = None) -> QuerySet[Absence]:
    """The absences this person covers that last at least until ``day`` (today): "Covering for ..."."""
    day = day or _today()
    return (Absence.objects.filter(cover=user, ends_on__gte=day).select_related("person")
            .order_by("starts_on", "pk"))


def _check(errors: Errors, *, person: User, starts_on: object, ends_on: object, cover: User | None,
           today: dt.date, exclude: int | None = None) -> None:
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = ["Enter the first day of the absence."]
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = ["Enter the last day of the absence."]
    if isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date):
        if ends_on < starts_on:
            errors["ends_on"] = ["The last day must be the same as or after the first day."]
        elif ends_on < today:
            errors["ends_on"] = ["The last day cannot be in the past: this absence has ended."]
        elif (ends_on - starts_on).days >= MAX_DAYS:
            errors["ends_on"] = [f"An absence can last at most {MAX_DAYS} days; record a longer one again later."]
        if starts_on > today + dt.timedelta(days=MAX_DAYS_AHEAD):
            errors["starts_on"] = ["The first day must be within a year from today."]
        if not errors:
            overlapping = Absence.objects.filter(person=person, starts_on__lte=ends_on, ends_on__gte=starts_on)
            if exclude is not None:
                overlapping = overlapping.exclude(pk=exclude)
            if overlapping.exists():
                errors["starts_on"] = [f"{person.display_name} already has an absence on some of these days."]
    if cover is not None:
        if cover.pk == person.pk:
            errors["cover"] = ["The cover must be someone other than the person who is away."]
        elif person.organisation_id is None and person.partnership_id is not None:
            # A QA&P chair is the partnership's, not an organisation's: another of its chairs covers.
            if not cover.is_active or cover.role != person.role or cover.partnership_id != person.partnership_id:
                errors["cover"] = [f"Choose another active {person.get_role_display()} of {person.partnership}."]
        elif not cover.is_active or cover.organisation_id is None or cover.organisation_id != person.organisation_id:
            errors["cover"] = [f"Choose an active member of staff of {person.organisation}."]
        elif cover.role in ADMIN_ROLES:
            errors["cover"] = ["An administrator cannot hold a stage: choose a member of staff."]
        elif isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date) and Absence.objects.filter(
                person=cover, starts_on__lte=ends_on, ends_on__gte=starts_on).exists():
            errors["cover"] = [f"{cover.display_name} is away on some of these days."]


def absence_record(*, actor: User, starts_on: object, ends_on: object, person: User | None = None,
                   cover: User | None = None) -> Absence:
    """Record an absence of ``actor``, or of ``person`` where the actor manages them (403 otherwise).

    From 00:00 local on ``starts_on`` new stages skip the person, and the next sweep of the deadline
    clock passes the live stages they hold to ``cover`` (where eligible), or to the next holder.
    """
    person = person or actor
    if not absence_may_record(actor=actor, person=person):
        raise ActionNotPermitted("You can record your own absences and those of the people you manage"
                                 " (an organisation's administrator: anyone's of the organisation).")
    errors: Errors = {}
    _check(errors, person=person, starts_on=starts_on, ends_on=ends_on, cover=cover, today=_today())
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Absence.objects.create(person=person, starts_on=starts_on, ends_on=ends_on, cover=cover,
                                      recorded_by=actor)


def _changeable(*, actor: User, absence: Absence) -> Absence:
    """Lock the absence; refuse unless the actor may manage it and it has not begun."""
    locked = Absence.objects.select_for_update(of=("self",)).select_related("person", "cover").get(pk=absence.pk)
    if not absence_may_record(actor=actor, person=locked.person):
        raise ActionNotPermitted("You can change your own absences and those of the people you manage.")
    if locked.starts_on <= _today() or locked.handed_over_at is not None:
        raise ActionConflict("This absence has begun: its stages have passed on, so it can no longer be changed.")
    return locked


def absence_change(*, actor: User, absence: Absence, starts_on: object, ends_on: object,
                   cover: User | None = None) -> Absence:
    """Change the dates or the cover of an absence that has not begun (shorten it, move it)."""
    with transaction.atomic():
        locked = _changeable(actor=actor, absence=absence)
        errors: Errors = {}
        _check(errors, person=locked.person, starts_on=starts_on, ends_on=ends_on, cover=cover, today=_today(),
               exclude=locked.pk)
        if errors:
            raise ValidationError(errors)
        locked.starts_on, locked.ends_on, locked.cover = starts_on, ends_on, cover
        locked.save(update_fields=["starts_on", "ends_on", "cover"])
        return locked


def absence_cancel(*, actor: User, absence: Absence) -> None:
    """Cancel an absence that has not begun."""
    with transaction.atomic():
        _changeable(actor=actor, absence=absence).delete()


def absence_cover_choices(*, person: User) -> QuerySet[User]:
    """Who may cover for a person: active staff of their organisation, not themselves, not administrators."""
    if person.organisation_id is None:
        return User.objects.none()
    return (User.objects.filter(organisation_id=person.organisation_id, is_active=True)
            .exclude(pk=person.pk).exclude(role__in=ADMIN_ROLES).order_by("last_name", "first_name", "username"))


def absence_person_choices(*, actor: User) -> QuerySet[User]:
    """Whose absence the actor may record: themselves and everyone below them; an organisation's
    administrator, everyone of the organisation but its administrators."""
    if actor.role == Role.ORG_ADMIN:
        return (User.objects.filter(organisation_id=actor.organisation_id, is_active=True)
                .exclude(role__in=ADMIN_ROLES).order_by("last_name", "first_name", "username"))
    return (User.objects.filter(pk__in=[actor.pk, *actor.reports_below()], is_active=True)
            .order_by("last_name", "first_name", "username"))
