"""A case's chronology (issue 16, item 3): everything held about its escalations that the reader may see, in time
order, as JSON from the escalation's page and from the API; audited; not found where the case is not theirs to see."""
from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AccessEvent, Action, Outcome
from cases.models import Case
from escalations import services
from escalations.models import Escalation, Participant
from organisations.models import User
from tests.chronology.conftest import NAME, PDF_BYTES, REFERENCE, worked_escalation
from tests.conftest import at

pytestmark = pytest.mark.django_db


def download(client, user: User, escalation: Escalation):
    client.force_login(user)
    return client.get(reverse("escalations:chronology", args=[escalation.pk]))


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def worked(people, raise_escalation, travel):
    return worked_escalation(people, raise_escalation, travel)


# --- what it holds, in order ------------------------------------------------------------------------------------
def test_the_raiser_downloads_the_case_s_chronology_from_the_escalation_page(client, people, worked):
    client.force_login(people["bexley-practitioner"])
    detail = client.get(reverse("escalations:detail", args=[worked.pk])).content.decode()
    assert "Download the chronology (JSON)" in detail
    assert f'href="/escalations/{worked.pk}/chronology.json"' in detail
    response = download(client, people["bexley-practitioner"], worked)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert re.fullmatch(rf'attachment; filename="chronology-{REFERENCE}-\d{{4}}-\d\d-\d\d\.json"',
                        response["Content-Disposition"])
    document = json.loads(response.content.decode())
    assert (document["format"], document["version"]) == ("escalation-tracker chronology", 1)
    assert document["case"] == {"reference": REFERENCE, "display_name": NAME,
                                "organisation": {"slug": "bexley", "name": worked.case.organisation.name}}
    assert document["generated_for"]["username"] == "bexley-practitioner"


def test_each_escalation_comes_with_its_summary_timeline_notes_meeting_debrief_and_attachments(client, people, worked):
    document = download(client, people["bexley-practitioner"], worked).json()
    [esc] = document["escalations"]
    holder = worked.holder

    assert esc["number"] == worked.pk
    assert esc["ladder"]["slug"] == "bexley-internal" and esc["category"]["label"] == worked.category_label
    assert esc["risk_level"] == {"value": "standard", "label": "Standard"}
    assert esc["raised_by"]["username"] == "bexley-practitioner"
    assert esc["raised_at"].startswith("2026-11-02T09:00:") and esc["raised_at"].endswith("Z")
    assert esc["raised_at_words"] == "Monday 2 November 2026 at 9am"
    assert esc["holder"]["username"] == holder.username
    assert [person["username"] for person in esc["holders"]] == [holder.username]
    assert esc["state"] == {"value": "resolved", "label": "Resolved"}
    assert esc["stage_deadline_words"] and esc["stage_deadline"].endswith("Z")
    assert esc["decision"]["value"] == "agree" and esc["rationale"] == "Reassess now."
    assert esc["outcome"]["agreed_outcome"] == "Reassessment booked for Friday."
    assert esc["outcome"]["outstanding_issues_pursued_by"] == "The team manager reviews it in a month."
    assert esc["outcome"]["resolved_at_words"] == "Monday 2 November 2026 at 4pm"

    assert [entry["action"] for entry in esc["timeline"]] == [
        "raise", "note", "attach", "arrange_meeting", "respond", "accept", "record_debrief"]
    accept = esc["timeline"][5]
    assert accept["at_words"] == "Monday 2 November 2026 at 4pm" and accept["at"].startswith("2026-11-02T16:00:")
    assert accept["actor"]["username"] == "bexley-practitioner"
    assert accept["from_state"] == {"value": "responded", "label": "Responded"}
    assert accept["to_state"] == {"value": "resolved", "label": "Resolved"}
    assert accept["stage"] == {"index": worked.stage_index, "name": worked.stage.name}
    assert accept["note"] == "Reassessment booked for Friday." and accept["action_label"]

    assert [(note["by"]["username"], note["note"]) for note in esc["notes"]] == [
        ("bexley-practitioner", "Spoke to the school on the phone.")]
    [meeting] = esc["meetings"]
    assert meeting["kind"] == "meeting" and meeting["meeting_at_words"] == "Tuesday 3 November 2026 at 2:30pm"
    assert meeting["arranged_by"]["username"] == holder.username
    assert [(d["by"]["username"], d["note"], d["at_words"]) for d in esc["debriefs"]] == [
        ("bexley-practitioner", "Quick and respectful.", "Monday 2 November 2026 at 4:30pm")]
    [attachment] = esc["attachments"]
    assert {k: attachment[k] for k in ("name", "size", "content_type", "description")} == {
        "name": "minutes.pdf", "size": len(PDF_BYTES), "content_type": "application/pdf",
        "description": "Strategy meeting minutes"}
    assert attachment["uploaded_by"]["username"] == "bexley-practitioner"
    assert attachment["uploaded_at_words"] == "Monday 2 November 2026 at 11am"
    assert "%PDF" not in json.dumps(document)  # the metadata, never the content


