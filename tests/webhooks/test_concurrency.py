"""Two workers sending at once never send one event twice, and still send each escalation's events in order.

Real row locks (``SELECT ... FOR UPDATE SKIP LOCKED``) are needed, so this runs on PostgreSQL only.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.utils import timezone

from escalations import services
from tests.conftest import at
from webhooks.delivery import deliveries_send
from webhooks.models import Delivery, OutboxEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_at_once_never_deliver_the_same_event_twice(people, raise_escalation, travel, receiver,
                                                                 bexley_endpoint):
    travel(at(2026, 11, 10, 10, 0))
    receiver.stop()  # down while the events are written: each change's own run fails, and they wait
    escalations = []
    for _ in range(6):
        esc = raise_escalation("bexley-practitioner", "bexley-internal")
        for n in range(3):
            services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note=f"Note {n}.")
        escalations.append(esc)
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 24
    receiver.start()
    receiver.handle_seconds = 0.05  # each request takes a moment, so that the two workers overlap
    travel(timezone.now() + dt.timedelta(hours=2))

    barrier = threading.Barrier(2)
    runs: list = [None, None]

    def work(index: int) -> None:
        from django.db import connection

        try:
            barrier.wait(timeout=10)
            runs[index] = deliveries_send(batch_size=3)
        except Exception as exc:  # what the test inspects
            runs[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    receiver.wait_idle()

    assert all(not isinstance(run, Exception) for run in runs), runs
    # Both workers sent some (they overlapped), and no event was answered 2xx twice.
    assert all(run.counts["delivered"] for run in runs), runs
    answered = Counter(seen.event_id for seen in receiver.requests if seen.status == 200)
    assert set(answered.values()) == {1} and len(answered) == 24
    assert receiver.duplicates == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    for esc in escalations:  # each escalation's events in the order they happened
        ids = list(OutboxEvent.objects.filter(escalation_id=esc.pk).order_by("pk").values_list("event_id", flat=True))
        assert [i for i in receiver.accepted_ids if i in ids] == ids
