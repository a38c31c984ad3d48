"""Service tokens: an organisation's case-management system calls the API with one instead of a person's
password (issue 16, item 5).

- ``service_token_create`` makes one: a name, its scopes (``Scope``), the last day it works (at most
  ``MAX_DAYS`` ahead). The key, ``etcms_`` and 43 random characters, is returned once; only its SHA-256 is
  kept (``identity.keys``), with its first characters as ``prefix``.
- ``service_token_authenticate`` finds the token of a key, refusing an unknown, expired or revoked one
  (``ServiceTokenRefused``, answered 401); a refusal of a known token is in the access log.
- ``service_token_revoke`` ends one at once.

The administrators' pages and the ``service_token`` command call these through
``administration.token_services``, which writes the administration audit log's entry.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import Action, Outcome, Subject, access_record
from core import text
from organisations.models import Organisation, User

from .keys import key_hash, key_new
from .models import Scope, ServiceToken

KEY_PREFIX = "etcms_"  # says what the key is (and that it is not a knox ``Token``), e.g. to a secret scanner
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # what lists show: enough to tell a few dozen tokens apart, useless to guess
# The longest a token lives: a year, so that a forgotten integration stops by itself and its key is replaced
# at least yearly (NCSC "API authentication": credentials that expire).
MAX_DAYS = 365
NAME_LIMIT = 100
# How often last_used_at is written: not on every request, which would make every read a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)
NAME_MISSING = "Enter a name that says which system uses the token"
SCOPES_MISSING = "Choose at least one thing the token may do"


class ServiceTokenRefused(Exception):
    """A key that is unknown, expired or revoked: the API answers 401 with ``message``."""

    def __init__(self, message: str, *, token: ServiceToken | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


def expiry_of(last_day: dt.date) -> dt.datetime:
    """The moment a token whose last working day is ``last_day`` expires: the next midnight, London time."""
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=text.LONDON)


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now, text.LONDON).date()


def service_token_create(*, organisation: Organisation, name: str, scopes: list[str], last_day: dt.date | None,
                         created_by: User | None = None, now: dt.datetime | None = None) -> tuple[ServiceToken, str]:
    """Make a token for the organisation's system; return it and its key (shown once: only its hash is kept).

    ``last_day`` is the last day (London) it works, after today and at most ``MAX_DAYS`` ahead. Refused
    (ValidationError on ``name``, ``scopes`` or ``last_day``) otherwise.
    """
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [NAME_MISSING]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [f"The name must be {NAME_LIMIT} characters or fewer"]
    chosen = sorted(set(scopes or []))
    if not chosen:
        errors["scopes"] = [SCOPES_MISSING]
    elif any(scope not in Scope.values for scope in chosen):
        errors["scopes"] = ["Choose only from the operations listed"]
    today = _today(now)
    if last_day is None:
        errors["last_day"] = ["Enter the last day the token works"]
    elif last_day <= today:
        errors["last_day"] = ["The last day the token works must be in the future"]
    elif last_day > today + dt.timedelta(days=MAX_DAYS):
        errors["last_day"] = [f"The last day the token works must be at most {MAX_DAYS} days from today, "
                              f"{text.day_words(today + dt.timedelta(days=MAX_DAYS))} at the latest"]
    if errors:
        raise ValidationError(errors)
    assert last_day is not None
    key = key_new(KEY_PREFIX)
    token = ServiceToken.objects.create(
        organisation=organisation, name=name, scopes=[scope for scope in Scope.values if scope in chosen],
        prefix=key[:PREFIX_LENGTH], key_hash=key_hash(key), created_by=created_by, created_at=now,
        expires_at=expiry_of(last_day),
    )
    return token, key


def _refused(token: ServiceToken, message: str, reason: str, request: Any) -> ServiceTokenRefused:
    """A known token refused: in the access log under its organisation, then answered 401."""
    access_record(action=Action.REFUSED, obj=Subject(kind="service_token", id=str(token.pk),
                                                     organisation_id=token.organisation_id),
                  request=request, user=token, outcome=Outcome.FORBIDDEN, status=401, detail={"reason": reason})
    return ServiceTokenRefused(message, token=token)


def service_token_authenticate(*, key: str, request: Any = None, now: dt.datetime | None = None) -> ServiceToken:
    """The live token with this key, its use noted (``last_used_at``, to the minute).

    Raises ``ServiceTokenRefused`` for a key that names no token, or a token expired or revoked.
    """
    now = now or timezone.now()
    token = None
    if key.startswith(KEY_PREFIX) and len(key) < 200:
        token = ServiceToken.objects.select_related("organisation").filter(key_hash=key_hash(key)).first()
    if token is None:
        raise ServiceTokenRefused("Unknown API token.")
    if token.revoked_at is not None:
        raise _refused(token, f"This API token was revoked on {text.when_dated(token.revoked_at)}. Ask your "
                              "organisation's administrator for a new one.", "revoked", request)
    if token.expires_at <= now:
        raise _refused(token, f"This API token expired at the end of {text.day_words(token.last_day)}. Ask "
                              "your organisation's administrator for a new one.", "expired", request)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def service_token_revoke(*, token: ServiceToken, by: User | None = None, now: dt.datetime | None = None) -> bool:
    """End the token at once; False where it was already revoked (nothing changes)."""
    now = now or timezone.now()
    with transaction.atomic():
        ended = ServiceToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now, revoked_by=by)
    if ended:
        token.revoked_at, token.revoked_by = now, by
    return bool(ended)


def service_token_raiser(*, token: ServiceToken, username: str) -> User | None:
    """The member of the token's organisation an escalation is raised on behalf of: active, of the token's
    organisation, and allowed to raise (``escalations.raise_escalation``: never an administrator, a board
    member or a platform account). None for anyone else, whether or not the username exists."""
    person = User.objects.filter(username=username, organisation_id=token.organisation_id, is_active=True).first()
    if person is None or not person.has_perm("escalations.raise_escalation"):
        return None
    return person