def test_the_chronology_lists_every_entry_of_every_escalation_oldest_first(client, people, raise_escalation, travel):
    first = worked_escalation(people, raise_escalation, travel, day=2)
    travel(at(2026, 11, 2, 13, 0))  # between the first one's meeting (midday) and its decision (3pm)
    second = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    travel(at(2026, 11, 2, 15, 30))
    services.escalation_add_note(escalation=second, actor=people["bexley-practitioner"], note="Second concern.")

    document = download(client, people["bexley-practitioner"], first).json()

    assert [esc["number"] for esc in document["escalations"]] == [first.pk, second.pk]
    assert [(entry["escalation"], entry["action"]) for entry in document["chronology"]] == [
        (first.pk, "raise"), (first.pk, "note"), (first.pk, "attach"), (first.pk, "arrange_meeting"),
        (second.pk, "raise"), (first.pk, "respond"), (second.pk, "note"), (first.pk, "accept"),
        (first.pk, "record_debrief")]
    moments = [entry["at"] for entry in document["chronology"]]
    assert moments == sorted(moments) and all(moment.endswith("Z") for moment in moments)


def test_the_times_are_utc_and_their_words_london_time_in_summer(client, people, raise_escalation, travel):
    travel(at(2026, 7, 6, 10, 0))  # BST: 09:00 UTC
    esc = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    [entry] = download(client, people["bexley-practitioner"], esc).json()["chronology"]
    assert entry["at"].startswith("2026-07-06T09:00:") and entry["at"].endswith("Z")
    assert entry["at_words"] == "Monday 6 July 2026 at 10am"


# --- only what the reader may see ----------------------------------------------------------------------------
def test_a_reader_gets_only_the_escalations_they_may_see(client, people, raise_escalation, travel):
    travel(at(2026, 11, 2, 9, 0))
    own = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    travel(at(2026, 11, 2, 10, 0))
    hidden = raise_escalation("bexley-team-manager", "bexley-internal", reference=REFERENCE)
    assert not Escalation.objects.visible_to(people["bexley-practitioner"]).filter(pk=hidden.pk).exists()

    mine = download(client, people["bexley-practitioner"], own).json()
    everything = download(client, people["bexley-psw"], own).json()

    assert [esc["number"] for esc in mine["escalations"]] == [own.pk]
    assert {entry["escalation"] for entry in mine["chronology"]} == {own.pk}
    assert [esc["number"] for esc in everything["escalations"]] == [own.pk, hidden.pk]
    # The escalation the reader may not see is no way in: 404, as for one that does not exist.
    assert download(client, people["bexley-practitioner"], hidden).status_code == 404


