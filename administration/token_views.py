"""The API tokens' pages: the organisation's administrator makes a token for its case-management system, sees
the tokens (never their keys) and revokes one. Only the organisation's own administrator: 403 for anyone else,
404 for another organisation's token."""
from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from identity.models import TokenState
from identity.service_tokens import MAX_DAYS

from . import token_selectors, token_services
from .token_forms import ServiceTokenForm
from .views import _act, _posted, _try, organisation_admin_only


@organisation_admin_only
@require_GET
def tokens(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [(token, token.state(now=now)) for token in token_selectors.service_token_list(actor=request.user)]
    return render(request, "administration/tokens/list.html", {"rows": rows, "states": TokenState})


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def token_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ServiceTokenForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        made = _try(form, lambda: token_services.organisation_service_token_issue(
            organisation=user.organisation, actor=user, **form.service_kwargs()))
        if made is not None:
            token, key = made
            # The key, once: not in a redirect's URL or the session, only in this answer (never cached: every
            # answer to a signed-in person is no-store, core.middleware).
            return render(request, "administration/tokens/made.html", {
                "token": token, "key": key, "api": request.build_absolute_uri("/api/v1/"),
                "docs": request.build_absolute_uri(reverse("api-docs")),
            })
    example = timezone.localdate() + dt.timedelta(days=90)
    return render(request, "administration/tokens/new.html", {
        "form": form,
        "date_hint": f"At most {MAX_DAYS} days from today. It stops working at midnight at the end of that day. "
                     f"For example, {example.day} {example.month} {example.year}",
    })


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    token = token_selectors.service_token_get(actor=user, pk=pk)
    if request.method == "POST":
        _act(request, lambda: token_services.organisation_service_token_revoke(token=token, actor=user),
             f"The API token “{token.name}” is revoked: it no longer works.")
        return redirect("administration:tokens")
    return render(request, "administration/tokens/revoke.html", {"token": token, "state": token.state()})
