"""Every change an administrator makes: one function per change, each checking who may make it, refusing
bad input with the field and the reason, and writing its audit row in the same transaction.

An organisation's administrator (``Role.ORG_ADMIN``) manages the organisation's staff, teams, calendar,
contacts, categories, role → tier mapping and the open timescales of its ladders; a partnership's
administrator (``Role.PARTNERSHIP_ADMIN``) the partnership's ladders, its QA&P chair and board members.
Neither ever reads an escalation: the refusals below say how many live stages a change would strand and
at which stage, never which case.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from core.errors import ActionConflict, ActionNotPermitted
from core.text import time_words
from escalations.holders import holder_organisation
from escalations.ladder_versions import ladder_freeze_for_edit
from escalations.models import Escalation
from escalations.services import escalations_hand_over
from organisations.models import (
    ADMIN_ROLES,
    BOARD_ROLES,
    RETENTION_MAX_DAYS,
    RETENTION_MIN_DAYS,
    ClosureDay,
    Organisation,
    OrganisationKind,
    Role,
    Team,
    Tier,
    TierMapping,
    User,
)
from organisations.tokens import tokens_end
from policies.models import Category, Ladder, Stage
from policies.services import organisation_seed

from . import events
from .models import AuditEntry
from .rules import administers_organisation, administers_partnership
from .staff_import import ImportPlan, staff_import_plan

Errors = dict[str, list[str]]

# The roles an organisation's administrator gives its staff: everyone but the partnership's people.
STAFF_ROLES = tuple(role for role in Role if role not in BOARD_ROLES and role != Role.PARTNERSHIP_ADMIN)
# The roles that may hold a tier: an administrator never holds a stage (CONTRACT 8.6).
TIER_ROLES = tuple(role for role in STAFF_ROLES if role not in ADMIN_ROLES)
# The people a partnership's administrator invites; the QA&P chair is named from among them.
PARTNERSHIP_ROLES = (Role.BOARD_MEMBER, Role.PARTNERSHIP_ADMIN)

NAME_LIMIT = 150  # Django's first_name and last_name are 150 characters each
# A response time longer than twelve working weeks is not a timescale but a typing mistake.
MAX_WORKING_DAYS = 60
# Deadlines fall at close of business (CONTRACT section 2): an afternoon or evening hour.
EARLIEST_CLOSE = dt.time(12, 0)
LATEST_CLOSE = dt.time(20, 0)


# --- shared checks -------------------------------------------------------------------------------------
def _raise_if(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def _require_organisation_admin(actor: User) -> Organisation:
    if not administers_organisation(actor):
        raise ActionNotPermitted("Only the organisation's administrator can make this change.")
    assert actor.organisation is not None
    return actor.organisation


def _require_partnership_admin(actor: User) -> None:
    if not administers_partnership(actor):
        raise ActionNotPermitted("Only the partnership's administrator can make this change.")


def _require_administers_person(actor: User, person: User) -> None:
    """The actor's own organisation's staff, or their partnership's people; anyone else is not theirs."""
    if administers_organisation(actor) and person.organisation_id == actor.organisation_id:
        return
    in_partnership = person.organisation_id is None and person.partnership_id == actor.partnership_id
    if administers_partnership(actor) and in_partnership:
        return
    raise ActionNotPermitted("You can only manage the people of your own organisation or partnership.")


def _require_administers_ladder(actor: User, ladder: Ladder) -> None:
    if not ladder.is_current:
        raise ActionConflict("Only the current version of a ladder can be changed.")
    if administers_organisation(actor) and ladder.organisation_id == actor.organisation_id:
        return
    if administers_partnership(actor) and ladder.partnership_id == actor.partnership_id:
        return
    raise ActionNotPermitted("You can only change the ladders of your own organisation or partnership.")


def _name_parts(errors: Errors, name: str) -> tuple[str, str]:
    """Split a full name into first and last names (the last word is the last name)."""
    words = (name or "").split()
    if not words:
        errors.setdefault("name", []).append("Enter the person's full name.")
        return "", ""
    first, last = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (words[0], "")
    if len(first) > NAME_LIMIT or len(last) > NAME_LIMIT:
        errors.setdefault("name", []).append(f"A name must be {NAME_LIMIT} characters or fewer.")
    return first, last


