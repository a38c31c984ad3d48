"""E-mail: one per notification, per kind, after commit, with the case reference and never a child's name."""
import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.template.loader import get_template

from cases.services import case_get_or_create
from escalations import services
from notifications.emails import message_build
from notifications.models import ORGANISATION_WIDE_KINDS, Kind, Notification
from notifications.services import notification_create_many, preference_set
from notifications.texts import redact, when
from policies.models import Ladder
from tests.conftest import at

# A display name no template could produce by chance.
CHILD = "Zebedee Quartermaine"
EVERY_EVENT_KIND = [k for k in Kind.values if k not in ORGANISATION_WIDE_KINDS]


def _raise_on_named_case(people, username="bexley-practitioner", risk_level="standard"):
    user = people[username]
    case, _ = case_get_or_create(organisation=user.organisation, reference="LCS-777001", display_name=CHILD)
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    return services.escalation_raise(
        raised_by=user, case=case, ladder=ladder, risk_level=risk_level, category=ladder.categories.first().slug,
        decision_challenged=f"Closing the case of {CHILD}.", concern=f"{CHILD} was seen with bruises.",
        basis="evidence", desired_outcome=f"Assess {CHILD} again.",
    )


@pytest.fixture
def named(people, travel):
    """A live Bexley escalation whose case, concern and decision all carry the child's display name."""
    travel(at(2026, 11, 10, 10, 0))
    return _raise_on_named_case(people)


def _readers(people) -> list:
    """One reader for each part: holder, raiser, the raiser's line manager... and the PSW."""
    return [people[u] for u in ("bexley-team-manager", "bexley-practitioner", "bexley-psw")]


def _assert_nameless(message):
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert CHILD not in part
        assert "Zebedee" not in part


@pytest.mark.parametrize("kind", EVERY_EVENT_KIND)
def test_every_kind_of_email_gives_the_escalation_reference_link_and_deadline_but_no_childs_name(kind, named, people):
    notifications = notification_create_many(kind=kind, escalation=named, recipients=_readers(people),
                                             discriminator="test")
    assert len(notifications) == 3
    for notification in notifications:
        assert CHILD not in notification.message
        message = message_build(notification)
        _assert_nameless(message)
        html = message.alternatives[0][0]
        for part in (message.body, html):
            assert "LCS-777001" in part
            assert f"https://tracker.example.org/escalations/{named.pk}/" in part
            assert when(named.stage_deadline) in part
        assert f"escalation {named.pk}, case LCS-777001" in message.subject or kind == Kind.DEADLINE_REMINDER


@pytest.mark.parametrize("kind", EVERY_EVENT_KIND)
def test_every_kind_says_what_to_do_next_in_text_and_html(kind, named, people):
    get_template(f"notifications/email/next/{kind}.txt")
    notification = notification_create_many(kind=kind, escalation=named, recipients=[people["bexley-team-manager"]],
                                            discriminator="test")[0]
    message = message_build(notification)
    assert "What to do next: " in message.body
    assert "What to do next</h2>" in message.alternatives[0][0]


def test_the_holder_is_asked_to_respond_and_the_raiser_is_told_they_may_proceed(named, people):
    holder, raiser = people["bexley-team-manager"], people["bexley-practitioner"]
    rows = {n.recipient.username: n for n in notification_create_many(
        kind=Kind.DEADLINE_MISSED, escalation=named, recipients=[holder, raiser])}
    assert "You may proceed to the next level" in rows["bexley-practitioner"].message
    assert "escalate it from the escalation page" in message_build(rows["bexley-practitioner"]).body
    assert "record your decision now" in message_build(rows["bexley-team-manager"]).body


def test_the_written_outcome_is_shared_with_the_childs_name_withheld(named, people):
    services.escalation_respond(escalation=named, actor=people["bexley-team-manager"], decision="agree",
                                rationale="Agreed.")
    services.escalation_accept(escalation=named, actor=people["bexley-practitioner"],
                               agreed_outcome=f"Strategy discussion for {CHILD} on Thursday.",
                               outstanding_actions="zebedee quartermaine's plan is reviewed in a week.")
    notification = Notification.objects.get(kind=Kind.RESOLVED, recipient__username="bexley-team-manager")
    assert "Strategy discussion for [name withheld] on Thursday." in notification.message
    assert "[name withheld]'s plan is reviewed in a week." in notification.message
    _assert_nameless(message_build(notification))


def test_redaction_leaves_words_that_merely_contain_the_name():
    assert redact("Jo and Joanna met Jo.", display_name="Jo") == "[name withheld] and Joanna met [name withheld]."


def test_psw_alert_subject_says_it_is_urgent(people, travel):
    travel(at(2026, 11, 10, 10, 0))
    escalation = _raise_on_named_case(people, risk_level="imminent")
    notification = Notification.objects.get(kind=Kind.PSW_ALERT, escalation=escalation)
    subject = message_build(notification).subject
    assert subject.startswith("[Escalation Tracker] Urgent: imminent risk escalation raised")


