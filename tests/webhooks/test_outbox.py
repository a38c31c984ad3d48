"""The outbox: every timeline entry becomes one event per organisation whose escalation it is, with one delivery
per endpoint that takes it, written in the change's own transaction, in bulk for the clock's batches."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from deadlines.sweep import deadlines_sweep
from escalations import events, services
from escalations.models import Escalation
from escalations.webhook_events import event_type
from tests.conftest import at
from tests.webhooks.conftest import endpoint_create
from webhooks.models import Delivery, OutboxEvent
from webhooks.payloads import payload_for_endpoint

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/events"  # nothing is sent in these tests: they read the outbox
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def types_of(escalation: Escalation, organisation: str | None = None) -> list[str]:
    rows = OutboxEvent.objects.filter(escalation_id=escalation.pk).order_by("pk")
    if organisation:
        rows = rows.filter(organisation__slug=organisation)
    return list(rows.values_list("type", flat=True))


def documented_schema() -> dict:
    """The JSON Schema of docs/webhooks.md: its code block that declares ``$schema``."""
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.S)
    return next(json.loads(block) for block in blocks if '"$schema"' in block)


def strict(schema: object) -> object:
    """The schema with no field beyond those it names (receivers must allow more; the tracker sends no more)."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if "properties" in schema:
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [strict(value) for value in schema]
    return schema


# --- what is written ----------------------------------------------------------------------------------------
def test_each_timeline_entry_writes_one_event_and_one_delivery_per_endpoint(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    mosaic = endpoint_create("bexley", URL)
    archive = endpoint_create("bexley", URL, name="Archive")
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Phoned the school.")

    assert types_of(esc) == ["escalation.raise", "escalation.note"]
    for event in OutboxEvent.objects.filter(escalation_id=esc.pk):
        assert event.organisation.slug == "bexley"
        assert re.fullmatch(r"msg_[0-9a-f]{32}", event.event_id) and event.payload["id"] == event.event_id
        assert set(event.deliveries.values_list("endpoint_id", "status")) == {
            (mosaic.pk, Delivery.Status.PENDING), (archive.pk, Delivery.Status.PENDING)}


def test_the_payload_says_what_happened_to_which_escalation_and_case(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("bexley", URL)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-104233")
    esc = services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                      rationale="The plan is safe.")

    raised, responded = (e.payload for e in OutboxEvent.objects.filter(escalation_id=esc.pk).order_by("pk"))
    assert raised["version"] == 1 and raised["type"] == "escalation.raise"
    assert raised["timestamp"].startswith("2026-11-10T10:00") and raised["timestamp"].endswith("+00:00")
    assert raised["organisation"] == "bexley"
    assert raised["data"]["escalation"] == {
        "id": esc.pk, "url": f"https://tracker.example.org/escalations/{esc.pk}/", "ladder": "bexley-internal",
        "ladder_version": esc.ladder.version, "raising_organisation": "bexley", "receiving_organisation": None,
        "risk_level": "standard", "category": esc.category}
    assert raised["data"]["stage"] == {"index": 0, "name": "Team Manager",
                                       "holder": {"username": "bexley-team-manager",
                                                  "name": people["bexley-team-manager"].display_name}}
    assert raised["data"]["actor"]["username"] == "bexley-practitioner"
    assert raised["data"]["state"] == {"before": None, "after": "open"}
    assert raised["data"]["case"] == {"reference": "LCS-104233"}
    assert raised["data"]["note"] == "Risk not reassessed."
    assert responded["data"]["state"] == {"before": "open", "after": "responded"}
    assert responded["data"]["details"]["decision"] == "uphold"
    assert responded["data"]["note"] == "The plan is safe."


def test_the_clock_is_no_person_and_its_batch_writes_its_events(raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))
    endpoint_create("bexley", URL)
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    travel(at(2026, 11, 10, 17, 1))
    deadlines_sweep()

    advanced = OutboxEvent.objects.filter(escalation_id=esc.pk).order_by("pk").last()
    assert advanced.type == "escalation.auto_advance"
    assert advanced.payload["data"]["actor"] is None
    assert advanced.payload["data"]["stage"]["index"] == 2
    assert "passed with no meeting arranged" in advanced.payload["data"]["note"]


def test_an_endpoint_gets_only_the_types_it_takes_and_an_inactive_one_nothing(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    decisions = endpoint_create("bexley", URL, name="Decisions", kinds=["escalation.respond"])
    paused = endpoint_create("bexley", URL, name="Paused")
    paused.active = False
    paused.save()
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="agree",
                                rationale="Reassess.")

    assert types_of(esc) == ["escalation.respond"]
    assert list(Delivery.objects.values_list("endpoint_id", flat=True)) == [decisions.pk]


