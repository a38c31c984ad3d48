"""SCIM 2.0 (RFC 7643, RFC 7644) for an organisation's identity provider: the Users resource and the
discovery endpoints. A request carries ``Authorization: Bearer <token>``; the token belongs to one
organisation, and the client reads and changes that organisation's staff only (anyone else is 404).

Supported: ``GET /Users`` (``filter=userName eq "..."``, ``startIndex``, ``count``), ``GET /Users/{id}``,
``POST /Users``, ``PUT /Users/{id}``, ``PATCH /Users/{id}`` (add, replace and remove of ``active``,
``userName``, ``name``, ``displayName``, ``title``, ``emails`` and the enterprise ``manager``, with or
without a ``path``; Entra ID's "True"/"False" strings are read as booleans) and ``DELETE /Users/{id}``
(deactivation: the record stays, for the escalations' history). Attributes the product does not keep
(addresses, phone numbers...) are accepted and ignored. Every error answers the SCIM error schema.
"""
from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions, renderers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.parsers import JSONParser
from organisations.models import User

from .models import ScimToken
from .services import Attributes, UsernameTaken, scim_token_authenticate, scim_user_create, scim_user_update

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_COUNT = 200  # the most users one list page returns (advertised in ServiceProviderConfig)


class ScimError(exceptions.APIException):
    def __init__(self, detail: str, *, status_code: int = 400, scim_type: str | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.scim_type = scim_type


def scim_error(detail: str, status_code: int, scim_type: str | None = None) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status_code), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = Response(body, status=status_code)
    if status_code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def exception_handler(exc: Exception, context: dict) -> Response:
    """Every refusal in the SCIM error schema (RFC 7644 section 3.12)."""
    if isinstance(exc, ScimError):
        return scim_error(str(exc.detail), exc.status_code, exc.scim_type)
    if isinstance(exc, ValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"value": exc.messages}
        detail = "; ".join(f"{field}: {' '.join(reasons)}" for field, reasons in messages.items())
        return scim_error(detail, 400, "invalidValue")
    if isinstance(exc, UsernameTaken):
        return scim_error(f"userName {exc.args[0]!r} is already in use.", 409, "uniqueness")
    if isinstance(exc, Http404):
        return scim_error("Resource not found.", 404)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return scim_error("A valid bearer token is required.", 401)
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return scim_error(str(exc.detail), 400, "invalidSyntax")
    if isinstance(exc, exceptions.APIException):
        return scim_error(str(exc.detail), exc.status_code)
    raise exc


class ScimJSONParser(JSONParser):
    media_type = "application/scim+json"


class ScimJSONRenderer(renderers.JSONRenderer):
    media_type = "application/scim+json"


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``, one of an organisation's SCIM tokens."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed bearer token.")
        token = scim_token_authenticate(header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="scim"'


class HasScimToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, ScimToken):
            raise exceptions.NotAuthenticated()
        return True


class ScimView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [HasScimToken]
    parser_classes = [ScimJSONParser, JSONParser]  # bounded in length and depth, as the API's
    renderer_classes = [ScimJSONRenderer, renderers.JSONRenderer]
    throttle_classes: list = []
    schema = None  # not part of the product's REST API schema: SCIM is its own standard

    def get_exception_handler(self):
        return exception_handler

    @property
    def organisation(self):
        return self.request.auth.organisation


# --- the User resource ---------------------------------------------------------------------------
def user_resource(request, user: User) -> dict[str, Any]:
    location = request.build_absolute_uri(reverse("scim:user", args=[user.pk]))
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": str(user.pk),
        "userName": user.username,
        "name": {"givenName": user.first_name, "familyName": user.last_name,
                 "formatted": user.get_full_name()},
        "displayName": user.display_name,
        "title": user.job_title,
        "active": user.is_active,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        ENTERPRISE: {"manager": {"value": str(user.line_manager_id)}} if user.line_manager_id else {},
        "meta": {"resourceType": "User", "created": user.date_joined.isoformat(), "location": location},
    }
    return resource


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError("active must be true or false.", scim_type="invalidValue")


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(f"{name} must be a string.", scim_type="invalidValue")
    return value.strip()


