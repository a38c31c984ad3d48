"""The second factor (ASVS V6.3): a time-based one-time password (TOTP, django-otp) from an authenticator app.

Optional for each person, required for everyone signing in with a password where their organisation
turns ``require_two_factor`` on. Single sign-on leaves it to the organisation's own provider.
"""
from __future__ import annotations

import datetime as dt

from axes.helpers import get_cool_off
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

# The name of the one authenticator each person may have.
DEVICE_NAME = "Authenticator app"


def device_confirmed(user) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor_due(user) -> bool:
    """Whether a password sign-in by this person must give a code too."""
    organisation = getattr(user, "organisation", None)
    return bool(organisation is not None and organisation.require_two_factor) or device_confirmed(user) is not None


def code_checks(device: TOTPDevice, code: str) -> bool:
    """Whether this code from the authenticator is right now (each code once; repeated misses slow down)."""
    code = "".join(code.split())
    return code.isdigit() and len(code) == device.digits and device.verify_token(code)


def second_factor_refusal(user, code: str) -> str | None:
    """Why a password sign-in through the API (no second-factor page there) is refused, or None."""
    if not second_factor_due(user):
        return None
    device = device_confirmed(user)
    if device is None:
        return ("Your organisation requires a code from an authenticator app: sign in on the website "
                "once to set one up, then ask for a token with the code.")
    if not code:
        return "Enter the 6-digit code from your authenticator app."
    if not code_checks(device, code):
        return "The code is not right or has been used: enter the code your authenticator app shows now."
    return None


def lockout_retry_at(request) -> dt.datetime:
    """When a locked-out username and address may try again: the cool-off after the latest attempt."""
    attempted = getattr(request, "axes_attempt_time", None) or timezone.now()
    return attempted + (get_cool_off(request) or dt.timedelta(0))
