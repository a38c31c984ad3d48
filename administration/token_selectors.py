"""The reads of the API tokens' pages: the administrator's own organisation's tokens only."""
from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from identity.models import ServiceToken
from organisations.models import User


def service_token_list(*, actor: User) -> QuerySet[ServiceToken]:
    """The organisation's tokens, newest first (revoked and expired ones too: they say what was used)."""
    return ServiceToken.objects.of_organisation(actor.organisation_id).order_by("-created_at", "-pk")


def service_token_get(*, actor: User, pk: int) -> ServiceToken:
    """One of the organisation's tokens; another organisation's, or none, is not found."""
    token = service_token_list(actor=actor).filter(pk=pk).first()
    if token is None:
        raise Http404("No such API token in your organisation.")
    return token