def _email(errors: Errors, email: str, *, person: User | None = None) -> str:
    email = (email or "").strip().lower()
    if not email:
        errors.setdefault("email", []).append("Enter the person's e-mail address.")
        return email
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append("Enter an e-mail address in the right format, like name@example.org.")
        return email
    taken = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if person is not None:
        taken = taken.exclude(pk=person.pk)
    if taken.exists():
        errors.setdefault("email", []).append("Someone already has this e-mail address.")
    return email


def _line_manager_check(errors: Errors, *, organisation: Organisation, person: User | None,
                        manager: User | None) -> None:
    """The line manager is active, in the same organisation, and not the person or anyone they manage."""
    if manager is None:
        return
    if manager.organisation_id != organisation.pk:
        errors.setdefault("line_manager", []).append("The line manager must work in the same organisation.")
    elif not manager.is_active:
        errors.setdefault("line_manager", []).append("The line manager has been deactivated.")
    elif manager.role in ADMIN_ROLES:
        errors.setdefault("line_manager", []).append("An administrator does not line-manage staff.")
    elif person is not None and (manager.pk == person.pk or person.pk in {m.pk for m in manager.line_managers()}):
        errors.setdefault("line_manager", []).append(
            "This would make a loop in line management: the person would manage their own manager."
        )


def _team_check(errors: Errors, *, organisation: Organisation, team: Team | None) -> None:
    if team is not None and team.organisation_id != organisation.pk:
        errors.setdefault("team", []).append("Choose a team of your organisation.")


def _stage_words(counts: Counter[str]) -> str:
    return ", ".join(f"{n} at “{name}”" for name, n in sorted(counts.items()))


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


# --- live stages: a change never strands one -------------------------------------------------------------
def _live_stages_held_in(organisation: Organisation) -> list[tuple[Escalation, Stage]]:
    """The live escalations whose current stage is held in this organisation, with that stage."""
    escalations = (
        Escalation.objects.live()
        .filter(Q(raising_organisation=organisation) | Q(receiving_organisation=organisation))
        .select_related("ladder", "raising_organisation", "receiving_organisation")
        .prefetch_related("ladder__stages")
    )
    held = []
    for escalation in escalations:
        stage = escalation.stage
        where = holder_organisation(stage=stage, raising_organisation=escalation.raising_organisation,
                                    receiving_organisation=escalation.receiving_organisation)
        if where.pk == organisation.pk:
            held.append((escalation, stage))
    return held


def live_stages_held_by(person: User) -> Counter[str]:
    """How many live stages the person holds, by stage name (no case, no escalation)."""
    counts: Counter[str] = Counter()
    for escalation in (Escalation.objects.live().filter(holder=person).select_related("ladder")
                       .prefetch_related("ladder__stages")):
        counts[escalation.stage.name] += 1
    return counts


def _live_stage_refusal(*, organisation: Organisation, person: User | None = None, role_after: str | None = None,
                        active_after: bool = True, tiers_after: Mapping[str, str] | None = None) -> str | None:
    """The reason a change would strand a live stage of the organisation, or None.

    A stage is stranded when the change leaves its holder unable to hold it (deactivated, or no longer
    in an eligible role or tier), or leaves nobody active in the organisation who may hold it.
    """
    tiers_before = dict(organisation.tier_mappings.values_list("role", "tier"))
    tiers = dict(tiers_after) if tiers_after is not None else tiers_before
    staff_before = dict(User.objects.filter(organisation=organisation, is_active=True).values_list("pk", "role"))
    staff_after = dict(staff_before)
    if person is not None:
        if active_after:
            staff_after[person.pk] = role_after or person.role
        else:
            staff_after.pop(person.pk, None)

    def eligible(stage: Stage, mapping: Mapping[str, str]) -> set[str]:
        return {stage.role} if stage.role else {role for role, tier in mapping.items() if tier == stage.tier}

    present_before, present_after = set(staff_before.values()), set(staff_after.values())
    lost: Counter[str] = Counter()
    stranded: Counter[str] = Counter()
    for escalation, stage in _live_stages_held_in(organisation):
        before, after = eligible(stage, tiers_before), eligible(stage, tiers)
        holder = escalation.holder_id or 0
        if person is not None and holder != person.pk and holder in staff_after:
            continue  # held by someone else who stays: a change to this one person leaves it held
        if staff_before.get(holder, "") in before and staff_after.get(holder, "") not in after:
            lost[stage.name] += 1
        if before & present_before and not after & present_after:
            stranded[stage.name] += 1
    if lost:
        n = sum(lost.values())
        whose = f"{person.display_name} holds" if person is not None else "Their holders hold"
        return (f"{whose} {n} live {_plural(n, 'stage', 'stages')} ({_stage_words(lost)}) that this change would "
                f"leave without a holder who may hold {_plural(n, 'it', 'them')}. Pass "
                f"{_plural(n, 'it', 'them')} on first (reassign, or record an absence with cover).")
    if stranded:
        n = sum(stranded.values())
        return (f"{n} live {_plural(n, 'stage', 'stages')} ({_stage_words(stranded)}) would have nobody in the "
                f"organisation who may hold {_plural(n, 'it', 'them')}.")
    return None


