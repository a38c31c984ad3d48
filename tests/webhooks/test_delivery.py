"""Delivery to a real receiver on loopback that verifies every request with ``standardwebhooks``: every event
arrives, once, in order, whether the receiver is well, answers 500, answers too late, or is down for a while;
after a day of failures the endpoint is failing and the organisation's administrators are told."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from escalations import services
from escalations.models import Escalation
from notifications.emails import message_build
from notifications.models import Kind, Notification
from tests.conftest import at
from tests.webhooks.conftest import endpoint_create
from tests.webhooks.receiver import ERROR, OK, SLOW
from webhooks.delivery import BACKOFF_LONGEST, DELIVERED, RETRY_WINDOW, backoff, deliveries_send
from webhooks.models import Delivery, DeliveryAttempt, Endpoint, OutboxEvent
from webhooks.tasks import deliver_webhooks

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


def event_ids(escalation: Escalation) -> list[str]:
    return list(OutboxEvent.objects.filter(escalation_id=escalation.pk).order_by("pk").values_list("event_id",
                                                                                                   flat=True))


def statuses() -> set[str]:
    return set(Delivery.objects.values_list("status", flat=True))


def three_events(people, raise_escalation) -> Escalation:
    """A Bexley escalation with three timeline entries: raised, then two notes."""
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    for note in ("Phoned the school.", "Spoke to the health visitor."):
        services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note=note)
    return esc


def past_the_wait(travel) -> None:
    """Travel to just after the latest retry that is waiting."""
    due = Delivery.objects.filter(status=Delivery.Status.PENDING).order_by("-next_attempt_at").first()
    travel(max(due.next_attempt_at, timezone.now()) + dt.timedelta(seconds=1))


# --- as it happens: each change queues the task once it commits ------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_every_event_of_a_whole_escalation_arrives_once_in_order_as_it_happens(people, raise_escalation, travel,
                                                                                receiver, bexley_endpoint):
    travel(TUESDAY_10AM)
    raiser, manager = people["bexley-practitioner"], people["bexley-team-manager"]
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert [p["type"] for p in receiver.accepted] == ["escalation.raise"]  # sent when the raise committed
    esc = services.escalation_arrange_meeting(escalation=esc, actor=manager, meeting_at=at(2026, 11, 10, 15, 0))
    esc = services.escalation_respond(escalation=esc, actor=manager, decision="uphold", rationale="Safe plan.")
    esc = services.escalation_escalate(escalation=esc, actor=raiser, reason="Still unsafe.")
    esc = services.escalation_add_note(escalation=esc, actor=raiser, note="Sent the chronology.")
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Reassess.")
    services.escalation_accept(escalation=esc, actor=raiser, agreed_outcome="Reassessment booked.",
                               outstanding_actions="Review in a month.")

    assert [p["type"] for p in receiver.accepted] == [
        "escalation.raise", "escalation.arrange_meeting", "escalation.respond", "escalation.escalate",
        "escalation.note", "escalation.respond", "escalation.accept"]
    assert receiver.accepted_ids == event_ids(esc)
    assert [p["data"]["state"]["after"] for p in receiver.accepted] == [
        "open", "meeting_arranged", "responded", "open", "open", "responded", "resolved"]
    assert receiver.duplicates == [] and receiver.refused == []
    assert all(receiver.answered_ok(event_id) == 1 for event_id in receiver.accepted_ids)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.DELIVERED, 1)}
    assert set(DeliveryAttempt.objects.values_list("status_code", flat=True)) == {200}
    assert deliveries_send().summary() == "webhooks: nothing due"  # beat's next run finds nothing left


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_sends_nothing(people, raise_escalation, travel, receiver, bexley_endpoint):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Never saved.")
        raise RuntimeError("the change fails after its timeline entry")
    deliveries_send()

    assert [p["type"] for p in receiver.accepted] == ["escalation.raise"]
    assert len(receiver.requests) == 1
    assert OutboxEvent.objects.count() == 1


# --- a receiver in trouble: judged by event id ------------------------------------------------------------------
@pytest.mark.django_db
def test_a_receiver_answering_500_gets_every_event_once_when_it_recovers(people, raise_escalation, travel, receiver,
                                                                          bexley_endpoint):
    travel(TUESDAY_10AM)
    receiver.mode = ERROR
    esc = three_events(people, raise_escalation)

    deliveries_send()
    # Only the first event was tried: the others wait behind it, in order.
    assert [seen.status for seen in receiver.requests] == [500]
    past_the_wait(travel)
    deliveries_send()
    assert [seen.status for seen in receiver.requests] == [500, 500]
    receiver.mode = OK
    past_the_wait(travel)
    run = deliveries_send()

    assert run.counts[DELIVERED] == 3
    assert receiver.accepted_ids == event_ids(esc) and receiver.duplicates == []
    assert all(receiver.answered_ok(event_id) == 1 for event_id in event_ids(esc))
    first = Delivery.objects.get(event__event_id=event_ids(esc)[0])
    assert (first.status, first.attempts) == (Delivery.Status.DELIVERED, 3)
    assert list(first.tries.order_by("at").values_list("status_code", flat=True)) == [500, 500, 200]


@pytest.mark.django_db
def test_a_receiver_that_answers_too_late_gets_every_event_and_drops_the_repeat_by_its_id(
        people, raise_escalation, travel, receiver, bexley_endpoint):
    travel(TUESDAY_10AM)
    receiver.mode, receiver.slow_seconds = SLOW, 1.5  # the sender waits 1 s (WEBHOOK_TIMEOUT_SECONDS)
    esc = three_events(people, raise_escalation)

    deliveries_send()
    receiver.wait_idle()  # it took the first event in, too late for the sender to hear
    tried = DeliveryAttempt.objects.get()
    assert tried.status_code is None and tried.error == "No answer within 1 s"
    receiver.mode = OK
    past_the_wait(travel)
    deliveries_send()

    ids = event_ids(esc)
    assert receiver.accepted_ids == ids  # none lost, in order
    assert receiver.duplicates == [ids[0]]  # the repeat of the one the sender never heard back about
    assert statuses() == {Delivery.Status.DELIVERED}


@pytest.mark.django_db
def test_a_receiver_that_is_down_and_then_up_gets_every_event_once(people, raise_escalation, travel, receiver,
                                                                    bexley_endpoint):
    travel(TUESDAY_10AM)
    receiver.stop()  # nothing listens on its port
    esc = three_events(people, raise_escalation)
    deliveries_send()
    past_the_wait(travel)
    deliveries_send()
    assert list(DeliveryAttempt.objects.values_list("status_code", flat=True)) == [None, None]
    assert all(error.startswith("No answer") for error in DeliveryAttempt.objects.values_list("error", flat=True))

    receiver.start()  # back, on the same port
    past_the_wait(travel)
    deliveries_send()

    assert receiver.accepted_ids == event_ids(esc) and receiver.duplicates == []
    assert statuses() == {Delivery.Status.DELIVERED}


# --- a day of failures -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_after_a_day_of_failures_the_endpoint_is_failing_and_its_administrators_are_told_once(
        people, raise_escalation, travel, receiver, bexley_endpoint):
    travel(TUESDAY_10AM)
    receiver.mode = ERROR
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-555001")
    delivery = Delivery.objects.get()
    while delivery.status == Delivery.Status.PENDING:
        past_the_wait(travel)
        deliveries_send()
        delivery.refresh_from_db()

    tries = list(delivery.tries.order_by("at").values_list("at", flat=True))
    waits = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == len(tries)
    assert tries[-1] - delivery.created_at >= RETRY_WINDOW > tries[-2] - delivery.created_at  # a day, then it stops
    assert 25 <= len(tries) <= 60
    assert waits[0] < dt.timedelta(seconds=40) and max(waits) <= BACKOFF_LONGEST + dt.timedelta(seconds=2)
    endpoint = Endpoint.objects.get(pk=bexley_endpoint.pk)
    assert endpoint.failing_since == tries[-1]
    told = Notification.objects.filter(kind=Kind.WEBHOOK_FAILING)
    assert [(n.recipient.username, n.escalation_id, n.urgent) for n in told] == [("bexley-org-admin", None, True)]
    assert "Mosaic" in told[0].message and "LCS-555001" not in told[0].message
    mail = message_build(told[0])
    assert mail.subject == "[Escalation Tracker] A webhook endpoint is failing"
    assert "replay the failed events" in mail.body and "LCS-555001" not in mail.body + mail.alternatives[0][0]

    # Later events keep being tried; the next success clears the failing mark, and nobody is told twice.
    receiver.mode = OK
    services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Back again?")
    deliveries_send()
    assert Endpoint.objects.get(pk=bexley_endpoint.pk).failing_since is None
    assert [p["type"] for p in receiver.accepted] == ["escalation.note"]
    assert told.count() == 1


def test_the_wait_doubles_from_30_seconds_to_an_hour_drawn_between_half_and_all():
    assert backoff(1, draw=lambda: 1.0) == dt.timedelta(seconds=30)
    assert backoff(1, draw=lambda: 0.0) == dt.timedelta(seconds=15)
    assert backoff(4, draw=lambda: 1.0) == dt.timedelta(minutes=4)
    assert backoff(30, draw=lambda: 1.0) == BACKOFF_LONGEST
    assert backoff(30, draw=lambda: 0.0) == BACKOFF_LONGEST / 2


# --- the task --------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_beat_task_sends_what_is_due(people, raise_escalation, travel, receiver, bexley_endpoint):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert deliver_webhooks.delay().get() == "webhooks: 1 delivered"
    assert receiver.accepted_ids == event_ids(esc)


@pytest.mark.django_db
def test_an_inactive_endpoint_is_not_sent_to_until_it_is_active_again(people, raise_escalation, travel, receiver,
                                                                      bexley_endpoint):
    travel(TUESDAY_10AM)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    bexley_endpoint.active = False
    bexley_endpoint.save()
    deliveries_send()
    assert receiver.requests == []
    bexley_endpoint.active = True
    bexley_endpoint.save()
    deliveries_send()
    assert receiver.accepted_ids == event_ids(esc)


@pytest.mark.django_db
def test_the_name_goes_only_to_the_endpoint_that_allows_it(people, raise_escalation, travel, receiver):
    from cases.models import Case

    travel(TUESDAY_10AM)
    endpoint_create("bexley", receiver.url, name="Mosaic", secrets=list(receiver.secrets), include_display_name=True)
    endpoint_create("bexley", receiver.url, name="Reports", secrets=list(receiver.secrets))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    Case.objects.filter(pk=esc.case_id).update(display_name="K.L.")
    services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Saw K.L. today.")
    deliveries_send()

    notes = [p["data"] for p in receiver.accepted if p["type"] == "escalation.note"]
    # The receiver keeps the first of each id: both endpoints got the same event id, one with the name.
    sent = [seen for seen in receiver.requests if b'"escalation.note"' in seen.body]
    assert len(sent) == 2 and len(notes) == 1
    bodies = sorted(seen.body.decode() for seen in sent)
    assert sum("K.L." in body for body in bodies) == 1
    assert any('"display_name":"K.L."' in body and "Saw K.L. today." in body for body in bodies)
    assert any("Saw [name withheld] today." in body and "display_name" not in body for body in bodies)
