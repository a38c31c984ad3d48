"""Who a sign-in through an organisation's provider is: an existing person, or one made at first sign-in."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from organisations.models import User

from . import refusals
from .models import Matches, SignOn


def person_find_or_provision(*, sign_on: SignOn, claims: dict[str, Any]) -> User:
    """Return the organisation's person the claims name; make one in the default role where the
    organisation allows it. Raise ``SignInRefused`` for anyone else.

    Only the organisation's own staff are looked at: the same e-mail address elsewhere is someone else.
    """
    organisation = sign_on.organisation
    value = claims.get(sign_on.claim)
    if not isinstance(value, str) or not value.strip():
        raise refusals.answer_not_for_us(organisation.name, f"it did not say who you are (no “{sign_on.claim}”).")
    value = value.strip()
    if sign_on.claim == "email" and claims.get("email_verified") is False:
        raise refusals.answer_not_for_us(organisation.name, "your e-mail address is not verified there.")
    field = "email" if sign_on.matches == Matches.EMAIL else "username"
    people = list(User.objects.filter(organisation=organisation, **{f"{field}__iexact": value})[:2])
    if len(people) > 1:
        raise refusals.SignInRefused(
            "Your account cannot be told apart",
            f"More than one account at {organisation.name} has the {field.replace('email', 'e-mail address')} "
            f"{value}.",
            next_step="Ask your organisation's administrator to give each account its own.",
        )
    if people:
        person = people[0]
        if not person.is_active:
            raise refusals.account_switched_off(organisation.name)
        return person
    if not sign_on.provisioning:
        raise refusals.unknown_person(organisation.name, value)
    return person_provision(sign_on=sign_on, claims=claims, value=value, field=field)


@transaction.atomic
def person_provision(*, sign_on: SignOn, claims: dict[str, Any], value: str, field: str) -> User:
    """Make the account of a person the provider signed in for the first time, in the default role.

    The username is the claim's value; the account has no usable password.
    """
    username = value.lower()[:150]
    if User.objects.filter(username__iexact=username).exists():
        raise refusals.SignInRefused(
            "Your account could not be made",
            f"The username {username} is taken by another account.",
            next_step="Ask your organisation's administrator to make your account.",
        )
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    if field == "email":
        email = value
    person = User(
        username=username, email=email or "", organisation=sign_on.organisation, role=sign_on.default_role,
        first_name=str(claims.get("given_name") or "")[:150], last_name=str(claims.get("family_name") or "")[:150],
    )
    person.set_unusable_password()
    person.save()
    return person
