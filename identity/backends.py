"""The two ways in: a password (unless the organisation turned passwords off) and the organisation's
OpenID Connect provider (mozilla-django-oidc's backend, told each organisation's provider in turn)."""
from __future__ import annotations

import jwt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import refusals
from .models import SignOn
from .provider import provider_metadata, redirect_uri
from .services import person_find_or_provision

# The session's record of how a person signed in (read by the sign-out).
SIGN_ON_SESSION_KEY = "identity_sign_on"
ID_TOKEN_SESSION_KEY = "identity_id_token"
OIDC_BACKEND = "identity.backends.OrganisationOIDCBackend"
# The ID token signature algorithms accepted (Entra ID and most providers sign with RS256).
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256")
# Seconds of clock difference tolerated between this server and the provider.
CLOCK_LEEWAY = 60


def password_refusal(username: str | None) -> str | None:
    """The words refusing a password sign-in by this username, where their organisation turned passwords off."""
    if not username:
        return None
    sign_on = SignOn.objects.filter(
        organisation__staff__username=username, enabled=True, passwords_off=True,
    ).select_related("organisation").first()
    return refusals.passwords_off(sign_on.organisation.name) if sign_on else None


class PasswordBackend(ModelBackend):
    """Django's username and password check, except for the people of an organisation without passwords.

    Their refusal stops every later backend, and its words are left on the request as
    ``sign_in_refusal`` for the sign-in form and the token endpoint to show. The words depend on the
    username only, never on the password, so they reveal nothing of it.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        refusal = password_refusal(username)
        if refusal is not None:
            if request is not None:
                request.sign_in_refusal = refusal
            raise PermissionDenied(refusal)
        return super().authenticate(request, username=username, password=password, **kwargs)


class OrganisationOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's authorization-code backend, reading one organisation's provider per sign-in.

    The library reads a single provider from settings; here ``authenticate`` is given the organisation's
    ``SignOn`` by the callback view, and the provider's endpoints come from its discovery document.
    It refuses with ``refusals.SignInRefused`` (the callback shows the page) rather than answering None,
    so that a person learns why. The ID token is checked for its signature, expiry, nonce, issuer and
    audience (this organisation's client id, and no other).
    """

    def __init__(self, *args, **kwargs) -> None:
        # Nothing is read from settings here: the provider is known only once the sign-in names it.
        self.UserModel = get_user_model()
        self.sign_on: SignOn | None = None
        self.id_token = ""

    def authenticate(self, request, sign_on: SignOn | None = None, nonce=None, code_verifier=None, **kwargs):
        if request is None or sign_on is None:
            return None  # a password, or nothing this backend was asked
        metadata = provider_metadata(sign_on.issuer)
        self.sign_on = sign_on
        self.issuer = metadata["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = metadata["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = metadata.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = metadata["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = sign_on.client_id
        self.OIDC_RP_CLIENT_SECRET = sign_on.client_secret
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_RP_SIGN_ALGO = "RS256"  # "RS" or "ES": the key comes from the provider's JWKS
        return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)

    def get_token(self, payload):
        # The redirect URI is this installation's one address (SITE_URL), as in the authorization request.
        return super().get_token({**payload, "redirect_uri": redirect_uri()})

    def retrieve_matching_jwk(self, token):
        header = jwt.get_unverified_header(token)
        self.OIDC_RP_SIGN_ALGO = header.get("alg", "")  # the JWKS entry must match it
        return super().retrieve_matching_jwk(token)

    def _verify_jws(self, payload, key):
        """Check the signature, and the claims the library leaves unchecked: issuer and audience."""
        assert self.sign_on is not None
        organisation = self.sign_on.organisation.name
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg not in SIGNING_ALGORITHMS:
            raise refusals.answer_not_for_us(organisation, f"it was signed with {alg!r}, which is not accepted.")
        try:
            claims = jwt.decode(
                payload, key, algorithms=[alg], audience=self.OIDC_RP_CLIENT_ID, issuer=self.issuer,
                leeway=CLOCK_LEEWAY, options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidAudienceError as error:
            raise refusals.answer_not_for_us(organisation, "it was issued for another application.") from error
        except jwt.InvalidIssuerError as error:
            raise refusals.answer_not_for_us(organisation, "it came from another issuer.") from error
        except jwt.ExpiredSignatureError as error:
            raise refusals.answer_not_for_us(organisation, "it has expired.") from error
        except jwt.PyJWTError as error:
            raise refusals.answer_not_for_us(organisation, "its signature or contents are not valid.") from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        # OpenID Connect Core 3.1.3.7: no audience but this client, and an azp, when present, naming it.
        client_id = self.OIDC_RP_CLIENT_ID
        if set(audiences) != {client_id} or claims.get("azp", client_id) != client_id:
            raise refusals.answer_not_for_us(organisation, "it was issued for another application as well.")
        return claims

    def store_tokens(self, access_token, id_token):
        # Kept for the sign-out (the provider's end_session_endpoint takes it as id_token_hint); the
        # callback writes it to the session once the person is signed in.
        self.id_token = id_token

    def get_or_create_user(self, access_token, id_token, payload):
        """The claims of the ID token (and of the userinfo endpoint, where there is one) name a person."""
        assert self.sign_on is not None
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload.get("sub"):  # OpenID Connect Core 5.3.2
                raise refusals.answer_not_for_us(self.sign_on.organisation.name,
                                                 "the provider described another person.")
            claims = {**userinfo, **payload}
        return person_find_or_provision(sign_on=self.sign_on, claims=claims)

    def get_user(self, user_id):
        """The signed-in person, on every request; an account switched off since is signed out at once."""
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
