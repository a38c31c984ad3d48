"""A case-management system's service token on the API: its authentication, its scopes, its throttle and how
the OpenAPI schema describes it.

``Authorization: Bearer etcms_...`` names a ``ServiceToken``. The request is then made by no person:
``request.user`` is a ``ServiceTokenUser``, an anonymous user that holds no permission at all, and
``request.auth`` is the token. So every check written for people refuses it: ``IsAuthenticated`` (DRF's
default permission) answers 403, ``visible_to`` gives nothing, ``has_perm`` is False. Only the endpoints that
name ``ServiceTokenAuthentication`` among their authentication classes and ``PersonOrServiceScope`` as their
permission let it through, each for the scope its method needs (``service_token_scopes``), and they read the
token's organisation, never a person's.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from core.api import UserRateThrottle

from .models import Scope, ServiceToken
from .service_tokens import KEY_PREFIX, ServiceTokenRefused, service_token_authenticate

SCHEME = "Bearer"
REALM = 'Bearer realm="api"'


class ServiceTokenUser(AnonymousUser):
    """Who makes a service token's request: nobody. Anonymous (``is_authenticated`` False) and without any
    permission, whatever a ``rules`` predicate would say of an anonymous user."""

    def __init__(self, token: ServiceToken) -> None:
        self.service_token = token

    def __str__(self) -> str:
        return f"service token {self.service_token.prefix}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, module: str) -> bool:
        return False


class ServiceTokenInvalid(exceptions.APIException):
    """401 with the token scheme's own ``WWW-Authenticate`` (RFC 6750 section 3.1), whichever authentication
    class comes first on the view (knox's, whose header DRF would otherwise give)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_token"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.auth_header = f'{REALM}, error="invalid_token"'


def service_token_of(request: Any) -> ServiceToken | None:
    """The service token the request was authenticated with, or None (a person, or nobody)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ServiceToken) else None


class ServiceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer etcms_<key>``. Any other scheme, or a bearer key without the prefix (a SCIM
    token), is left to the other classes; an unknown, expired or revoked service token is 401."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != SCHEME.lower().encode():
            return None
        key = header[1].decode(errors="replace")
        if not key.startswith(KEY_PREFIX):
            return None
        try:
            token = service_token_authenticate(key=key, request=request._request)
        except ServiceTokenRefused as refused:
            raise ServiceTokenInvalid(refused.message) from None
        return ServiceTokenUser(token), token

    def authenticate_header(self, request) -> str:
        return REALM


class PersonOrServiceScope(BasePermission):
    """A signed-in person (the view's own rules decide the rest), or a service token with the scope the view
    names for the request's method in ``service_token_scopes``; any other method is refused to a token."""

    message = "This API token may not do this."

    def has_permission(self, request, view) -> bool:
        token = service_token_of(request)
        if token is None:
            return bool(request.user and request.user.is_authenticated)
        scope = getattr(view, "service_token_scopes", {}).get(request.method)
        if scope is None:
            self.message = "An API token may not do this."
            return False
        if not token.has_scope(scope):
            self.message = f"This API token does not have the scope {scope}."
            return False
        return True


class PersonRateThrottle(UserRateThrottle):
    """The ``user`` rate, per person: a service token's requests are counted by ``ServiceTokenRateThrottle``."""

    def get_cache_key(self, request, view):
        if service_token_of(request) is not None:
            return None
        return super().get_cache_key(request, view)


class ServiceTokenRateThrottle(UserRateThrottle):
    """The ``service_token`` rate (``API_RATE_SERVICE_TOKEN``), per token, whatever address it comes from."""

    scope = "service_token"

    def get_cache_key(self, request, view):
        token = service_token_of(request)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{token.pk}"}


# On a view that a service token may call, in this order: a person's knox token first (its scheme names the
# 401 of a request without credentials, as everywhere else), then a service token, then the session.
def authentication_classes() -> list[type[BaseAuthentication]]:
    from knox.auth import TokenAuthentication
    from rest_framework.authentication import SessionAuthentication

    return [TokenAuthentication, ServiceTokenAuthentication, SessionAuthentication]


THROTTLES = [PersonRateThrottle, ServiceTokenRateThrottle]
# The schema's security of an operation such a view takes from people only (no scope names it).
PERSONS_ONLY = [{"knoxApiToken": []}, {"cookieAuth": []}]


def scopes_words(**by_method: Scope) -> str:
    """The sentence an endpoint's description ends with: which scope a service token needs."""
    return " ".join(f"With a service token, {method} needs the scope `{scope.value}`." for method, scope in
                    by_method.items())


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """The schema's ``serviceToken`` security scheme: HTTP bearer, on the endpoints that accept it."""

    target_class = "identity.service_token_auth.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": f"{KEY_PREFIX}<key>",
            "description": "An organisation's service token for its case-management system, made by its "
                           "administrator (Administration → API tokens). It may call only the endpoints whose "
                           "description names its scope (`cases:create`, `escalations:read`, "
                           "`escalations:raise`), only for its own organisation, until it expires or is "
                           "revoked (401).",
        }
