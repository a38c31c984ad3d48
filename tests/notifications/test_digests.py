"""The daily digests: a digest reader's waiting notifications, once a day (each PSW's list: tests/oversight)."""
import pytest
from django.core import mail

from cases.services import case_get_or_create
from escalations import services
from notifications.digests import digests_send
from notifications.models import DigestSent, Kind, Notification
from notifications.services import notification_create_many, preference_set
from notifications.tasks import send_daily_digests
from policies.models import Ladder
from tests.conftest import at


@pytest.fixture
def escalation(raise_escalation, travel, people):
    """Raised on Tuesday 10 November; the team manager reads the digest instead of each e-mail."""
    travel(at(2026, 11, 10, 10, 0))
    preference_set(user=people["bexley-team-manager"], email_frequency="daily_digest")
    return raise_escalation("bexley-practitioner", "bexley-internal")


def _digests_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "daily digest" in m.subject]


def test_a_digest_reader_gets_one_email_listing_what_waited_and_it_is_marked_sent(escalation, people):
    notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=escalation,
                             recipients=[people["bexley-team-manager"]])
    waiting = Notification.objects.filter(recipient__username="bexley-team-manager")
    assert waiting.count() == 2 and not waiting.filter(email_sent_at__isnull=False).exists()

    result = digests_send(now=at(2026, 11, 11, 7, 0))

    assert result.daily_digests == 1
    [digest] = _digests_to("bexley-team-manager@example.org")
    assert digest.subject == "[Escalation Tracker] Your daily digest: 2 notifications"
    assert f"Escalation {escalation.pk} (case {escalation.case.reference})" in digest.body
    assert f"https://tracker.example.org/escalations/{escalation.pk}/" in digest.alternatives[0][0]
    assert not waiting.filter(email_sent_at__isnull=True).exists()


def test_a_second_run_the_same_day_sends_no_second_digest(escalation, people):
    digests_send(now=at(2026, 11, 11, 7, 0))
    notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=escalation,
                             recipients=[people["bexley-team-manager"]])
    digests_send(now=at(2026, 11, 11, 18, 0))
    assert len(_digests_to("bexley-team-manager@example.org")) == 1
    assert DigestSent.objects.filter(recipient__username="bexley-team-manager").count() == 1


def test_what_arrives_after_the_days_digest_goes_in_the_next_days(escalation, people):
    digests_send(now=at(2026, 11, 11, 7, 0))
    notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=escalation,
                             recipients=[people["bexley-team-manager"]])
    digests_send(now=at(2026, 11, 12, 7, 0))
    first, second = _digests_to("bexley-team-manager@example.org")
    assert "Deadline approaching" not in first.body
    assert "Deadline approaching" in second.body


def test_nobody_gets_an_empty_digest(escalation):
    digests_send(now=at(2026, 11, 11, 7, 0))
    digests_send(now=at(2026, 11, 12, 7, 0))
    assert len(_digests_to("bexley-team-manager@example.org")) == 1


def test_a_reader_who_chose_immediate_email_gets_no_digest(escalation):
    digests_send(now=at(2026, 11, 11, 7, 0))
    assert _digests_to("bexley-practitioner@example.org") == []
    assert _digests_to("bexley-service-manager@example.org") == []


def test_someone_who_chose_no_email_gets_no_digest_and_moving_to_the_digest_does_not_send_old_news(
        escalation, people, travel):
    preference_set(user=people["bexley-team-manager"], email_frequency="none")
    digests_send(now=at(2026, 11, 11, 7, 0))
    assert _digests_to("bexley-team-manager@example.org") == []

    travel(at(2026, 11, 11, 9, 0))
    preference_set(user=people["bexley-team-manager"], email_frequency="daily_digest")
    digests_send(now=at(2026, 11, 12, 7, 0))
    assert _digests_to("bexley-team-manager@example.org") == []


def test_an_urgent_notification_goes_at_once_and_not_again_in_the_digest(
        people, travel, django_capture_on_commit_callbacks):
    travel(at(2026, 11, 10, 10, 0))
    preference_set(user=people["bexley-psw"], email_frequency="daily_digest")
    with django_capture_on_commit_callbacks(execute=True):
        user = people["bexley-practitioner"]
        case, _ = case_get_or_create(organisation=user.organisation, reference="LCS-1")
        ladder = Ladder.objects.current().get(slug="bexley-internal")
        services.escalation_raise(raised_by=user, case=case, ladder=ladder, risk_level="imminent",
                                  category=ladder.categories.first().slug, decision_challenged="d", concern="c",
                                  basis="evidence", desired_outcome="o")
    assert len([m for m in mail.outbox if m.to == ["bexley-psw@example.org"]]) == 1
    mail.outbox.clear()
    digests_send(now=at(2026, 11, 10, 11, 0))
    assert _digests_to("bexley-psw@example.org") == []


def test_the_beat_task_sends_the_digests(escalation):
    assert send_daily_digests.name == "notifications.tasks.send_daily_digests"
    summary = send_daily_digests.delay().get()
    assert summary.startswith("Daily digests:")
