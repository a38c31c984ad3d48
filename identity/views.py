"""The sign-in page, the organisation's single sign-on (start and callback), and the sign-out."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from organisations.forms import SignInForm
from organisations.second_factor import lockout_retry_at
from organisations.tokens import tokens_end

from . import refusals
from .backends import ID_TOKEN_SESSION_KEY, OIDC_BACKEND, SIGN_ON_SESSION_KEY, OrganisationOIDCBackend
from .models import SignOn
from .provider import ProviderUnavailable, post_sign_out_uri, provider_metadata, redirect_uri


class SignInView(auth_views.LoginView):
    """A username and password, and a “Sign in with <organisation>” button for each single sign-on."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sign_ons": list(SignOn.objects.offered())}


def _refused(request: HttpRequest, refusal: refusals.SignInRefused, sign_on: SignOn | None = None) -> HttpResponse:
    return render(request, "identity/refused.html", {"refusal": refusal, "sign_on": sign_on}, status=refusal.status)


class SignOnStartView(OIDCAuthenticationRequestView):
    """Send the person to their organisation's provider (mozilla-django-oidc's request, per organisation).

    The state, nonce and PKCE verifier go in the session as the library keeps them, with the
    organisation beside them, so the callback knows whose provider answered.
    """

    def __init__(self, *args, **kwargs) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # no provider from settings

    def get(self, request, slug: str):
        sign_on = get_object_or_404(SignOn.objects.select_related("organisation"), organisation__slug=slug,
                                    enabled=True)
        try:
            metadata = provider_metadata(sign_on.issuer)
        except ProviderUnavailable:
            return _refused(request, refusals.provider_unavailable(sign_on.organisation.name), sign_on)
        self.OIDC_OP_AUTH_ENDPOINT = metadata["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = sign_on.client_id
        response = super().get(request)
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        request.session["oidc_states"][state]["sign_on"] = sign_on.pk
        request.session.modified = True
        return response

    def get_extra_params(self, request):
        # One redirect URI for the installation (SITE_URL), the one registered with every provider.
        return {**super().get_extra_params(request), "redirect_uri": redirect_uri()}


@require_GET
def sign_on_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: exchange the code, check the ID token, find the person, sign them in."""
    states = request.session.get("oidc_states") or {}
    flow = states.pop(request.GET.get("state", ""), None)
    request.session["oidc_states"] = states  # a state is used once, whatever follows
    sign_on = None
    if flow is not None and flow.get("sign_on"):
        sign_on = SignOn.objects.select_related("organisation").filter(pk=flow["sign_on"], enabled=True).first()
    if flow is None or sign_on is None:
        return _refused(request, refusals.flow_expired())
    organisation = sign_on.organisation.name
    if "error" in request.GET or "code" not in request.GET:
        description = request.GET.get("error_description") or request.GET.get("error") or ""
        return _refused(request, refusals.provider_declined(organisation, description[:200]), sign_on)
    backend = OrganisationOIDCBackend()
    try:
        person = backend.authenticate(request, sign_on=sign_on, nonce=flow.get("nonce"),
                                      code_verifier=flow.get("code_verifier"))
    except refusals.SignInRefused as refusal:
        return _refused(request, refusal, sign_on)
    except SuspiciousOperation:
        return _refused(request, refusals.answer_not_for_us(organisation, "it does not match this sign-in."), sign_on)
    except (ProviderUnavailable, requests.RequestException):
        return _refused(request, refusals.provider_unavailable(organisation), sign_on)
    if person is None:
        return _refused(request, refusals.answer_not_for_us(organisation, "it did not name a person."), sign_on)
    auth.login(request, person, backend=OIDC_BACKEND)
    request.session[SIGN_ON_SESSION_KEY] = sign_on.pk
    request.session[ID_TOKEN_SESSION_KEY] = backend.id_token
    return redirect(request.session.pop("oidc_login_next", None) or resolve_url(settings.LOGIN_REDIRECT_URL))


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page for a sign-in refused by the lockout (django-axes' AXES_LOCKOUT_CALLABLE): what happened
    and when to try again. No password was checked, so it says nothing about whether it was right."""
    retry_at = lockout_retry_at(request)
    response = render(request, "registration/locked_out.html", {
        "retry_at": retry_at, "failure_limit": settings.AXES_FAILURE_LIMIT,
    }, status=429)
    response["Retry-After"] = str(max(1, int((retry_at - timezone.now()).total_seconds())))
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the session and the person's API tokens here, then at the organisation's provider where it
    offers an end_session_endpoint."""
    sign_on_id = request.session.get(SIGN_ON_SESSION_KEY)
    id_token = request.session.get(ID_TOKEN_SESSION_KEY, "")
    if request.user.is_authenticated:
        tokens_end(user=request.user)
    auth.logout(request)
    destination = resolve_url(settings.LOGOUT_REDIRECT_URL)
    sign_on = SignOn.objects.filter(pk=sign_on_id).first() if sign_on_id else None
    if sign_on is None:
        return redirect(destination)
    try:
        end_session = provider_metadata(sign_on.issuer).get("end_session_endpoint")
    except ProviderUnavailable:
        end_session = None  # signed out here; the provider's own session ends when it expires
    if not end_session:
        return redirect(destination)
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": post_sign_out_uri(),
                       "client_id": sign_on.client_id})
    return redirect(f"{end_session}{'&' if '?' in end_session else '?'}{query}")
