"""The reasons a sign-in is refused, each with the words of its page."""
from __future__ import annotations


class SignInRefused(Exception):
    """A sign-in that must not go ahead; the page says what happened and what to do next."""

    def __init__(self, title: str, message: str, *, status: int = 403, next_step: str = "") -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.status = status
        self.next_step = next_step


ASK_ADMIN = "Ask your organisation's administrator for an account, or contact your IT service desk."


def unknown_person(organisation: str, value: str) -> SignInRefused:
    return SignInRefused(
        "You do not have an account",
        f"{organisation} signed you in as {value}, but nobody with that name works for {organisation} "
        "in Escalation Tracker.",
        next_step=ASK_ADMIN,
    )


def account_switched_off(organisation: str) -> SignInRefused:
    return SignInRefused(
        "Your account is switched off",
        f"Your Escalation Tracker account at {organisation} has been switched off.",
        next_step="If you still need it, ask your organisation's administrator to switch it back on.",
    )


def answer_not_for_us(organisation: str, reason: str) -> SignInRefused:
    return SignInRefused(
        "Sign-in could not be checked",
        f"The answer from {organisation}'s sign-in service could not be trusted: {reason} "
        "You have not been signed in.",
        next_step="Try again. If it happens again, tell your IT service desk: the single sign-on set-up "
                  "may be wrong.",
    )


def provider_unavailable(organisation: str) -> SignInRefused:
    return SignInRefused(
        "Sign-in is not available",
        f"{organisation}'s sign-in service could not be reached, or did not answer as expected.",
        status=502,
        next_step="Try again in a few minutes. If it goes on, tell your IT service desk.",
    )


def provider_declined(organisation: str, description: str) -> SignInRefused:
    return SignInRefused(
        "You have not been signed in",
        f"{organisation}'s sign-in service did not sign you in" + (f": {description}" if description else "."),
        next_step="Start again from the sign-in page.",
    )


def flow_expired() -> SignInRefused:
    return SignInRefused(
        "This sign-in has expired",
        "This sign-in link has been used already, or it was started in another browser.",
        status=400,
        next_step="Start again from the sign-in page.",
    )


def passwords_off(organisation: str) -> str:
    """The words of a password sign-in (or an API token) refused because the organisation turned passwords off."""
    return (f"{organisation} has turned passwords off: sign in with “Sign in with {organisation}” "
            "on the sign-in page.")