def test_a_partner_agency_reads_no_child_s_name_where_the_pages_hide_it(client, people, raise_escalation, travel):
    """Puddleducks challenges Wiltshire: Wiltshire's holder sees the case's reference, never the name Puddleducks
    keeps (CONTRACT 8.6), not even where someone typed it into a note; Puddleducks' own staff read it."""
    travel(at(2026, 11, 2, 9, 0))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                           reference="LCS-910002")
    Case.objects.filter(pk=esc.case_id).update(display_name=NAME)
    services.escalation_add_note(escalation=esc, actor=people["puddleducks-practitioner"],
                                 note=f"{NAME} was seen at nursery today.")
    esc = Escalation.objects.get(pk=esc.pk)
    partner = esc.holder
    assert partner.organisation.slug == "wiltshire"

    client.force_login(partner)
    detail = client.get(reverse("escalations:detail", args=[esc.pk])).content.decode()
    assert f"({NAME})" not in detail  # the page's rule, which the chronology follows
    theirs = download(client, partner, esc)
    by_api = api(partner).get("/api/v1/cases/chronology/", {"reference": "LCS-910002"})
    own = download(client, people["puddleducks-practitioner"], esc).json()

    for response in (theirs, by_api):
        assert response.status_code == 200
        assert NAME not in response.content.decode()
        document = response.json()
        assert document["case"]["display_name"] == ""
        assert document["escalations"][0]["notes"][0]["note"] == "[name withheld] was seen at nursery today."
    assert own["case"]["display_name"] == NAME
    assert own["escalations"][0]["notes"][0]["note"] == f"{NAME} was seen at nursery today."


def test_staff_of_the_case_s_organisation_get_it_even_with_no_escalation_they_see(people, raise_escalation, travel):
    travel(at(2026, 11, 2, 9, 0))
    raise_escalation("bexley-team-manager", "bexley-internal", reference=REFERENCE)
    response = api(people["bexley-practitioner"]).get("/api/v1/cases/chronology/", {"reference": REFERENCE})
    assert response.status_code == 200
    assert response.json()["escalations"] == [] and response.json()["case"]["display_name"] == ""
    assert AccessEvent.objects.filter(action=Action.EXPORTED, object_kind="case").count() == 1


# --- not found, as a missing case --------------------------------------------------------------------------------
def _same(content: bytes) -> bytes:
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)
    return re.sub(rb'nonce="[^"]*"', b"", content)


