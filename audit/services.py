"""Writing the access log: ``access_record`` is the one door (and ``access_record_many`` its bulk form).

Pages and API views call it for what they show or export; ``audit.middleware`` calls it for every refusal
(403, and the 404 that hides an object); ``audit.signals`` for the Django admin's changes and for
deletions; administration's events for each change an administrator makes.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from core.client import client_address

from .models import AccessEvent, Action, Outcome
from .subjects import NOTHING, Subject, describe

PATH_LIMIT = 300

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


@contextmanager
def request_in_flight(request: HttpRequest) -> Iterator[None]:
    """Make the request known to rows recorded without it (signals): ``audit.middleware`` wraps each one."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def current_request() -> HttpRequest | None:
    return _request.get()


def _who(request: HttpRequest | None, user: Any) -> tuple[int | None, str]:
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, ""
    return user.pk, user.get_username()


def _system(request: HttpRequest | None, user: Any) -> tuple[str, int | None, dict[str, Any]] | None:
    """A system acting instead of a person (an organisation's service token, ``identity.service_tokens``):
    ``user`` itself, or what authenticated the request (``request.auth``). Anything with ``access_log_actor()``
    says its own name, organisation and ids."""
    candidate = user if user is not None else getattr(request, "auth", None) if request is not None else None
    describe = getattr(candidate, "access_log_actor", None)
    return describe() if callable(describe) else None


def _row(*, action: str, subject: Subject, request: HttpRequest | None, user: Any, outcome: str,
         status: int | None, detail: dict[str, Any] | None) -> AccessEvent:
    organisation_id = subject.organisation_id
    system = _system(request, user)
    if system is not None:  # no person: the system's name, filed under its organisation where the subject has none
        user_id, (username, own_organisation_id, ids) = None, system
        organisation_id = organisation_id or own_organisation_id
        detail = {**ids, **(detail or {})}
    else:
        user_id, username = _who(request, user)
    address = client_address(request) if request is not None else ""
    return AccessEvent(
        user_id=user_id, username=username, action=action, outcome=outcome, status=status,
        object_kind=subject.kind, object_id=subject.id, escalation_id=subject.escalation_id,
        organisation_id=organisation_id, partner_organisation_id=subject.partner_organisation_id,
        address=address or None,
        method=(request.method or "")[:10] if request is not None else "",
        path=request.path[:PATH_LIMIT] if request is not None else "",
        detail=detail or {},
    )


def access_record(*, action: str, obj: Any = None, request: HttpRequest | None = None, user: Any = None,
                  outcome: str = Outcome.ALLOWED, status: int | None = None,
                  detail: dict[str, Any] | None = None) -> AccessEvent:
    """Record one access: ``action`` (``audit.models.Action``) on ``obj`` (a model instance or a ``Subject``).

    Who and from where come from ``request`` (the signed-in person; the client's address through
    ``core.client.client_address``, which believes only the trusted proxies), else from the request in
    flight, else nobody (the system). ``user`` names the person when there is no request. A request made
    with an organisation's service token (``request.auth``, or the token given as ``user``) is recorded under
    the token's prefix and name, its organisation and id. ``detail`` holds ids and kinds only: never a
    child's name, a case reference or free text.
    """
    request = request if request is not None else current_request()
    subject = describe(obj) if obj is not None else NOTHING
    row = _row(action=action, subject=subject, request=request, user=user, outcome=outcome, status=status,
               detail=detail)
    row.save()
    return row


def access_record_many(*, action: str, objs: Iterable[Any], request: HttpRequest | None = None, user: Any = None,
                       detail: dict[str, Any] | None = None) -> list[AccessEvent]:
    """Record the same access to many objects (an API page of escalations) in one statement."""
    request = request if request is not None else current_request()
    rows = [_row(action=action, subject=describe(obj), request=request, user=user, outcome=Outcome.ALLOWED,
                 status=None, detail=detail) for obj in objs]
    return AccessEvent.objects.bulk_create(rows) if rows else []


__all__ = ["Action", "Outcome", "Subject", "access_record", "access_record_many", "current_request",
           "request_in_flight"]
