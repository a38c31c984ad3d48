"""What every REST endpoint shares: the error shape, pagination, throttles, strict input fields,
the error serializers the schema documents, and the lookup of an object the user may see.

Errors have two shapes, and only two:

- 400: ``{field: [reason, ...]}``; a problem with the request as a whole (malformed JSON, a body
  that is not an object) is keyed ``non_field_errors``.
- every other refusal (403, 404, 405, 409, 415, 429): ``{"detail": reason}``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import csrf
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, permissions, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.client import client_address
from core.errors import ActionConflict, ActionNotPermitted, ServiceError
from core.pagination import IdsFirstPaginator

# The largest id a BigAutoField holds; a bigger number in a URL is simply not there (and must not
# reach the database, which would refuse it with an error instead of "not found").
MAX_ID = 2**63 - 1
NOT_FOUND = "Not found."


# --- errors ------------------------------------------------------------------------------------------
def _as_lists(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF or Django error details into ``{field: [reason, ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            if isinstance(value, dict):
                for inner, reasons in _as_lists(value).items():
                    flat[f"{field}.{inner}"] = reasons
            elif isinstance(value, (list, tuple)):
                reasons: list[str] = []
                for item in value:
                    if isinstance(item, dict):
                        for inner, inner_reasons in _as_lists(item).items():
                            flat[f"{field}.{inner}"] = inner_reasons
                    else:
                        reasons.append(str(item))
                if reasons:
                    flat[str(field)] = reasons
            else:
                flat[str(field)] = [str(value)]
        return flat
    if isinstance(detail, (list, tuple)):
        return {api_settings.NON_FIELD_ERRORS_KEY: [str(item) for item in detail]}
    return {api_settings.NON_FIELD_ERRORS_KEY: [str(detail)]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Answer the services' refusals with the contract's status codes, in the two error shapes."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        return Response(_as_lists(detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ActionNotPermitted):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ActionConflict):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        data = response.data
        if isinstance(data, dict) and set(data) == {"detail"}:
            # A problem with the request as a whole (a body that is not JSON): not a field's.
            data = {api_settings.NON_FIELD_ERRORS_KEY: [data["detail"]]}
        response.data = _as_lists(data)
    elif not (isinstance(response.data, dict) and set(response.data) == {"detail"}):
        response.data = {"detail": str(response.data)}
    return response


class ErrorOutput(serializers.Serializer):
    """A refusal: not signed in, not allowed, not found, a conflict with the escalation's state."""

    detail = serializers.CharField(help_text="Why the request was refused, in words a person can act on.")


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Bad input: each field named with the reasons it was refused. Problems with the "
                   "request as a whole are under `non_field_errors`.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"concern": ["This field is required."]},
}

BAD_REQUEST = OpenApiResponse(
    VALIDATION_ERROR_SCHEMA, description="Bad input: the field and the reason; nothing was saved.",
)
NOT_AUTHENTICATED = OpenApiResponse(
    ErrorOutput,
    description="Not signed in, or the token is unknown or expired: send `Authorization: Token <token>` "
                "(the answer's `WWW-Authenticate` header says so) or sign in.",
)
FORBIDDEN = OpenApiResponse(
    ErrorOutput, description="Not allowed to do this, or a signed-in page's request without its CSRF token.",
)
NOT_FOUND_RESPONSE = OpenApiResponse(
    ErrorOutput, description="Not found, or not visible to you: the two are indistinguishable."
)
PAGE_NOT_FOUND = OpenApiResponse(ErrorOutput, description="No such page of results.")
CONFLICT = OpenApiResponse(
    ErrorOutput,
    description="Not allowed in the escalation's current state or by its ladder, or the escalation "
                "changed since the version you sent.",
)
THROTTLED = OpenApiResponse(ErrorOutput, description="Too many requests: wait and try again.")


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an endpoint; 401, 403 and 429 apply to all.

    Token authentication comes first, so a request without valid credentials is answered 401 with
    ``WWW-Authenticate: Token``; 403 is a signed-in person not allowed to do this.
    """
    table = {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND_RESPONSE, 409: CONFLICT,
             429: THROTTLED}
    return {code: table[code] for code in sorted({*codes, 401, 403, 429})}


# --- lookups -----------------------------------------------------------------------------------------
def get_visible_or_404(queryset: QuerySet, *, pk: Any) -> Model:
    """Return the object with this id from a queryset already limited to what the user may see.

    A missing object and one the user may not see give the same 404 with the same body.
    """
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise Http404(NOT_FOUND)
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404(NOT_FOUND) from None


# --- pagination and throttling -----------------------------------------------------------------------
class PageNumberPagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}``; ``?page=`` and ``?page_size=`` (at most 100)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = IdsFirstPaginator  # the page's ids and the count in one read, then its rows


class _LiveRateMixin:
    """Read the rate from the settings at each request, so that an environment or test change applies."""

    scope: str

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise exceptions.ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc


class _ClientAddressMixin:
    """The client's address as core.client reads it (X-Forwarded-For only from TRUSTED_PROXIES), not DRF's
    own reading, which believes any X-Forwarded-For (NUM_PROXIES unset) and so is defeated by rotating it."""

    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"


class TokenRateThrottle(_ClientAddressMixin, _LiveRateMixin, throttling.SimpleRateThrottle):
    """The token endpoint: by client address, whoever is asking, at the ``token`` rate.

    The counts live in the default cache, which every process shares (Redis in production, files under
    var/ otherwise), so two web instances or workers count together.
    """

    scope = "token"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserRateThrottle(_ClientAddressMixin, _LiveRateMixin, throttling.UserRateThrottle):
    """Everything else: per signed-in user (per address before sign-in), at the ``user`` rate."""


# --- strict input fields -----------------------------------------------------------------------------
class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean where text is expected is refused, not converted."""

    default_error_messages = {"invalid": "Must be text."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number only: text or a boolean is refused, not converted."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` only."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictChoiceField(serializers.ChoiceField):
    """One of the choices, given as text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=str(data)[:50])
        return super().to_internal_value(data)


class LondonDateTimeField(serializers.DateTimeField):
    """ISO 8601 with the Europe/London offset (``+00:00`` in winter, ``+01:00`` in summer)."""

    def to_representation(self, value):
        if value is None:
            return None
        from django.utils import timezone

        return timezone.localtime(value).isoformat()


class InputSerializer(serializers.Serializer):
    """A request body: an object whose every key is a field of the serializer."""

    def to_internal_value(self, data: Any) -> dict:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            # Named (and capped) so that a typo is seen at once and a huge body cannot echo back whole.
            names = sorted(str(key) for key in data if key not in self.fields)
            unknown = {name[:100]: ["Unknown field."] for name in names[:20]}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ApiNotFound(APIView):
    """Any path under /api/ that is no endpoint (a mistyped path, an id that is not a number, another
    version): a JSON 404 for every method, signed in or not, never the site's HTML page."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    schema = None  # not an operation of the schema

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Every method comes here: the view has no handler of its own.
        raise exceptions.NotFound(NOT_FOUND)

    def options(self, request, *args, **kwargs):
        raise exceptions.NotFound(NOT_FOUND)


api_not_found = ApiNotFound.as_view()


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused CSRF check: under /api/ the API's JSON 403, elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=status.HTTP_403_FORBIDDEN)
    return csrf.csrf_failure(request, reason=reason)


def forbid_unknown_fields(result: dict, generator, request, public) -> dict:
    """Say in the schema what the input serializers enforce: a request body has no other keys."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
