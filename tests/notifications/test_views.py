"""The notification centre in the browser: one's own notifications, newest first, read and unread."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind, Notification, Preference
from notifications.services import notification_create_many
from tests.conftest import at

LIST = reverse("notifications:list")


@pytest.fixture
def escalation(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("bexley-practitioner", "bexley-internal")


@pytest.fixture
def manager(client, people):
    client.force_login(people["bexley-team-manager"])
    return client


def _many(escalation, user, count: int) -> list[Notification]:
    """``count`` reminders for ``user``, one minute apart, the last the newest."""
    start = timezone.now()
    rows = []
    for i in range(count):
        [row] = notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=escalation, recipients=[user],
                                         discriminator=f"n{i}", message=f"Reminder number {i}")
        row.created_at = start + dt.timedelta(minutes=i)
        row.save(update_fields=["created_at"])
        rows.append(row)
    return rows


def test_signing_in_is_required(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_shows_my_notification_unread_with_a_link_to_the_escalation(manager, escalation):
    response = manager.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-unread="true"' in html
    assert f"Sam Whitfield raised Escalation {escalation.pk} (case {escalation.case.reference}) with you" in html
    assert f'href="{reverse("escalations:detail", args=[escalation.pk])}"' in html
    assert "You have 1 unread notification." in html


def test_the_header_shows_the_unread_count(manager, escalation):
    html = manager.get(LIST).content.decode()
    assert '<span class="app-count" data-testid="unread-count">1</span>' in html


def test_the_list_shows_only_my_own_notifications(client, people, escalation):
    client.force_login(people["bexley-service-manager"])
    html = client.get(LIST).content.decode()
    assert "No notifications yet." in html
    assert f"Escalation {escalation.pk}" not in html


def test_newest_first_and_paginated_by_25(manager, people, escalation):
    _many(escalation, people["bexley-team-manager"], 30)
    first = manager.get(LIST).content.decode()
    assert first.index("Reminder number 29") < first.index("Reminder number 28")
    assert first.count('data-testid="notification"') == 25
    second = manager.get(LIST, {"page": 2}).content.decode()
    assert second.count('data-testid="notification"') == 6  # 5 reminders and the raise
    assert "Reminder number 0" in second


def test_the_list_takes_the_same_number_of_queries_however_many_notifications(manager, people, escalation,
                                                                              django_assert_max_num_queries):
    _many(escalation, people["bexley-team-manager"], 2)
    with django_assert_max_num_queries(15) as few:
        manager.get(LIST)
    for i in range(20):
        notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=escalation,
                                 recipients=[people["bexley-team-manager"]], discriminator=f"m{i}", message="More")
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager.get(LIST)


def test_marking_one_as_read_changes_it_and_returns_to_the_list(manager, people, escalation):
    notification = Notification.objects.get(recipient=people["bexley-team-manager"])
    response = manager.post(reverse("notifications:read", args=[notification.pk]), {"next": LIST + "?page=1"})
    assert response.status_code == 302
    assert response["Location"] == LIST + "?page=1"
    notification.refresh_from_db()
    assert notification.read_at is not None
    html = manager.get(LIST).content.decode()
    assert 'data-unread="false"' in html
    assert "You have no unread notifications." in html
    assert 'data-testid="unread-count"' not in html


def test_marking_as_read_needs_a_post(manager, people, escalation):
    notification = Notification.objects.get(recipient=people["bexley-team-manager"])
    assert manager.get(reverse("notifications:read", args=[notification.pk])).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_someone_elses_notification_is_not_found_and_stays_unread(client, people, escalation):
    notification = Notification.objects.get(recipient=people["bexley-team-manager"])
    client.force_login(people["bexley-service-manager"])
    assert client.post(reverse("notifications:read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_next_address_on_another_site_is_ignored(manager, people, escalation):
    notification = Notification.objects.get(recipient=people["bexley-team-manager"])
    response = manager.post(reverse("notifications:read", args=[notification.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == LIST


def test_marking_all_as_read_marks_only_mine(manager, people, escalation):
    _many(escalation, people["bexley-team-manager"], 3)
    [other] = _many(escalation, people["bexley-practitioner"], 1)
    response = manager.post(reverse("notifications:read_all"), follow=True)
    assert "4 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=people["bexley-team-manager"], read_at=None).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_unread_only_shows_only_unread(manager, people, escalation):
    first, _second = _many(escalation, people["bexley-team-manager"], 2)
    manager.post(reverse("notifications:read", args=[first.pk]))
    html = manager.get(LIST, {"show": "unread"}).content.decode()
    assert "Reminder number 1" in html
    assert "Reminder number 0" not in html


def test_the_preferences_page_shows_straight_away_by_default(manager):
    html = manager.get(reverse("notifications:preferences")).content.decode()
    assert 'id="id_email_frequency_0" name="email_frequency" type="radio" value="immediate" checked' in html
    assert "Urgent messages always come straight away" in html


def test_choosing_the_daily_digest_saves_it(manager, people):
    response = manager.post(reverse("notifications:preferences"), {"email_frequency": "daily_digest"}, follow=True)
    assert "E-mail preference saved" in response.content.decode()
    assert Preference.objects.get(user=people["bexley-team-manager"]).email_frequency == "daily_digest"


@pytest.mark.parametrize("value, error", [
    ("", "Choose how often you want e-mail about your notifications."),
    ("hourly", "Choose straight away, a daily digest or no e-mail."),
])
def test_a_bad_choice_is_explained_and_changes_nothing(manager, people, value, error):
    response = manager.post(reverse("notifications:preferences"), {"email_frequency": value})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert f'<a href="#id_email_frequency_0">{error}</a>' in html
    assert not Preference.objects.filter(user=people["bexley-team-manager"]).exists()
