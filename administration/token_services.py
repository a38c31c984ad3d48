"""The administrator's writes on the API tokens of the organisation's case-management system: make one, revoke
one. Each is one transaction with its audit log entry (``events``); the token itself is
``identity.service_tokens``'. The ``service_token`` command makes and revokes them alike, without an actor."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.errors import ActionConflict
from identity.models import ServiceToken
from identity.service_tokens import service_token_create, service_token_revoke
from organisations.models import Organisation, User

from . import events


def organisation_service_token_issue(*, organisation: Organisation, actor: User | None, name: str,
                                     scopes: list[str], last_day: dt.date | None,
                                     source: str = "page") -> tuple[ServiceToken, str]:
    """Make a token for the organisation; return it and its key (shown once). ``actor`` is its administrator,
    or None for the platform's command."""
    with transaction.atomic():
        token, key = service_token_create(organisation=organisation, name=name, scopes=scopes, last_day=last_day,
                                          created_by=actor)
        events.audit_add(events.service_token_issued(actor=actor, token=token, source=source))
    return token, key


def organisation_service_token_revoke(*, token: ServiceToken, actor: User | None, source: str = "page") -> None:
    """Revoke the token at once (409 where it is already revoked)."""
    with transaction.atomic():
        if not service_token_revoke(token=token, by=actor):
            raise ActionConflict("This API token is already revoked.")
        events.audit_add(events.service_token_revoked(actor=actor, token=token, source=source))
