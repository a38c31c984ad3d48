"""The site's error pages: what happened and where to go, in GOV.UK patterns (``templates/<status>.html``).

``escalation_tracker.urls`` names these as ``handler400``, ``handler403``, ``handler404`` and ``handler500``;
a refused CSRF check renders ``templates/403_csrf.html`` through Django's own view. Paths under ``/api/``
and ``/scim/`` are read by programs: what reaches these handlers there is answered in JSON, as the API
answers (``{"detail": ...}``), never with a page.
"""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

MACHINE_PATHS = ("/api/", "/scim/")


def _machine(request: HttpRequest) -> bool:
    return request.path.startswith(MACHINE_PATHS)


def _json(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _page(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, context, request=request), status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _machine(request):
        return _json("Bad request.", 400)
    return _page(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403, with the refusal's own words when it has some (``PermissionDenied("Only a PSW ...")``)."""
    if _machine(request):
        return _json(str(exception) or "You do not have permission to perform this action.", 403)
    return _page(request, "403.html", 403, reason=str(exception or ""))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _machine(request):
        return _json("Not found.", 404)
    return _page(request, "404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: rendered without the request's context (no database, no session), as Django's own is."""
    if _machine(request):
        return _json("Server error.", 500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)
