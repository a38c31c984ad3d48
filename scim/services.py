"""Provisioning: the bearer tokens of an organisation's SCIM client, and what a SCIM request does to
a member of staff (create, change, deactivate, reactivate).

A deactivation takes effect at once: the account is switched off, its sessions and API tokens are
deleted, and every live stage the person holds passes to the next holder by the section 8.1 rule,
with a ``system`` timeline entry (``escalations.services.escalations_hand_over``).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from escalations.services import HandedOver, escalations_hand_over
from identity.keys import key_hash, key_new
from organisations.models import Organisation, Role, User
from organisations.tokens import tokens_end

from .models import ScimToken

# A new person provisioned by SCIM starts with this role; the organisation's administrator gives the
# real one (the identity provider knows job titles, not the roles of the procedures).
DEFAULT_ROLE = Role.PRACTITIONER


def scim_token_create(*, organisation: Organisation, name: str) -> tuple[ScimToken, str]:
    """Make a token for the organisation's SCIM client; the key is returned once and only its hash kept."""
    key = key_new()
    return ScimToken.objects.create(organisation=organisation, name=name, key_hash=key_hash(key)), key


def scim_token_authenticate(key: str) -> ScimToken | None:
    """The live token with this key, its use recorded; None for an unknown or revoked one."""
    live = ScimToken.objects.select_related("organisation").filter(revoked_at__isnull=True)
    token = live.filter(key_hash=key_hash(key)).first()
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def scim_tokens_revoke(*, organisation: Organisation) -> int:
    """Revoke every live token of the organisation; return how many."""
    live = ScimToken.objects.filter(organisation=organisation, revoked_at__isnull=True)
    return live.update(revoked_at=timezone.now())


# --- people -----------------------------------------------------------------------------------------
@dataclass
class Attributes:
    """What SCIM may set on a person; None leaves a value as it is."""

    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    job_title: str | None = None
    active: bool | None = None
    manager_id: str | None = None
    manager_set: bool = False  # the manager was named (or removed: ``manager_id`` None)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _limits(attrs: Attributes) -> None:
    for name, limit in (("username", 150), ("first_name", 150), ("last_name", 150), ("email", 254),
                        ("job_title", 200)):
        value = getattr(attrs, name)
        if value is not None and len(value) > limit:
            attrs.errors[name] = [f"{name} must be {limit} characters or fewer."]


def _manager(organisation: Organisation, attrs: Attributes, person: User | None) -> User | None:
    if not attrs.manager_id:
        return None
    manager = None
    if attrs.manager_id.isdigit():
        manager = User.objects.filter(pk=int(attrs.manager_id), organisation=organisation).first()
    if manager is None:
        raise ValidationError({"manager": ["The manager must be a person of the same organisation."]})
    if person is not None and (manager.pk == person.pk or manager.pk in person.reports_below()):
        raise ValidationError({"manager": ["A person cannot be managed by themselves or someone they manage."]})
    return manager


def _apply(user: User, attrs: Attributes, organisation: Organisation) -> list[str]:
    changed = []
    for name in ("username", "first_name", "last_name", "email", "job_title"):
        value = getattr(attrs, name)
        if value is not None and getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if attrs.manager_set:
        manager = _manager(organisation, attrs, user)
        if user.line_manager_id != (manager.pk if manager else None):
            user.line_manager = manager
            changed.append("line_manager")
    return changed


def _username_taken(username: str, *, other_than: int | None = None) -> bool:
    return User.objects.filter(username__iexact=username).exclude(pk=other_than).exists()


def scim_user_create(*, organisation: Organisation, attrs: Attributes) -> User:
    """Create a member of staff of the organisation (no password: they sign in through the identity provider)."""
    _limits(attrs)
    if not attrs.username:
        attrs.errors["userName"] = ["userName is required."]
    if attrs.errors:
        raise ValidationError(attrs.errors)
    assert attrs.username is not None
    with transaction.atomic():
        if _username_taken(attrs.username):
            raise UsernameTaken(attrs.username)
        user = User(organisation=organisation, role=DEFAULT_ROLE, is_active=attrs.active is not False)
        _apply(user, attrs, organisation)
        user.set_unusable_password()
        user.save()
    return user


class UsernameTaken(Exception):
    """Another account has this userName (SCIM 409, scimType uniqueness)."""


def scim_user_update(*, organisation: Organisation, user: User, attrs: Attributes,
                     now: dt.datetime | None = None) -> list[HandedOver]:
    """Change a person's attributes; ``active`` false deactivates them (see ``person_deactivate``)."""
    _limits(attrs)
    if attrs.username == "":
        attrs.errors["userName"] = ["userName cannot be empty."]
    if attrs.errors:
        raise ValidationError(attrs.errors)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if attrs.username and _username_taken(attrs.username, other_than=user.pk):
            raise UsernameTaken(attrs.username)
        changed = _apply(user, attrs, organisation)
        if changed:
            user.save(update_fields=changed)
        if attrs.active is True and not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        if attrs.active is False and user.is_active:
            return person_deactivate(user=user, now=now or timezone.now(),
                                     reason=f"{user.display_name} has left {organisation.name}: their account is "
                                            "switched off.")
    return []


def sessions_end(*, user: User) -> int:
    """Delete every session signed in as this person; return how many."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def person_deactivate(*, user: User, now: dt.datetime, reason: str) -> list[HandedOver]:
    """Switch a person off at once: no sign-in, no session, no API token, and their live stages passed on."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        tokens_end(user=user)
        sessions_end(user=user)
        return escalations_hand_over(person=user, now=now, reason=reason)
