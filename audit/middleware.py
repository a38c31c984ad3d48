"""The access log's rows that no view writes itself.

- Every refusal: a 403, and a 404 at a URL about an object (an escalation, an attachment), which is how
  the product hides what a person may not see (a mistyped address is not recorded).
- Every change made in the Django admin: the admin's own ``LogEntry`` rows of the request (one, or many
  for a bulk action), each with who, what and from where.

It also makes the request known to rows recorded without one in hand (``audit.signals``).
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.db.models import Max
from django.http import HttpRequest, HttpResponse

from .models import Action, Outcome
from .services import access_record, request_in_flight
from .subjects import Subject, from_url

REFUSALS = {403: Outcome.FORBIDDEN, 404: Outcome.NOT_FOUND}
ADMIN_PREFIX = "/admin/"
ADMIN_FLAGS = {1: "added", 2: "changed", 3: "deleted"}


class AccessAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_change = request.method == "POST" and request.path.startswith(ADMIN_PREFIX)
        last_entry = (LogEntry.objects.aggregate(last=Max("pk"))["last"] or 0) if admin_change else 0
        with request_in_flight(request):
            response = self.get_response(request)
        if admin_change:
            _admin_changes(request, after=last_entry)
        outcome = REFUSALS.get(response.status_code)
        if outcome is not None:
            _refused(request, response, outcome)
        return response


def _admin_changes(request: HttpRequest, *, after: int) -> None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    entries = LogEntry.objects.filter(pk__gt=after, user_id=user.pk).select_related("content_type").order_by("pk")
    for entry in entries:
        kind = f"{entry.content_type.app_label}.{entry.content_type.model}" if entry.content_type_id else ""
        access_record(
            action=Action.ADMINISTRATIVE_CHANGE, obj=Subject(kind=kind[:40], id=str(entry.object_id)[:64]),
            request=request,
            detail={"via": "django_admin", "flag": ADMIN_FLAGS.get(entry.action_flag, str(entry.action_flag)),
                    "log_entry": entry.pk},
        )


def _refused(request: HttpRequest, response: HttpResponse, outcome: str) -> None:
    match = getattr(request, "resolver_match", None)
    subject = from_url(match.view_name, match.kwargs) if match is not None else None
    if subject is None and outcome == Outcome.NOT_FOUND:
        return  # a mistyped address hides nothing
    if subject is None:  # a page refused as a whole: filed under the person's own organisation
        user = getattr(request, "user", None)
        subject = Subject(kind="page", id=match.view_name[:64] if match is not None else "",
                          organisation_id=getattr(user, "organisation_id", None))
    access_record(action=Action.REFUSED, obj=subject, request=request, outcome=outcome, status=response.status_code)
