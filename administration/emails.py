"""The set-password e-mail a new person receives when an administrator invites them (or an import adds them)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from organisations.models import User


def password_set_link(person: User) -> str:
    """The page where the person chooses a password, with Django's password reset token."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    path = reverse("password_set", kwargs={"uidb64": uid, "token": default_token_generator.make_token(person)})
    return settings.SITE_URL.rstrip("/") + path


def invitations_send(*, user_ids: list[int]) -> int:
    """E-mail each invited person who has no password yet; safe to run twice. Returns how many were sent."""
    sent = 0
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    for person in User.objects.filter(pk__in=user_ids, is_active=True).select_related("organisation", "partnership"):
        if person.has_usable_password():
            continue  # they have set a password since: the invitation did its job
        where = person.organisation or person.partnership
        body = (
            f"Dear {person.display_name},\n\n"
            f"{where} has given you an account on Escalation Tracker, where professional disagreements about "
            f"safeguarding decisions are raised and followed.\n\n"
            f"Your username is: {person.username}\n\n"
            f"Choose your password here (the link works for {days} days and only once):\n"
            f"{password_set_link(person)}\n\n"
            "If you were not expecting this e-mail, tell your organisation's administrator.\n"
        )
        send_mail("Your Escalation Tracker account", body, None, [person.email])
        sent += 1
    return sent
