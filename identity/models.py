"""Each organisation's single sign-on: its OpenID Connect provider, and what a sign-in there means here."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

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