def _email(value: Any) -> str:
    """The primary (or first) address of a SCIM ``emails`` list."""
    if not isinstance(value, list):
        raise ScimError("emails must be a list.", scim_type="invalidValue")
    chosen = next((e for e in value if isinstance(e, dict) and e.get("primary") in (True, "true", "True")), None)
    chosen = chosen or next((e for e in value if isinstance(e, dict)), None)
    return _text("emails.value", chosen.get("value")) if chosen else ""


def _manager_value(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ScimError("manager must be the id of a user.", scim_type="invalidValue")
    return value


def _set(attrs: Attributes, path: str, value: Any) -> None:
    """Set one attribute by its SCIM path (case-insensitive, as the RFC says); others are ignored."""
    key = path.strip()
    lowered = key.lower()
    if lowered == ENTERPRISE.lower() and isinstance(value, dict):
        for inner, inner_value in value.items():
            _set(attrs, f"{ENTERPRISE}:{inner}", inner_value)
        return
    if lowered == "name" and isinstance(value, dict):
        for inner, inner_value in value.items():
            _set(attrs, f"name.{inner}", inner_value)
        return
    if lowered == "active":
        attrs.active = _bool(value)
    elif lowered == "username":
        attrs.username = _text("userName", value)
    elif lowered == "name.givenname":
        attrs.first_name = _text("name.givenName", value)
    elif lowered == "name.familyname":
        attrs.last_name = _text("name.familyName", value)
    elif lowered == "title":
        attrs.job_title = _text("title", value)
    elif lowered == "emails":
        attrs.email = _email(value)
    elif re.fullmatch(r'emails(\[type eq "work"\])?\.value', lowered) or re.fullmatch(
            r'emails\[primary eq true\]\.value', lowered):
        attrs.email = _text("emails.value", value)
    elif lowered in (f"{ENTERPRISE}:manager".lower(), f"{ENTERPRISE}:manager.value".lower()):
        attrs.manager_id, attrs.manager_set = _manager_value(value), True


def _from_resource(body: Any) -> Attributes:
    if not isinstance(body, dict):
        raise ScimError("The body must be a JSON object.", scim_type="invalidSyntax")
    attrs = Attributes()
    for key, value in body.items():
        if key in ("schemas", "id", "meta", "externalId", "displayName"):
            continue
        _set(attrs, key, value)
    return attrs


def _patch(body: Any) -> Attributes:
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimError("A PatchOp needs a list of Operations.", scim_type="invalidSyntax")
    attrs = Attributes()
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise ScimError("Each operation must be an object.", scim_type="invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = operation.get("path")
        value = operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise ScimError(f"Unsupported operation {operation.get('op')!r}.", scim_type="invalidSyntax")
        if path is not None and not isinstance(path, str):
            raise ScimError("path must be a string.", scim_type="invalidPath")
        if op == "remove":
            if not path:
                raise ScimError("remove needs a path.", scim_type="noTarget")
            lowered = path.lower()
            if lowered == "active":
                raise ScimError("active cannot be removed: set it to false.", scim_type="mutability")
            if lowered == "username":
                raise ScimError("userName cannot be removed.", scim_type="mutability")
            _set(attrs, path, None if "manager" in lowered else "")
        elif path:
            _set(attrs, path, value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                _set(attrs, key, inner)
        else:
            raise ScimError("An operation without a path needs an object value.", scim_type="invalidValue")
    return attrs


_FILTER = re.compile(r'^\s*(userName|externalId)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


class UserListView(ScimView):
    def get(self, request):
        staff = User.objects.filter(organisation=self.organisation).order_by("pk")
        expression = request.query_params.get("filter")
        if expression:
            match = _FILTER.match(expression)
            if match is None:
                raise ScimError('Only filter=userName eq "..." is supported.', scim_type="invalidFilter")
            attribute, value = match.group(1).lower(), match.group(2).replace('\\"', '"')
            # externalId is not kept: the identity provider matches on userName.
            staff = staff.filter(username__iexact=value) if attribute == "username" else staff.none()
        try:
            start = max(int(request.query_params.get("startIndex", 1)), 1)
            count = min(max(int(request.query_params.get("count", 100)), 0), MAX_COUNT)
        except ValueError as exc:
            raise ScimError("startIndex and count must be whole numbers.", scim_type="invalidValue") from exc
        total = staff.count()
        page = list(staff.select_related(None)[start - 1:start - 1 + count])
        return Response({"schemas": [LIST_SCHEMA], "totalResults": total, "startIndex": start,
                         "itemsPerPage": len(page), "Resources": [user_resource(request, u) for u in page]})

    def post(self, request):
        user = scim_user_create(organisation=self.organisation, attrs=_from_resource(request.data))
        response = Response(user_resource(request, user), status=status.HTTP_201_CREATED)
        response["Location"] = user_resource(request, user)["meta"]["location"]
        return response


class UserDetailView(ScimView):
    def _user(self, pk: int) -> User:
        user = User.objects.filter(pk=pk, organisation=self.organisation).first()
        if user is None:
            raise Http404
        return user

    def get(self, request, pk: int):
        return Response(user_resource(request, self._user(pk)))

    def put(self, request, pk: int):
        user = self._user(pk)
        attrs = _from_resource(request.data)
        if not attrs.username:
            raise ScimError("userName is required.", scim_type="invalidValue")
        # A replacement: what it leaves out is cleared (the account's state is kept unless it says).
        for name in ("first_name", "last_name", "email", "job_title"):
            if getattr(attrs, name) is None:
                setattr(attrs, name, "")
        scim_user_update(organisation=self.organisation, user=user, attrs=attrs)
        return Response(user_resource(request, self._user(pk)))

    def patch(self, request, pk: int):
        user = self._user(pk)
        scim_user_update(organisation=self.organisation, user=user, attrs=_patch(request.data))
        return Response(user_resource(request, self._user(pk)))

    def delete(self, request, pk: int):
        user = self._user(pk)
        scim_user_update(organisation=self.organisation, user=user, attrs=Attributes(active=False))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- discovery ------------------------------------------------------------------------------------
class ServiceProviderConfigView(ScimView):
    def get(self, request):
        return Response({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": request.build_absolute_uri("/api/docs/"),
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [{
                "type": "oauthbearertoken", "name": "Bearer token", "primary": True,
                "description": "A token made for the organisation with `python manage.py scim_token`.",
            }],
            "meta": {"resourceType": "ServiceProviderConfig",
                     "location": request.build_absolute_uri(reverse("scim:service_provider_config"))},
        })


def _attribute(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "multiValued": False, "required": False, "caseExact": False,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none", **extra}


USER_SCHEMA_RESOURCE = {
    "id": USER_SCHEMA, "name": "User", "description": "A member of an organisation's staff.",
    "attributes": [
        _attribute("userName", required=True, uniqueness="server"),
        {**_attribute("name", "complex"), "subAttributes": [_attribute("givenName"), _attribute("familyName"),
                                                           _attribute("formatted", mutability="readOnly")]},
        _attribute("displayName", mutability="readOnly"),
        _attribute("title"),
        _attribute("active", "boolean"),
        {**_attribute("emails", "complex", multiValued=True),
         "subAttributes": [_attribute("value"), _attribute("type"), _attribute("primary", "boolean")]},
    ],
}
ENTERPRISE_SCHEMA_RESOURCE = {
    "id": ENTERPRISE, "name": "EnterpriseUser", "description": "The person's line manager.",
    "attributes": [{**_attribute("manager", "complex"), "subAttributes": [_attribute("value")]}],
}


class SchemasView(ScimView):
    def get(self, request):
        resources = [
            {**schema, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
             "meta": {"resourceType": "Schema", "location": request.build_absolute_uri(
                 reverse("scim:schemas") + schema["id"])}}
            for schema in (USER_SCHEMA_RESOURCE, ENTERPRISE_SCHEMA_RESOURCE)
        ]
        return Response({"schemas": [LIST_SCHEMA], "totalResults": len(resources), "startIndex": 1,
                         "itemsPerPage": len(resources), "Resources": resources})


class ResourceTypesView(ScimView):
    def get(self, request):
        user_type = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {"resourceType": "ResourceType",
                     "location": request.build_absolute_uri(reverse("scim:resource_types") + "User")},
        }
        return Response({"schemas": [LIST_SCHEMA], "totalResults": 1, "startIndex": 1, "itemsPerPage": 1,
                         "Resources": [user_type]})


def not_found(request, *args, **kwargs):
    """Anything else under /scim/v2/ answers the SCIM error schema, not the site's HTML page."""
    from django.http import JsonResponse

    return JsonResponse({"schemas": [ERROR_SCHEMA], "status": "404", "detail": "Resource not found."}, status=404,
                        content_type="application/scim+json")