def test_each_organisation_of_a_multi_agency_escalation_gets_its_own_event(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("puddleducks", URL, name="Nursery records", include_display_name=True)
    endpoint_create("wiltshire", URL, name="Liquid Logic", include_display_name=True)
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")

    raiser_event = OutboxEvent.objects.get(escalation_id=esc.pk, organisation__slug="puddleducks")
    receiver_event = OutboxEvent.objects.get(escalation_id=esc.pk, organisation__slug="wiltshire")
    assert raiser_event.event_id != receiver_event.event_id
    assert raiser_event.payload["data"]["escalation"]["receiving_organisation"] == "wiltshire"
    assert receiver_event.payload["organisation"] == "wiltshire"


def test_the_childs_name_goes_only_to_the_owning_organisations_endpoints_that_allow_it(people, raise_escalation,
                                                                                        travel):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("puddleducks", URL, name="Nursery records", include_display_name=True)
    endpoint_create("wiltshire", URL, name="Liquid Logic", include_display_name=True)
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    Case.objects.filter(pk=esc.case_id).update(display_name="J.S.")
    services.escalation_add_note(escalation=Escalation.objects.get(pk=esc.pk), actor=people["puddleducks-practitioner"],
                                 note="Phoned J.S.'s mother.")

    owner = OutboxEvent.objects.get(escalation_id=esc.pk, organisation__slug="puddleducks", type="escalation.note")
    partner = OutboxEvent.objects.get(escalation_id=esc.pk, organisation__slug="wiltshire", type="escalation.note")
    # The case's own organisation: the name is stored, and sent only where the endpoint allows it.
    assert owner.payload["data"]["case"]["display_name"] == "J.S."
    assert payload_for_endpoint(owner.payload, include_display_name=True)["data"]["note"] == "Phoned J.S.'s mother."
    withheld = payload_for_endpoint(owner.payload, include_display_name=False)
    assert "display_name" not in withheld["data"]["case"]
    assert withheld["data"]["note"] == "Phoned [name withheld]'s mother."
    assert owner.payload["data"]["case"]["display_name"] == "J.S."  # the stored payload is left as it was
    # A partner agency never reads the child's name (CONTRACT 8.6), whatever its endpoint asks for.
    assert "J.S." not in json.dumps(partner.payload)
    assert partner.payload["data"]["note"] == "Phoned [name withheld]'s mother."


def test_a_change_that_rolls_back_leaves_no_event_and_no_delivery(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("bexley", URL)
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    before = OutboxEvent.objects.count(), Delivery.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Never saved.")
        assert OutboxEvent.objects.count() == before[0] + 1  # written with the change...
        raise RuntimeError("the change fails after its timeline entry")

    assert (OutboxEvent.objects.count(), Delivery.objects.count()) == before  # ...and gone with it
    assert types_of(esc) == ["escalation.raise"]


# --- what it costs -----------------------------------------------------------------------------------------------
# These two commit their changes (as the application does), so that the endpoints' cache works as in production.
@pytest.mark.django_db(transaction=True)
def test_an_organisation_without_endpoints_costs_no_statement_once_the_set_is_read(people, raise_escalation, travel,
                                                                                django_assert_num_queries):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("stoke", URL)  # another organisation's endpoint: the set is read afresh, once
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    entries = [events.note_added(esc, actor=people["bexley-practitioner"], note=f"Note {n}.") for n in range(3)]

    with django_assert_num_queries(1):  # the timeline's INSERT, nothing more
        events.timeline_add_many(entries)
    assert not OutboxEvent.objects.filter(escalation_id=esc.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_endpoint_is_seen_by_the_next_change(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")  # read (and cached): bexley has none
    endpoint_create("bexley", URL)
    services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="After the endpoint.")
    assert types_of(esc) == ["escalation.note"]


def _sweep_statements(raise_escalation, travel, pairs: int, day: int) -> tuple[int, int]:
    travel(at(2026, 11, day, 9, 0))
    for _ in range(pairs):
        raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
        raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, day + 1, 17, 1))
    before = OutboxEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        deadlines_sweep(batch_size=200)
    statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(statements), OutboxEvent.objects.count() - before


def test_the_clocks_batch_writes_its_events_in_a_fixed_number_of_statements(raise_escalation, travel):
    endpoint_create("bexley", URL)
    few, few_events = _sweep_statements(raise_escalation, travel, pairs=3, day=10)
    many, many_events = _sweep_statements(raise_escalation, travel, pairs=60, day=17)
    assert (few_events, many_events) == (6, 123)
    # As the sweep's own test: SQLite splits a big INSERT into pieces of 999 parameters, nothing per escalation.
    assert many <= few + 8, (few, many)


# --- the documented schema ----------------------------------------------------------------------------------------
def test_every_payload_of_a_whole_escalation_matches_the_documented_schema(people, raise_escalation, travel):
    travel(at(2026, 11, 10, 10, 0))
    endpoint_create("bexley", URL)
    raiser, manager = people["bexley-practitioner"], people["bexley-team-manager"]
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_arrange_meeting(escalation=esc, actor=manager,
                                              meeting_at=at(2026, 11, 10, 15, 0))
    esc = services.escalation_respond(escalation=esc, actor=manager, decision="uphold", rationale="Safe plan.")
    esc = services.escalation_escalate(escalation=esc, actor=raiser, reason="Still unsafe.")
    esc = services.escalation_respond(escalation=esc, actor=esc.holder, decision="agree", rationale="Reassess.")
    services.escalation_accept(escalation=esc, actor=raiser, agreed_outcome="Reassessment booked.",
                               outstanding_actions="Review in a month.")
    schema = strict(documented_schema())

    payloads = [event.payload for event in OutboxEvent.objects.filter(escalation_id=esc.pk).order_by("pk")]
    assert [p["type"] for p in payloads] == ["escalation.raise", "escalation.arrange_meeting", "escalation.respond",
                                             "escalation.escalate", "escalation.respond", "escalation.accept"]
    for payload in payloads:
        jsonschema.validate(payload_for_endpoint(payload, include_display_name=False), schema)
        jsonschema.validate(payload, schema)


def test_every_kind_of_timeline_entry_is_a_documented_event_type():
    text = DOCS.read_text()
    actions = [value for name, value in vars(events.Action).items() if name.isupper()]
    assert [action for action in actions if f"`{event_type(action)}`" not in text] == []
    assert set(documented_schema()["properties"]["type"]["enum"]) == {event_type(a) for a in actions}
