"""The second factor, enforced: a password sign-in that owes a code reaches only the code's pages."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .two_factor import DUE_SESSION_KEY, NEXT_SESSION_KEY


class SecondFactorMiddleware:
    """Until the code is given: pages send the person to give it (or to set up an app), the API answers 403.

    The sign-out and the code's own pages stay open. Nothing is read from the database here: whether a
    sign-in owes a code is decided once, at sign-in, and kept in the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and request.session.get(DUE_SESSION_KEY)
                and not user.is_verified()):
            open_paths = {reverse("two_factor_verify"), reverse("two_factor_set_up"), reverse("logout")}
            if request.path not in open_paths:
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Give the code from your authenticator app on the "
                                                   "website's sign-in first."}, status=403)
                if request.method == "GET":
                    request.session[NEXT_SESSION_KEY] = request.get_full_path()
                return redirect("two_factor_verify")
        return self.get_response(request)
