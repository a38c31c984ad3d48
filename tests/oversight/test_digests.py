"""Each PSW's daily list of what is overdue in their organisation, once a day, without a child's name."""
import pytest
from django.core import mail

from cases.services import case_get_or_create
from escalations import services
from notifications.models import Kind, Notification
from oversight.digests import psw_digests_send
from oversight.tasks import send_psw_digests
from policies.models import Ladder
from tests.conftest import at

MONDAY_9AM = at(2026, 11, 16, 9, 0)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://tracker.example.org"


@pytest.fixture
def escalation(raise_escalation, travel):
    """Raised on Tuesday 10 November in Bexley; its stage deadline passes on Wednesday 11 November."""
    travel(at(2026, 11, 10, 10, 0))
    return raise_escalation("bexley-practitioner", "bexley-internal")


def test_the_psw_digest_lists_whats_overdue_in_the_organisation_once_a_day(
        escalation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = psw_digests_send(now=MONDAY_9AM)
    assert sent == 1
    digest = Notification.objects.get(kind=Kind.PSW_DIGEST)
    assert digest.recipient.username == "bexley-psw"
    assert f"escalation {escalation.pk} (case {escalation.case.reference})" in digest.message
    [email] = [m for m in mail.outbox if m.to == ["bexley-psw@example.org"]]
    assert email.subject == (
        "[Escalation Tracker] Overdue escalations in London Borough of Bexley Children's Social Care"
        " on Monday 16 November 2026"
    )
    assert f"https://tracker.example.org/escalations/{escalation.pk}/" in email.body
    assert "stage deadline passed at 5pm on Wednesday 11 November 2026" in email.body

    with django_capture_on_commit_callbacks(execute=True):
        again = psw_digests_send(now=at(2026, 11, 16, 15, 0))
    assert again == 0
    assert Notification.objects.filter(kind=Kind.PSW_DIGEST).count() == 1


def test_the_psw_digest_carries_no_childs_name(people, travel, django_capture_on_commit_callbacks):
    travel(at(2026, 11, 10, 10, 0))
    user = people["bexley-practitioner"]
    case, _ = case_get_or_create(organisation=user.organisation, reference="LCS-2", display_name="Zebedee Quartermaine")
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    services.escalation_raise(raised_by=user, case=case, ladder=ladder, risk_level="standard",
                              category=ladder.categories.first().slug, decision_challenged="d", concern="c",
                              basis="evidence", desired_outcome="o")
    with django_capture_on_commit_callbacks(execute=True):
        psw_digests_send(now=MONDAY_9AM)
    [email] = [m for m in mail.outbox if m.to == ["bexley-psw@example.org"]]
    message = Notification.objects.get(kind=Kind.PSW_DIGEST).message
    assert "Zebedee" not in email.subject
    for part in (email.body, email.alternatives[0][0], message):
        assert "Zebedee" not in part
        assert "LCS-2" in part


def test_no_psw_digest_when_nothing_is_overdue(escalation):
    sent = psw_digests_send(now=at(2026, 11, 10, 11, 0))
    assert sent == 0
    assert not Notification.objects.filter(kind=Kind.PSW_DIGEST).exists()


def test_a_psw_is_not_told_of_another_organisations_overdue_escalations(escalation):
    psw_digests_send(now=MONDAY_9AM)
    assert not Notification.objects.filter(kind=Kind.PSW_DIGEST, recipient__username="stoke-psw").exists()


def test_the_beat_task_sends_the_psw_digests(escalation):
    assert send_psw_digests.name == "oversight.tasks.send_psw_digests"
    summary = send_psw_digests.delay().get()
    assert summary.startswith("PSW digests:")