# --- sessions and tokens ----------------------------------------------------------------------------------
def _sessions_end(person: User) -> int:
    """End every signed-in session of the person at once; return how many ended.

    Stored sessions are searched; with a session engine that cannot be listed, deactivation still signs
    the person out on their next request (an inactive user is not authenticated).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store, "get_model_class", None)
    if get_model is None:  # cache or cookie sessions cannot be listed
        return 0
    model = get_model()
    ended = 0
    for session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk):
            store(session.session_key).delete()
            ended += 1
    return ended


def _tokens_end(person: User) -> int:
    return tokens_end(user=person)


def _invitations_send(people: Iterable[User]) -> None:
    """Send each new person their set-password e-mail once the change is committed."""
    from .tasks import send_invitations

    ids = [person.pk for person in people]
    if ids:
        transaction.on_commit(lambda: send_invitations.delay(ids))


# --- a new organisation -----------------------------------------------------------------------------------
@transaction.atomic
def organisation_create(*, slug: str, name: str, kind: str, administrator_name: str,
                        administrator_email: str) -> tuple[Organisation, User]:
    """Set up an organisation from nothing: the organisation with its kind's default role → tier mapping,
    and its first administrator, who is sent the set-password e-mail. Run by the platform's staff."""
    errors: Errors = {}
    slug = (slug or "").strip().lower()
    if not slug or slugify(slug) != slug:
        errors.setdefault("slug", []).append("Enter a slug of lower-case letters, numbers and hyphens.")
    elif Organisation.objects.filter(slug=slug).exists():
        errors.setdefault("slug", []).append("An organisation with this slug exists already.")
    name = " ".join((name or "").split())
    if not name:
        errors.setdefault("name", []).append("Enter the organisation's name.")
    if kind not in OrganisationKind.values:
        errors.setdefault("kind", []).append(f"Choose one of: {', '.join(OrganisationKind.values)}.")
    first, last = _name_parts(errors, administrator_name)
    email = _email(errors, administrator_email)
    _raise_if(errors)
    organisation, _ = organisation_seed(slug=slug, name=name, kind=kind)
    administrator = User(username=email, email=email, first_name=first, last_name=last, role=Role.ORG_ADMIN,
                         organisation=organisation)
    administrator.set_unusable_password()
    administrator.save()
    events.audit_add(events.organisation_created(organisation=organisation, administrator=administrator))
    _invitations_send([administrator])
    return organisation, administrator


# --- staff ------------------------------------------------------------------------------------------------
@transaction.atomic
def staff_invite(*, actor: User, name: str, email: str, role: str, team: Team | None = None,
                 line_manager: User | None = None) -> User:
    """Create a member of staff (or of the partnership) without a password and send the set-password e-mail."""
    allowed: tuple[str, ...]
    organisation: Organisation | None
    if administers_partnership(actor):
        organisation, allowed = None, PARTNERSHIP_ROLES
    else:
        organisation, allowed = _require_organisation_admin(actor), STAFF_ROLES
    errors: Errors = {}
    first, last = _name_parts(errors, name)
    email = _email(errors, email)
    if role not in allowed:
        errors.setdefault("role", []).append("Choose one of the roles offered.")
    if organisation is not None:
        _team_check(errors, organisation=organisation, team=team)
        _line_manager_check(errors, organisation=organisation, person=None, manager=line_manager)
    elif team is not None or line_manager is not None:
        errors.setdefault("team", []).append("The partnership's people have no team or line manager.")
    _raise_if(errors)
    person = User(
        username=email, email=email, first_name=first, last_name=last, role=role, organisation=organisation,
        partnership=None if organisation is not None else actor.partnership, team=team, line_manager=line_manager,
    )
    person.set_unusable_password()
    person.save()
    events.audit_add(events.person_invited(actor=actor, person=person))
    _invitations_send([person])
    return person