def test_mail_is_handed_to_the_backend_only_after_the_transaction_commits(
        people, travel, django_capture_on_commit_callbacks):
    travel(at(2026, 11, 10, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        escalation = _raise_on_named_case(people)
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [["bexley-team-manager@example.org"]]
    assert mail.outbox[0].subject == (
        f"[Escalation Tracker] Escalation raised: escalation {escalation.pk}, case LCS-777001"
    )
    assert Notification.objects.get(kind=Kind.ESCALATION_RAISED).email_sent_at is not None


def test_no_mail_leaves_for_a_change_that_rolled_back(people, travel, django_capture_on_commit_callbacks):
    travel(at(2026, 11, 10, 10, 0))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _raise_on_named_case(people, risk_level="imminent")
        raise RuntimeError("the request failed after the escalation was written")
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_person_without_an_email_address_is_told_in_the_app_only(named, people, django_capture_on_commit_callbacks):
    holder = people["bexley-team-manager"]
    holder.email = ""
    holder.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=named, recipients=[holder])
    assert mail.outbox == []
    assert Notification.objects.filter(kind=Kind.DEADLINE_REMINDER, recipient=holder, email_sent_at=None).exists()


def test_a_digest_reader_gets_no_immediate_mail_for_a_non_urgent_event(
        named, people, django_capture_on_commit_callbacks):
    preference_set(user=people["bexley-team-manager"], email_frequency="daily_digest")
    with django_capture_on_commit_callbacks(execute=True):
        notification_create_many(kind=Kind.DEADLINE_REMINDER, escalation=named,
                                 recipients=[people["bexley-team-manager"]])
    assert mail.outbox == []


def test_urgent_mail_goes_at_once_even_to_someone_who_chose_no_email(
        people, travel, django_capture_on_commit_callbacks):
    preference_set(user=people["bexley-psw"], email_frequency="none")
    travel(at(2026, 11, 10, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        _raise_on_named_case(people, risk_level="significant_harm")
    assert ["bexley-psw@example.org"] in [m.to for m in mail.outbox]


def test_the_emails_of_one_ladder_read_its_stages_once(raise_escalation, travel):
    """Each e-mail names a stage: the escalations of one ladder share it, its stages read once, however many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.emails import notification_emails_send

    travel(at(2026, 11, 10, 10, 0))
    for _ in range(3):
        raise_escalation("bexley-practitioner", "bexley-internal")
    ids = list(Notification.objects.filter(kind=Kind.ESCALATION_RAISED).values_list("pk", flat=True))
    assert len(ids) >= 3
    mail.outbox.clear()

    with CaptureQueriesContext(connection) as queries:
        sent = notification_emails_send(notification_ids=ids)

    assert sent == len(mail.outbox) >= 3
    stage_reads = [q for q in queries.captured_queries if 'FROM "policies_stage"' in q["sql"]]
    assert len(stage_reads) == 1


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened and closed. Like Django's SMTP backend (where an
    open is a TCP and TLS handshake and a sign-in), a message sent without an open connection opens one
    for itself and closes it after."""

    opened = 0
    closed = 0
    is_open = False

    def open(self):
        if self.is_open:
            return False
        CountingBackend.opened += 1
        self.is_open = True
        return True

    def close(self):
        if self.is_open:
            CountingBackend.closed += 1
        self.is_open = False

    def send_messages(self, messages):
        opened_here = self.open()
        try:
            return super().send_messages(messages)
        finally:
            if opened_here:
                self.close()


@pytest.fixture
def counting_backend(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_emails.CountingBackend"
    CountingBackend.opened = CountingBackend.closed = 0
    return CountingBackend


def test_a_batch_of_emails_goes_through_one_connection(raise_escalation, travel, counting_backend):
    from notifications.emails import notification_emails_send

    travel(at(2026, 11, 10, 10, 0))
    for _ in range(3):
        raise_escalation("bexley-practitioner", "bexley-internal")
    ids = list(Notification.objects.filter(kind=Kind.ESCALATION_RAISED).values_list("pk", flat=True))
    mail.outbox.clear()

    sent = notification_emails_send(notification_ids=ids)

    assert sent == len(mail.outbox) >= 3
    assert (counting_backend.opened, counting_backend.closed) == (1, 1)
    # Sent already: a second run claims nothing and opens no connection.
    assert notification_emails_send(notification_ids=ids) == 0
    assert (counting_backend.opened, counting_backend.closed) == (1, 1)


class FailingSecondBackend(CountingBackend):
    """Accepts the first message of a connection, then the mail server fails."""

    def send_messages(self, messages):
        if len(mail.outbox) >= 1:
            raise OSError("mail server gone")
        return super().send_messages(messages)


def test_a_failure_part_way_keeps_what_went_undoes_only_the_failed_claim_and_closes(
        raise_escalation, travel, settings):
    from notifications.emails import notification_emails_send

    travel(at(2026, 11, 10, 10, 0))
    for _ in range(3):
        raise_escalation("bexley-practitioner", "bexley-internal")
    ids = sorted(Notification.objects.filter(kind=Kind.ESCALATION_RAISED).values_list("pk", flat=True))
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "tests.notifications.test_emails.FailingSecondBackend"
    CountingBackend.opened = CountingBackend.closed = 0

    with pytest.raises(OSError):
        notification_emails_send(notification_ids=ids)

    assert len(mail.outbox) == 1
    assert (CountingBackend.opened, CountingBackend.closed) == (1, 1)
    sent_at = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "email_sent_at"))
    assert sum(1 for v in sent_at.values() if v is not None) == 1

    # The retry, with the mail server back, sends the rest and nothing twice.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_emails_send(notification_ids=ids) == len(ids) - 1
    assert len(mail.outbox) == len(ids)
    assert len({(tuple(m.to), m.body) for m in mail.outbox}) == len(ids)