@pytest.mark.parametrize("username", ["stoke-crm", "wiltshire-board-member", "bexley-org-admin", "admin"])
def test_an_invisible_case_is_not_found_exactly_as_a_missing_one(client, people, worked, username):
    user = User.objects.get(username=username)
    hidden_page, missing_page = download(client, user, worked), client.get("/escalations/999999/chronology.json")
    assert hidden_page.status_code == missing_page.status_code == 404
    assert _same(hidden_page.content) == _same(missing_page.content)

    hidden = api(user).get("/api/v1/cases/chronology/", {"reference": REFERENCE})
    missing = api(user).get("/api/v1/cases/chronology/", {"reference": "LCS-999999"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert NAME not in hidden.content.decode()


def test_a_refused_look_is_in_the_access_log_by_the_case_s_id_never_its_reference(client, people, worked):
    api(people["stoke-crm"]).get("/api/v1/cases/chronology/", {"reference": REFERENCE})
    download(client, people["stoke-crm"], worked)
    refused = AccessEvent.objects.filter(action=Action.REFUSED, outcome=Outcome.NOT_FOUND, username="stoke-crm")
    assert {(row.object_kind, row.status) for row in refused} == {("case", 404), ("escalation", 404)}
    assert refused.get(object_kind="case").object_id == str(worked.case_id)
    assert refused.get(object_kind="case").organisation_id == worked.raising_organisation_id
    assert not any(REFERENCE in f"{row.path} {row.detail}" for row in refused)


def test_the_api_asks_for_the_reference_and_names_the_organisation_where_two_hold_it(people, raise_escalation,
                                                                                    travel):
    travel(at(2026, 11, 2, 9, 0))
    bexley = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    stoke = raise_escalation("stoke-crm", "stoke-crm", reference=REFERENCE)
    psw = people["bexley-psw"]
    assert api(psw).get("/api/v1/cases/chronology/").status_code == 400
    assert "reference" in api(psw).get("/api/v1/cases/chronology/", {"reference": "x" * 65}).json()
    assert "reference" in api(psw).get("/api/v1/cases/chronology/", {"reference": "LCS-\x00"}).json()
    # The PSW sees only Bexley's case with this reference: no doubt which one.
    assert api(psw).get("/api/v1/cases/chronology/", {"reference": REFERENCE}).json()["escalations"][0][
        "number"] == bexley.pk
    # Someone who sees both cases is asked which organisation's.
    Participant.objects.create(escalation=stoke, user=psw, reason="actor")  # drawn in: she sees Stoke's too
    both = api(psw).get("/api/v1/cases/chronology/", {"reference": REFERENCE})
    assert both.status_code == 400 and "bexley, stoke" in both.json()["organisation"][0]
    chosen = api(psw).get("/api/v1/cases/chronology/", {"reference": REFERENCE, "organisation": "stoke"})
    assert chosen.status_code == 200 and chosen.json()["case"]["organisation"]["slug"] == "stoke"
    assert chosen.json()["case"]["display_name"] == ""  # not her organisation's case


# --- audited ------------------------------------------------------------------------------------------------
def test_each_download_is_an_export_in_the_access_log(client, people, raise_escalation, travel):
    travel(at(2026, 11, 2, 9, 0))
    first = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    second = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
    download(client, people["bexley-practitioner"], first)
    api(people["bexley-practitioner"]).get("/api/v1/cases/chronology/", {"reference": REFERENCE})

    rows = AccessEvent.objects.filter(action=Action.EXPORTED).order_by("pk")
    assert [(row.escalation_id, row.detail["via"], row.username) for row in rows] == [
        (first.pk, "chronology_page", "bexley-practitioner"), (second.pk, "chronology_page", "bexley-practitioner"),
        (first.pk, "chronology_api", "bexley-practitioner"), (second.pk, "chronology_api", "bexley-practitioner")]
    assert {row.detail["case_id"] for row in rows} == {first.case_id}
    assert rows[0].path == f"/escalations/{first.pk}/chronology.json"
    assert rows[2].path == "/api/v1/cases/chronology/"  # the reference was a parameter: it is in no path
    assert all(row.organisation_id == first.raising_organisation_id for row in rows)


def test_the_api_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/cases/chronology/"]["get"]
    assert operation["operationId"] == "cases_chronology"
    assert {parameter["name"] for parameter in operation["parameters"]} >= {"reference", "organisation"}
    assert {"200", "400", "404"} <= set(operation["responses"])


# --- a fixed number of queries ------------------------------------------------------------------------------
def _grown(people, raise_escalation, travel, *, escalations: int, notes: int) -> Escalation:
    travel(at(2026, 11, 2, 9, 0))
    made = []
    for _ in range(escalations):
        esc = raise_escalation("bexley-practitioner", "bexley-internal", reference=REFERENCE)
        for n in range(notes):
            services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note=f"Note {n}.")
        made.append(esc)
    return made[0]


def test_the_query_count_does_not_grow_with_the_escalations_or_their_entries(
        client, people, raise_escalation, travel, django_assert_max_num_queries):
    small = _grown(people, raise_escalation, travel, escalations=1, notes=1)
    client.force_login(people["bexley-psw"])
    with django_assert_max_num_queries(25) as few:
        assert client.get(reverse("escalations:chronology", args=[small.pk])).status_code == 200
    large = _grown(people, raise_escalation, travel, escalations=4, notes=8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("escalations:chronology", args=[large.pk]))
    assert response.status_code == 200 and len(response.json()["escalations"]) == 5
    assert len(response.json()["chronology"]) == 1 + 1 + 4 * (1 + 8)


def test_the_qap_chair_reads_a_board_logged_escalation_but_not_its_case_s_chronology(client, people,
                                                                                    raise_escalation, travel):
    travel(at(2026, 11, 2, 9, 0))
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                           reference="LCS-910003")
    services.escalation_log_with_board(escalation=esc, actor=people["puddleducks-practitioner"],
                                       reason="No response in a month.")
    chair = people["wiltshire-qap-chair"]
    client.force_login(chair)
    detail = client.get(reverse("escalations:detail", args=[esc.pk]))
    assert detail.status_code == 200 and "Download the chronology (JSON)" not in detail.content.decode()
    assert download(client, chair, esc).status_code == 404
    assert api(chair).get("/api/v1/cases/chronology/", {"reference": "LCS-910003"}).status_code == 404