@transaction.atomic
def staff_invitation_resend(*, actor: User, person: User) -> User:
    """Send the set-password e-mail again to someone who has not set a password yet."""
    _require_administers_person(actor, person)
    if not person.is_active:
        raise ActionConflict(f"{person.display_name} is deactivated.")
    if person.has_usable_password():
        raise ActionConflict(f"{person.display_name} has set a password already.")
    events.audit_add(events.invitation_resent(actor=actor, person=person))
    _invitations_send([person])
    return person


@transaction.atomic
def staff_update(*, actor: User, person: User, name: str, role: str, team: Team | None,
                 line_manager: User | None) -> User:
    """Change a member of staff's name, role, team or line manager."""
    organisation = _require_organisation_admin(actor)
    _require_administers_person(actor, person)
    person = User.objects.select_for_update(of=("self",)).select_related("team", "line_manager").get(pk=person.pk)
    errors: Errors = {}
    first, last = _name_parts(errors, name)
    if role not in STAFF_ROLES:
        errors.setdefault("role", []).append("Choose one of the roles offered.")
    elif person.pk == actor.pk and role != person.role:
        errors.setdefault("role", []).append("You cannot change your own role; ask another administrator.")
    _team_check(errors, organisation=organisation, team=team)
    _line_manager_check(errors, organisation=organisation, person=person, manager=line_manager)
    _raise_if(errors)
    if role != person.role and person.is_active:
        refusal = _live_stage_refusal(organisation=organisation, person=person, role_after=role)
        if refusal:
            raise ActionConflict(refusal)
    before = events.person_snapshot(person)
    person.first_name, person.last_name, person.role = first, last, role
    person.team, person.line_manager = team, line_manager
    if events.person_snapshot(person) == before:
        return person
    person.save(update_fields=["first_name", "last_name", "role", "team", "line_manager"])
    events.audit_add(events.person_changed(actor=actor, person=person, before=before))
    return person


@transaction.atomic
def staff_deactivate(*, actor: User, person: User) -> User:
    """Deactivate a person: they cannot sign in, their sessions and API tokens end at once, and every live
    stage they hold passes to the next holder by the section 8.1 rule (a ``system`` timeline entry each).

    Refused, changing nothing, where a stage they hold has nobody else who may take it, or where they are
    the last person who may hold a live stage of the organisation.
    """
    _require_administers_person(actor, person)
    person = User.objects.select_for_update(of=("self",)).select_related("team", "line_manager").get(pk=person.pk)
    if person.pk == actor.pk:
        raise ActionConflict("You cannot deactivate yourself; ask another administrator.")
    if not person.is_active:
        raise ActionConflict(f"{person.display_name} is already deactivated.")
    held = live_stages_held_by(person)
    handed = escalations_hand_over(person=person, now=timezone.now(),
                                   reason=f"{person.display_name} was deactivated by the organisation's administrator")
    stuck = sum(1 for one in handed if one.to is None)
    if stuck:
        raise ActionConflict(
            f"{person.display_name} holds {sum(held.values())} live {_plural(sum(held.values()), 'stage', 'stages')} "
            f"({_stage_words(held)}), and nobody else may take {_plural(stuck, 'one of them', f'{stuck} of them')}. "
            "Give the organisation someone in that role first, then deactivate."
        )
    if person.organisation is not None:
        refusal = _live_stage_refusal(organisation=person.organisation, person=person, active_after=False)
        if refusal:
            raise ActionConflict(refusal)
    person.is_active = False
    person.save(update_fields=["is_active"])
    sessions, tokens = _sessions_end(person), _tokens_end(person)
    events.audit_add(events.person_deactivated(actor=actor, person=person, sessions_ended=sessions,
                                               tokens_ended=tokens, stages_passed_on=len(handed)))
    return person


