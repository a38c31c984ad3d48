"""API tokens (django-rest-knox): issued on a username and password, stored only as a hash, expiring.

A token ends when it expires (``REST_KNOX["TOKEN_TTL"]``), when its person signs out, changes their
password or is switched off, and when more than ``TOKEN_LIMIT_PER_USER`` are live (the oldest go).
"""
from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken


def token_issue(*, user) -> str:
    """A new token for this person (its key, shown once: only its hash is kept)."""
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    live = AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
    if limit:
        stale = list(live.values_list("pk", flat=True)[limit - 1:])
        if stale:
            AuthToken.objects.filter(pk__in=stale).delete()
    AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    _, key = AuthToken.objects.create(user=user)
    return key


def tokens_end(*, user) -> int:
    """End every API token of this person; the number ended."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
