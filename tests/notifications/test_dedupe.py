"""Exactly once: a repeated event adds no notification, and a repeated or retried send adds no e-mail."""
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import IntegrityError, transaction

from deadlines.sweep import deadlines_sweep
from escalations.recipients import escalation_notify
from notifications.emails import notification_emails_send
from notifications.models import Kind, Notification
from notifications.tasks import send_notification_emails
from tests.conftest import at


class FlakyBackend(EmailBackend):
    """The locmem backend, but the mail server is down for the first ``failures`` sends."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


@pytest.fixture
def escalation(raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("bexley-practitioner", "bexley-internal")


def test_the_same_event_notified_twice_makes_one_notification_per_person(escalation, people):
    first = escalation_notify(kind=Kind.DEADLINE_MISSED, escalation=escalation)
    second = escalation_notify(kind=Kind.DEADLINE_MISSED, escalation=escalation)
    assert len(first) == 2
    assert second == []
    assert Notification.objects.filter(kind=Kind.DEADLINE_MISSED).count() == 2


def test_a_double_notify_sends_one_email_per_person(escalation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        escalation_notify(kind=Kind.DEADLINE_MISSED, escalation=escalation)
        escalation_notify(kind=Kind.DEADLINE_MISSED, escalation=escalation)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "bexley-practitioner@example.org", "bexley-team-manager@example.org",
    ]


def test_the_database_refuses_a_duplicate_key(escalation):
    row = Notification.objects.get(kind=Kind.ESCALATION_RAISED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=row.recipient, kind=row.kind, escalation=escalation,
                                    dedupe_key=row.dedupe_key, message="again")


def test_running_the_email_task_twice_sends_one_mail(escalation):
    ids = list(Notification.objects.filter(kind=Kind.ESCALATION_RAISED).values_list("pk", flat=True))
    assert send_notification_emails.delay(ids).get() == 1
    assert send_notification_emails.delay(ids).get() == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_is_not_marked_sent_and_the_retry_sends_it_once(escalation, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_dedupe.FlakyBackend"
    FlakyBackend.failures = 1
    notification = Notification.objects.get(kind=Kind.ESCALATION_RAISED)
    with pytest.raises(OSError):
        notification_emails_send(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert notification_emails_send(notification_ids=[notification.pk]) == 1
    assert notification_emails_send(notification_ids=[notification.pk]) == 0
    assert len(mail.outbox) == 1


def test_the_task_retries_when_the_mail_server_is_down(escalation, settings):
    from escalation_tracker.celery import app

    settings.EMAIL_BACKEND = "tests.notifications.test_dedupe.FlakyBackend"
    FlakyBackend.failures = 2
    notification = Notification.objects.get(kind=Kind.ESCALATION_RAISED)
    # As a worker would: the error is not thrown at the caller, and the task runs again.
    app.conf.task_eager_propagates = False
    try:
        result = send_notification_emails.apply(args=[[notification.pk]])
    finally:
        app.conf.task_eager_propagates = True
    assert result.get() == 1
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.email_sent_at is not None


def test_a_double_sweep_of_the_clock_notifies_once(escalation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=at(2026, 11, 12, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        deadlines_sweep(now=at(2026, 11, 12, 9, 5))
    assert Notification.objects.filter(kind=Kind.DEADLINE_MISSED).count() == 2
    assert len(mail.outbox) == 2
