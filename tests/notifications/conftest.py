"""Fixtures for the notification tests: who was told what, read from the notifications themselves."""
import pytest


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://tracker.example.org"


def told(kind, escalation=None) -> set[str]:
    """The usernames that got a notification of this kind (about this escalation)."""
    from notifications.models import Notification

    rows = Notification.objects.filter(kind=kind)
    if escalation is not None:
        rows = rows.filter(escalation=escalation)
    return set(rows.values_list("recipient__username", flat=True))


def message_to(username, kind, escalation) -> str:
    from notifications.models import Notification

    return Notification.objects.get(recipient__username=username, kind=kind, escalation=escalation).message
