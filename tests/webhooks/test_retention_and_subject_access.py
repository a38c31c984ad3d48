"""The outbox keeps copies of the timeline: the retention period erases their text with the timeline's, and the
subject-access export lists the events sent about the case."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from administration.retention import retention_apply
from cases.models import Case
from escalations import services
from escalations.models import Escalation
from escalations.subject_access import subject_access_document
from organisations.models import RETENTION_DEFAULT_DAYS
from tests.conftest import at
from tests.webhooks.conftest import endpoint_create
from webhooks.delivery import deliveries_send
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved_with_events(people, raise_escalation, travel, receiver):
    """A resolved Bexley escalation on a case with the child's initials, each event sent to Mosaic."""
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("bexley", receiver.url, secrets=list(receiver.secrets), include_display_name=True)
    raiser = people["bexley-practitioner"]
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-700001")
    Case.objects.filter(pk=esc.case_id).update(display_name="J.S.")
    services.escalation_add_note(escalation=esc, actor=raiser, note="Phoned J.S.'s mother.")
    esc = Escalation.objects.get(pk=esc.pk)
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Reassess J.S.")
    services.escalation_accept(escalation=esc, actor=raiser, agreed_outcome="Reassessment booked for J.S.",
                               outstanding_actions="The plan for J.S.")
    deliveries_send()
    assert len(receiver.accepted) == 4
    return Escalation.objects.get(pk=esc.pk)


def test_retention_erases_the_text_the_outbox_holds_about_the_escalation_and_the_child(resolved_with_events):
    esc = resolved_with_events
    assert "J.S." in json.dumps(list(OutboxEvent.objects.values_list("payload", flat=True)))
    long_ago = timezone.now() - dt.timedelta(days=RETENTION_DEFAULT_DAYS + 1)
    Escalation.objects.filter(pk=esc.pk).update(closed_at=long_ago)

    retention_apply()

    payloads = list(OutboxEvent.objects.filter(escalation_id=esc.pk).order_by("pk").values_list("payload", flat=True))
    assert len(payloads) == 4
    held = json.dumps(payloads)
    assert "J.S." not in held and "LCS-700001" not in held
    assert {p["data"]["case"]["reference"] for p in payloads} == {f"erased-{esc.case_id}"}
    assert {p["data"]["note"] for p in payloads} == {""}
    assert not any("outstanding_actions" in p["data"]["details"] for p in payloads)
    # What is not typed stays: the type, the states, the stage, who acted.
    assert [p["type"] for p in payloads] == ["escalation.raise", "escalation.note", "escalation.respond",
                                             "escalation.accept"]
    assert payloads[-1]["data"]["state"] == {"before": "responded", "after": "resolved"}
    assert payloads[-1]["data"]["actor"]["username"] == "bexley-practitioner"


def test_the_subject_access_export_lists_the_events_sent_about_the_case(resolved_with_events, people):
    document = subject_access_document(case=Case.objects.get(reference="LCS-700001"), actor=people["bexley-psw"])

    (exported,) = document["escalations"]
    sent = exported["webhook_events"]
    assert [event["type"] for event in sent] == ["escalation.raise", "escalation.note", "escalation.respond",
                                                 "escalation.accept"]
    assert sent[1]["payload"]["data"]["note"] == "Phoned J.S.'s mother."
    assert sent[0]["organisation"] == "bexley"
    assert sent[0]["deliveries"] == [{"endpoint": "Mosaic", "status": "delivered", "attempts": 1,
                                      "delivered_at": sent[0]["deliveries"][0]["delivered_at"]}]
    assert sent[0]["deliveries"][0]["delivered_at"] is not None
