"""Each organisation's single sign-on: its OpenID Connect provider, and what a sign-in there means here; and
the service tokens its case-management system calls the API with (``service_tokens``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.text import LONDON
from organisations.models import ADMIN_ROLES, BOARD_ROLES, Organisation, Role


class Matches(models.TextChoices):
    """Which of a person's details the claim's value is compared with (case-insensitively)."""

    EMAIL = "email", "E-mail address"
    USERNAME = "username", "Username"


class SignOnQuerySet(models.QuerySet["SignOn"]):
    def offered(self) -> SignOnQuerySet:
        """The organisations whose button the sign-in page shows, by name."""
        return self.filter(enabled=True).select_related("organisation").order_by("organisation__name")


class SignOn(models.Model):
    """One organisation's OpenID Connect provider (Microsoft Entra ID or any other).

    The provider's endpoints are read from ``<issuer>/.well-known/openid-configuration``.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="sign_on")
    enabled = models.BooleanField(
        default=True, help_text="Offer “Sign in with <organisation>” on the sign-in page.",
    )
    issuer = models.URLField(
        max_length=300,
        help_text="The provider's issuer, exactly as its discovery document says, e.g. "
                  "https://login.microsoftonline.com/<tenant id>/v2.0 for Entra ID.",
    )
    client_id = models.CharField(max_length=200, help_text="The application (client) id registered with the provider.")
    client_secret = models.CharField(max_length=500, help_text="The client secret registered with the provider.")
    claim = models.CharField(
        max_length=100, default="email",
        help_text="The claim that names the person, e.g. email, preferred_username or upn.",
    )
    matches = models.CharField(
        max_length=20, choices=Matches.choices, default=Matches.EMAIL,
        help_text="The person's detail the claim is compared with, ignoring case.",
    )
    passwords_off = models.BooleanField(
        default=False,
        help_text="The organisation's people sign in only through the provider: password sign-in and API "
                  "tokens are refused for them.",
    )
    provisioning = models.BooleanField(
        default=False,
        help_text="A person the provider signs in who has no account here gets one, in the default role. "
                  "Otherwise they are refused.",
    )
    default_role = models.CharField(
        max_length=40, choices=Role.choices, blank=True,
        help_text="The role of an account made at a first sign-in.",
    )

    objects = SignOnQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = "single sign-on"
        verbose_name_plural = "single sign-on"

    def __str__(self) -> str:
        return f"Single sign-on for {self.organisation}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.provisioning and not self.default_role:
            errors["default_role"] = "Choose the role of an account made at a first sign-in."
        # An administrator, a board member or a QA&P chair is named by a person, never made by a sign-in.
        if self.default_role and self.default_role in (*ADMIN_ROLES, *BOARD_ROLES):
            errors["default_role"] = "A first sign-in cannot make an administrator, a board member or a QA&P chair."
        if self.passwords_off and not self.enabled:
            errors["passwords_off"] = "Passwords can be turned off only while single sign-on is offered."
        if errors:
            raise ValidationError(errors)


# --- service tokens -------------------------------------------------------------------------------------
class Scope(models.TextChoices):
    """What a service token may do: a fixed set, each one endpoint (or two) of the API."""

    CASES_CREATE = "cases:create", "Register cases (POST /api/v1/cases/)"
    ESCALATIONS_READ = "escalations:read", "Read the organisation's escalations (GET /api/v1/escalations/)"
    ESCALATIONS_RAISE = "escalations:raise", (
        "Raise escalations on behalf of a named member of staff (POST /api/v1/escalations/)")


class TokenState(models.TextChoices):
    LIVE = "live", "Live"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ServiceTokenQuerySet(models.QuerySet["ServiceToken"]):
    def of_organisation(self, organisation_id: int | None) -> ServiceTokenQuerySet:
        return self.filter(organisation_id=organisation_id).select_related("organisation", "created_by", "revoked_by")


class ServiceToken(models.Model):
    """A key an organisation's case-management system calls the API with, instead of a person's password.

    It belongs to one organisation and does only what its scopes say, until it expires or is revoked. The key
    is shown once, when it is made; only its hash is kept, and its first characters (``prefix``) to tell it
    apart in lists and in the access log. A request made with it is made by no person: ``request.user`` is
    anonymous and ``request.auth`` is the token (``identity.service_token_auth``).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. 'Mosaic (children's social care)'.")
    scopes = models.JSONField(default=list, help_text="The operations it may call: values of Scope.")
    prefix = models.CharField(max_length=20, help_text="The key's first characters, shown in lists and logs.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, in hex.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The administrator who made it; empty when made by the service_token command.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="It is refused from this moment.")
    last_used_at = models.DateTimeField(null=True, blank=True, help_text="To the minute.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    objects = ServiceTokenQuerySet.as_manager()

    class Meta:
        ordering = ["organisation_id", "-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="service_token_org_created")]

    def __str__(self) -> str:
        return f"{self.organisation.slug}: {self.name} ({self.prefix}…)"

    def state(self, *, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return TokenState.EXPIRED
        return TokenState.LIVE

    @property
    def last_day(self) -> dt.date:
        """The last day (London) it works: it expires at the midnight that ends it."""
        return timezone.localtime(self.expires_at - dt.timedelta(microseconds=1), LONDON).date()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(scope).label for scope in Scope.values if scope in self.scopes]

    def access_log_actor(self) -> tuple[str, int, dict[str, Any]]:
        """Who the access log names for a request made with this token (``audit.services`` asks): its prefix
        and name in place of a username, its organisation, and its id."""
        return (f"service token {self.prefix} ({self.name})"[:150], self.organisation_id,
                {"service_token": self.pk, "service_token_prefix": self.prefix})
