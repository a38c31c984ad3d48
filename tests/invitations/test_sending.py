"""An invitation's e-mail leaves once: a mail server that is down delays it, a retry sends it, a second run
sends nothing more (the claim ``notification_emails_send`` makes, on the invitation's own rows)."""
import pytest
from django.core import mail

from escalations import services
from notifications.emails import invitation_emails_send
from notifications.models import Invitation
from notifications.tasks import send_invitation_emails
from tests.conftest import at
from tests.notifications.test_dedupe import FlakyBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(raise_escalation, travel):
    """A meeting arranged whose invitations are written but not yet sent (the commit has not run them)."""
    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_arrange_meeting(escalation=escalation, actor=escalation.holder,
                                        meeting_at=at(2026, 11, 12, 14, 30))
    ids = list(Invitation.objects.values_list("pk", flat=True))
    assert len(ids) == 2 and mail.outbox == []
    return ids


def test_a_failed_send_is_not_marked_sent_and_the_retry_sends_each_once(written, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_dedupe.FlakyBackend"
    FlakyBackend.failures = 1
    with pytest.raises(OSError):
        invitation_emails_send(invitation_ids=written)
    assert not Invitation.objects.filter(email_sent_at__isnull=False).exists()
    assert invitation_emails_send(invitation_ids=written) == 2
    assert invitation_emails_send(invitation_ids=written) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["bexley-practitioner@example.org",
                                                     "bexley-team-manager@example.org"]


def test_the_task_retries_while_the_mail_server_is_down(written, settings):
    from escalation_tracker.celery import app

    settings.EMAIL_BACKEND = "tests.notifications.test_dedupe.FlakyBackend"
    FlakyBackend.failures = 2
    app.conf.task_eager_propagates = False  # as a worker runs it: the error retries the task
    try:
        result = send_invitation_emails.apply(args=[written])
    finally:
        app.conf.task_eager_propagates = True
    assert result.get() == 2
    assert len(mail.outbox) == 2
    assert not Invitation.objects.filter(email_sent_at__isnull=True).exists()


def test_moving_the_meeting_to_the_same_moment_is_still_a_new_version(written, raise_escalation):
    """Each arrangement is a version of its own (SEQUENCE 0, then 1): the rows never collide."""
    escalation = Invitation.objects.get(pk=written[0]).escalation
    services.escalation_move_meeting(escalation=escalation, actor=escalation.holder,
                                     meeting_at=at(2026, 11, 12, 14, 30))
    assert sorted(Invitation.objects.values_list("sequence", flat=True)) == [0, 0, 1, 1]