@transaction.atomic
def qap_chair_set(*, actor: User, person: User) -> User:
    """Name the partnership's QA&P chair from its board; the chair before becomes a board member."""
    _require_partnership_admin(actor)
    _require_administers_person(actor, person)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not person.is_active or person.role not in BOARD_ROLES:
        raise ValidationError({"person": ["Choose an active board member of the partnership."]})
    if person.role == Role.QAP_CHAIR:
        return person
    previous = User.objects.select_for_update().filter(
        partnership=actor.partnership, organisation__isnull=True, role=Role.QAP_CHAIR, is_active=True
    ).first()
    if previous is not None:
        held = live_stages_held_by(previous)
        if held:
            n = sum(held.values())
            raise ActionConflict(
                f"{previous.display_name} holds {n} live {_plural(n, 'stage', 'stages')} as QA&P chair "
                f"({_stage_words(held)}). Pass {_plural(n, 'it', 'them')} on first."
            )
        previous.role = Role.BOARD_MEMBER
        previous.save(update_fields=["role"])
    person.role = Role.QAP_CHAIR
    person.save(update_fields=["role"])
    events.audit_add(events.qap_chair_changed(actor=actor, previous=previous, chair=person))
    return person


# --- teams ------------------------------------------------------------------------------------------------
TEAM_NAME_LIMIT = 200  # Team.name


