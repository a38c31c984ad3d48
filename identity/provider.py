"""What the relying party asks of an organisation's OpenID Connect provider before a sign-in: its discovery
document, and the one redirect URI this installation registers everywhere."""
from __future__ import annotations

import hashlib
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

# A provider's endpoints change rarely; ten minutes keeps a sign-in from asking twice, and an edited
# configuration (a new tenant, a moved issuer) applies within minutes.
DISCOVERY_SECONDS = 600
REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its discovery document is not one this service can use."""


def redirect_uri() -> str:
    """The address the provider sends people back to: ``SITE_URL`` and the callback's path."""
    return settings.SITE_URL.rstrip("/") + reverse("sign_in_callback")


def post_sign_out_uri() -> str:
    """Where the provider sends people after signing them out: this service's sign-in page."""
    return settings.SITE_URL.rstrip("/") + reverse("login")


def provider_metadata(issuer: str) -> dict[str, Any]:
    """Return the provider's discovery document (``<issuer>/.well-known/openid-configuration``), cached.

    Raise ``ProviderUnavailable`` when it cannot be read, lacks an endpoint, or names another issuer
    (OpenID Connect Discovery 1.0, section 4.3).
    """
    key = "identity:discovery:" + hashlib.sha256(issuer.encode()).hexdigest()
    cached: dict[str, Any] | None = cache.get(key)
    if cached is not None:
        return cached
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        metadata: dict[str, Any] = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"The discovery document at {url} could not be read ({error}).") from error
    missing = [name for name in REQUIRED if not metadata.get(name)]
    if missing:
        raise ProviderUnavailable(f"The discovery document at {url} has no {', '.join(missing)}.")
    if metadata["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(f"The discovery document at {url} names another issuer ({metadata['issuer']}).")
    cache.set(key, metadata, DISCOVERY_SECONDS)
    return metadata
