"""The second factor's pages: set up an authenticator app, and give its code after signing in with a password.

After a password sign-in, a person with an authenticator (or whose organisation requires one) reaches
nothing but these pages and the sign-out until they give a right code (identity.middleware).
"""
from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisations.second_factor import DEVICE_NAME, code_checks, device_confirmed, second_factor_due

from .backends import OIDC_BACKEND

# The session's flag: this sign-in still owes a code (set at sign-in, cleared by a right code).
DUE_SESSION_KEY = "two_factor_due"
# Where to go once the code is given (the page first asked for).
NEXT_SESSION_KEY = "two_factor_next"


def two_factor_mark_due(sender, request, user, **kwargs) -> None:
    """On sign-in (``user_logged_in``): a password sign-in owes a code where the person or organisation has one."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if getattr(user, "backend", "") == OIDC_BACKEND:
        session.pop(DUE_SESSION_KEY, None)  # the organisation's provider asks for its own factors
        return
    if second_factor_due(user):
        session[DUE_SESSION_KEY] = True
    else:
        session.pop(DUE_SESSION_KEY, None)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app", max_length=16,
        help_text="The 6-digit code the app shows now, for example 123456.",
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "class": "govuk-input--width-10", "spellcheck": "false"}),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit() or len(code) != self.device.digits:
            raise forms.ValidationError(f"Enter the code as {self.device.digits} digits, like 123456.")
        if not code_checks(self.device, code):
            raise forms.ValidationError("The code is not right or has been used. Enter the code your app shows now.")
        return code


def _done(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    otp_login(request, device)
    request.session.pop(DUE_SESSION_KEY, None)
    request.session.cycle_key()
    destination = request.session.pop(NEXT_SESSION_KEY, "") or ""
    if not url_has_allowed_host_and_scheme(destination, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        destination = ""
    return redirect(destination or "home")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Give the code from the authenticator app, after a password sign-in."""
    device = device_confirmed(request.user)
    if device is None:
        return redirect("two_factor_set_up")
    if request.user.is_verified():
        return redirect("home")
    form = CodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        return _done(request, device)
    return render(request, "identity/two_factor_verify.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: its secret (as text, a link and a QR code), then a first code to confirm."""
    confirmed = device_confirmed(request.user)
    if confirmed is not None:
        if not request.user.is_verified():
            return redirect("two_factor_verify")
        return render(request, "identity/two_factor_set_up.html", {"confirmed": confirmed})
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        messages.success(request, "Your authenticator app is set up. You will give a code from it each time "
                                  "you sign in with your password.")
        return _done(request, device)
    uri = device.config_url
    return render(request, "identity/two_factor_set_up.html", {
        "form": form, "device": device, "otpauth_uri": uri, "secret": _grouped(_secret(uri)),
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=4, title="QR code of the secret"),
        "required": request.session.get(DUE_SESSION_KEY, False),
    })


def _secret(uri: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(uri).query)["secret"][0]


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