def _team_name(errors: Errors, organisation: Organisation, name: str, *, team: Team | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        errors.setdefault("name", []).append("Enter the team's name.")
    elif len(name) > TEAM_NAME_LIMIT:
        errors.setdefault("name", []).append(f"A team's name must be {TEAM_NAME_LIMIT} characters or fewer.")
    else:
        same = Team.objects.filter(organisation=organisation, name__iexact=name)
        if team is not None:
            same = same.exclude(pk=team.pk)
        if same.exists():
            errors.setdefault("name", []).append("There is already a team with this name.")
    return name


@transaction.atomic
def team_create(*, actor: User, name: str) -> Team:
    organisation = _require_organisation_admin(actor)
    errors: Errors = {}
    name = _team_name(errors, organisation, name)
    _raise_if(errors)
    team = Team.objects.create(organisation=organisation, name=name)
    events.audit_add(events.team_created(actor=actor, team=team))
    return team


@transaction.atomic
def team_rename(*, actor: User, team: Team, name: str) -> Team:
    organisation = _require_organisation_admin(actor)
    if team.organisation_id != organisation.pk:
        raise ActionNotPermitted("You can only rename your own organisation's teams.")
    errors: Errors = {}
    name = _team_name(errors, organisation, name, team=team)
    _raise_if(errors)
    old_name = team.name
    if name == old_name:
        return team
    team.name = name
    team.save(update_fields=["name"])
    events.audit_add(events.team_renamed(actor=actor, team=team, old_name=old_name))
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    """Delete a team that nobody is in (move its members first)."""
    organisation = _require_organisation_admin(actor)
    if team.organisation_id != organisation.pk:
        raise ActionNotPermitted("You can only delete your own organisation's teams.")
    members = team.members.filter(is_active=True).count()
    if members:
        raise ActionConflict(f"{members} {_plural(members, 'person is', 'people are')} in this team: "
                             "move them to another team first.")
    name = team.name
    team.delete()
    events.audit_add(events.team_deleted(actor=actor, name=name, members=members))


# --- the organisation's calendar and contacts --------------------------------------------------------------
CLOSURE_REASON_LIMIT = 200  # ClosureDay.reason


@transaction.atomic
def closure_day_add(*, actor: User, date: dt.date | None, reason: str) -> ClosureDay:
    """Add a day the organisation is closed: no deadline falls on it, and it is not counted as a working day."""
    organisation = _require_organisation_admin(actor)
    errors: Errors = {}
    reason = " ".join((reason or "").split())
    if date is None:
        errors.setdefault("date", []).append("Enter the date the organisation is closed.")
    elif organisation.closure_days.filter(date=date).exists():
        errors.setdefault("date", []).append("This day is already a closure day.")
    if len(reason) > CLOSURE_REASON_LIMIT:
        errors.setdefault("reason", []).append(f"The reason must be {CLOSURE_REASON_LIMIT} characters or fewer.")
    _raise_if(errors)
    assert date is not None
    day = ClosureDay.objects.create(organisation=organisation, date=date, reason=reason)
    events.audit_add(events.closure_day_added(actor=actor, day=day))
    return day


@transaction.atomic
def closure_day_remove(*, actor: User, day: ClosureDay) -> None:
    organisation = _require_organisation_admin(actor)
    if day.organisation_id != organisation.pk:
        raise ActionNotPermitted("You can only remove your own organisation's closure days.")
    date, reason = day.date, day.reason
    day.delete()
    events.audit_add(events.closure_day_removed(actor=actor, date=date, reason=reason))


def _settings_snapshot(organisation: Organisation) -> dict[str, str]:
    return {
        "close_of_business": organisation.close_of_business.strftime("%H:%M"),
        "emergency_contacts": organisation.emergency_contacts,
        "out_of_hours_contacts": organisation.out_of_hours_contacts,
        "require_two_factor": "yes" if organisation.require_two_factor else "no",
    }


@transaction.atomic
def organisation_settings_update(*, actor: User, close_of_business: dt.time | None, emergency_contacts: str,
                                 out_of_hours_contacts: str, require_two_factor: bool | None = None) -> Organisation:
    """Set the close of business (when deadlines fall), the emergency and out-of-hours contacts, and whether
    everyone signing in with a password must give a code from an authenticator app (None: unchanged)."""
    own = _require_organisation_admin(actor)
    organisation: Organisation = Organisation.objects.select_for_update().get(pk=own.pk)
    errors: Errors = {}
    if close_of_business is None:
        errors.setdefault("close_of_business", []).append("Enter the close of business, like 17:00.")
    elif not EARLIEST_CLOSE <= close_of_business <= LATEST_CLOSE:
        errors.setdefault("close_of_business", []).append(
            f"The close of business must be between {time_words(EARLIEST_CLOSE)} and {time_words(LATEST_CLOSE)}."
        )
    emergency_contacts = (emergency_contacts or "").strip()
    if not emergency_contacts:
        errors.setdefault("emergency_contacts", []).append(
            "Enter who to call when a child is at imminent risk: it is shown before anything else."
        )
    _raise_if(errors)
    assert close_of_business is not None
    before = _settings_snapshot(organisation)
    organisation.close_of_business = close_of_business.replace(second=0, microsecond=0)
    organisation.emergency_contacts = emergency_contacts
    organisation.out_of_hours_contacts = (out_of_hours_contacts or "").strip()
    if require_two_factor is not None:
        organisation.require_two_factor = require_two_factor
    after = _settings_snapshot(organisation)
    if after == before:
        return organisation
    organisation.save(update_fields=["close_of_business", "emergency_contacts", "out_of_hours_contacts",
                                     "require_two_factor"])
    events.audit_add(events.settings_changed(actor=actor, organisation=organisation, before=before, after=after))
    return organisation


@transaction.atomic
def organisation_retention_set(*, actor: User, retention_days: object) -> Organisation:
    """Set how many days a closed escalation is kept in full before its free text is erased (the timeline stays).

    A shorter period takes effect at the next retention run: what it has passed is anonymised then.
    """
    own = _require_organisation_admin(actor)
    organisation: Organisation = Organisation.objects.select_for_update().get(pk=own.pk)
    errors: Errors = {}
    days: int | None = None
    if retention_days is None or retention_days == "":
        errors["retention_days"] = ["Enter the number of days a closed escalation is kept, like 365."]
    else:
        try:
            days = int(str(retention_days).strip())
        except ValueError:
            errors["retention_days"] = ["Enter the number of days as a whole number, like 365."]
        else:
            if not RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS:
                errors["retention_days"] = [
                    f"The retention period must be between {RETENTION_MIN_DAYS} and {RETENTION_MAX_DAYS} days."
                ]
    _raise_if(errors)
    assert days is not None
    before = organisation.retention_days
    if days == before:
        return organisation
    organisation.retention_days = days
    organisation.save(update_fields=["retention_days"])
    events.audit_add(events.retention_changed(actor=actor, organisation=organisation, before=before, after=days))
    return organisation


# --- roles and tiers ---------------------------------------------------------------------------------------
@transaction.atomic
def tier_mapping_set(*, actor: User, mapping: Mapping[str, str]) -> dict[str, str]:
    """Set which tier each role holds on multi-agency ladders (an empty tier: the role holds none).

    Refused, with nothing changed, where a live stage would be left with no holder who may hold it.
    """
    organisation = _require_organisation_admin(actor)
    errors: Errors = {}
    for role, tier in mapping.items():
        if role not in TIER_ROLES:
            errors.setdefault(role, []).append("This role cannot hold a tier.")
        elif tier and tier not in Tier.values:
            errors.setdefault(role, []).append("Choose one of the tiers offered.")
    _raise_if(errors)
    before = dict(organisation.tier_mappings.values_list("role", "tier"))
    after = {**before, **{role: tier for role, tier in mapping.items() if tier}}
    for role, tier in mapping.items():
        if not tier:
            after.pop(role, None)
    if after == before:
        return after
    refusal = _live_stage_refusal(organisation=organisation, tiers_after=after)
    if refusal:
        raise ActionConflict(refusal)
    TierMapping.objects.filter(organisation=organisation).exclude(role__in=after).delete()
    for role, tier in after.items():
        if before.get(role) != tier:
            TierMapping.objects.update_or_create(organisation=organisation, role=role, defaults={"tier": tier})
    changed = sorted(set(before) | set(after))
    events.audit_add(events.tier_mapping_changed(
        actor=actor, organisation=organisation,
        before={role: before.get(role, "") for role in changed if before.get(role) != after.get(role)},
        after={role: after.get(role, "") for role in changed if before.get(role) != after.get(role)},
    ))
    return after


# --- ladders: timescales and categories --------------------------------------------------------------------
@transaction.atomic
def ladder_timescales_set(*, actor: User, ladder: Ladder, working_days: Mapping[int, Any]) -> Ladder:
    """Change the response times of the stages the procedure leaves open.

    The change makes a new version of the ladder; escalations raised before keep the version they were
    raised on (``escalations.ladder_versions``), with a timeline entry each. Returns the new current ladder.
    """
    _require_administers_ladder(actor, ladder)
    stages = {stage.index: stage for stage in ladder.stages.all()}
    errors: Errors = {}
    changes: dict[int, int] = {}
    for index, value in working_days.items():
        field = f"stage_{index}"
        stage = stages.get(index)
        if stage is None:
            errors.setdefault(field, []).append("The ladder has no such stage.")
            continue
        if value is None or value == "" or isinstance(value, bool):
            errors.setdefault(field, []).append(f"Enter the working days for “{stage.name}”.")
            continue
        try:
            days = int(value)
        except (TypeError, ValueError):
            errors.setdefault(field, []).append("Enter a whole number of working days.")
            continue
        if not 0 <= days <= MAX_WORKING_DAYS:
            errors.setdefault(field, []).append(f"Enter between 0 (the same day) and {MAX_WORKING_DAYS} working days.")
            continue
        if days == stage.working_days:
            continue
        if not stage.timescale_editable:
            errors.setdefault(field, []).append(
                f"The procedure fixes the response time of “{stage.name}” at {stage.working_days} working "
                f"{_plural(stage.working_days, 'day', 'days')}."
            )
            continue
        changes[index] = days
    _raise_if(errors)
    if not changes:
        return ladder
    frozen = ladder_freeze_for_edit(ladder_id=ladder.pk, actor=actor)
    for index, days in changes.items():
        Stage.objects.filter(ladder_id=ladder.pk, index=index).update(working_days=days)
    current = Ladder.objects.get(pk=ladder.pk)
    events.audit_add(events.timescales_changed(
        actor=actor, ladder=current, kept_version=frozen.version,
        before={stages[i].name: stages[i].working_days for i in sorted(changes)},
        after={stages[i].name: changes[i] for i in sorted(changes)},
    ))
    return current


CATEGORY_LABEL_LIMIT = 300  # Category.label


@transaction.atomic
def category_add(*, actor: User, ladder: Ladder, label: str) -> Category:
    """Add the organisation's (or partnership's) own category of disagreement to one of its ladders."""
    _require_administers_ladder(actor, ladder)
    errors: Errors = {}
    label = " ".join((label or "").split())
    slug = slugify(label)[:80]
    if not label:
        errors.setdefault("label", []).append("Enter the category's name.")
    elif len(label) > CATEGORY_LABEL_LIMIT:
        errors.setdefault("label", []).append(f"A category's name must be {CATEGORY_LABEL_LIMIT} characters or fewer.")
    elif not slug:
        errors.setdefault("label", []).append("Use letters or numbers in the category's name.")
    elif ladder.categories.filter(Q(slug=slug) | Q(label__iexact=label)).exists():
        errors.setdefault("label", []).append("The ladder already has this category.")
    _raise_if(errors)
    position = (ladder.categories.aggregate(Max("position"))["position__max"] or 0) + 1
    category = Category.objects.create(ladder=ladder, slug=slug, label=label, position=position, own=True)
    events.audit_add(events.category_added(actor=actor, category=category))
    return category


@transaction.atomic
def category_remove(*, actor: User, category: Category) -> None:
    """Remove one of the organisation's own categories that no escalation on the ladder uses."""
    ladder = category.ladder
    _require_administers_ladder(actor, ladder)
    if not category.own:
        raise ActionConflict("This category comes from the procedure; only your own categories can be removed.")
    used = Escalation.objects.filter(ladder=ladder, category=category.slug).count()
    if used:
        raise ActionConflict(f"{used} {_plural(used, 'escalation uses', 'escalations use')} this category, so it "
                             "stays.")
    slug, label = category.slug, category.label
    category.delete()
    events.audit_add(events.category_removed(actor=actor, ladder=ladder, slug=slug, label=label))


# --- staff import from HR ----------------------------------------------------------------------------------
def staff_import_preview(*, actor: User, records: list[dict[str, str]]) -> ImportPlan:
    """What applying the file would change, with each row's errors; nothing is written."""
    organisation = _require_organisation_admin(actor)
    plan = staff_import_plan(organisation=organisation, records=records)
    for row in plan.changed:
        assert row.person is not None
        if "role" in row.changes and row.person.is_active:
            refusal = _live_stage_refusal(organisation=organisation, person=row.person, role_after=row.role)
            if refusal:
                row.errors.append(refusal)
    return plan


@transaction.atomic
def staff_import_apply(*, actor: User, records: list[dict[str, str]]) -> ImportPlan:
    """Apply the whole file or nothing: new people are invited, changed people updated, the rest left alone.

    Refused (``ValidationError`` with every row's errors, under ``file``) if any row has an error. Running
    the same file again changes nothing.
    """
    organisation = _require_organisation_admin(actor)
    Organisation.objects.select_for_update().get(pk=organisation.pk)  # one import at a time per organisation
    plan = staff_import_preview(actor=actor, records=records)
    if plan.errors:
        raise ValidationError({"file": plan.error_list()})
    if not plan.has_changes:
        return plan
    teams = {team.name.lower(): team for team in Team.objects.filter(organisation=organisation)}
    for name in plan.new_teams:
        teams[name.lower()] = Team.objects.create(organisation=organisation, name=name)
    audit: list[AuditEntry] = [events.team_created(actor=actor, team=teams[name.lower()]) for name in plan.new_teams]

    created: list[User] = []
    for row in plan.new:
        first, last = _name_parts({}, row.name)
        person = User(username=row.email, email=row.email, first_name=first, last_name=last, role=row.role,
                      organisation=organisation, team=teams.get(row.team.lower()) if row.team else None)
        person.set_unusable_password()
        created.append(person)
    User.objects.bulk_create(created)
    created = list(User.objects.filter(username__in=[p.username for p in created]))
    by_email = {person.email.lower(): person for person in created}
    changed_rows = plan.changed
    for row in changed_rows:
        assert row.person is not None
        by_email[row.email] = row.person
    managers_needed = {row.manager_email for row in plan.rows if row.manager_email} - set(by_email)
    for person in User.objects.annotate(email_key=Lower("email")).filter(
        organisation=organisation, email_key__in=managers_needed
    ):
        by_email[person.email.lower()] = person

    befores = {row.email: events.person_snapshot(row.person) for row in changed_rows if row.person is not None}
    for row in plan.new:
        person = by_email[row.email]
        person.line_manager = by_email.get(row.manager_email) if row.manager_email else None
    User.objects.bulk_update([by_email[row.email] for row in plan.new], ["line_manager"])
    for row in changed_rows:
        person = by_email[row.email]
        person.first_name, person.last_name = _name_parts({}, row.name)
        person.role = row.role
        person.team = teams.get(row.team.lower()) if row.team else None
        person.line_manager = by_email.get(row.manager_email) if row.manager_email else None
        person.is_active = True
    User.objects.bulk_update([by_email[row.email] for row in changed_rows],
                             ["first_name", "last_name", "role", "team", "line_manager", "is_active"])
    audit += [events.person_invited(actor=actor, person=by_email[row.email], source="HR import") for row in plan.new]
    audit += [events.person_changed(actor=actor, person=by_email[row.email], before=befores[row.email],
                                    source="HR import") for row in changed_rows]
    events.audit_add_many(audit)
    _invitations_send(by_email[row.email] for row in plan.new)
    return plan
