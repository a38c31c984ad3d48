"""The pages of CONTRACT 8.2-8.4: the mediator and panel forms offer exactly the eligible people, board
logs by kind, the written confirmation asked for where it ends the escalation, debriefs, and the written
record showing the outcome, how outstanding issues will be pursued, the panel and the debriefs."""
import datetime as dt
import re

import pytest
from django.urls import reverse

from escalations import services
from escalations.eligibility import mediators_eligible, panel_members_eligible
from escalations.models import BoardLog, Escalation, State
from tests.conftest import at
from tests.factories import bristol_third_agency, resolution_panel_for_test

pytestmark = pytest.mark.django_db

TUESDAY_10AM = at(2026, 11, 10, 10, 0)


@pytest.fixture
def tuesday(travel):
    travel(TUESDAY_10AM)


@pytest.fixture
def wiltshire(raise_escalation, tuesday):
    return raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")


def page(client, user, esc, name="detail") -> str:
    client.force_login(user)
    response = client.get(reverse(f"escalations:{name}", args=[esc.pk]))
    assert response.status_code == 200
    return response.content.decode()


def form_of(html: str, action: str) -> str:
    start = html.index(f'id="action-{action}"')
    return html[start:html.index("</details>", start)]


def options(html: str, name: str) -> set[str]:
    """The values a select or the checkboxes called ``name`` offer (the empty choice left out)."""
    selects = re.findall(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    if selects:
        return {v for v in re.findall(r'<option value="([^"]*)"', selects[0]) if v}
    return set(re.findall(rf'name="{name}" type="checkbox" value="([^"]*)"', html))


def post(client, esc, action, data, *, versioned=True):
    body = {f"{action}-{key}": value for key, value in data.items()}
    if versioned:
        body[f"{action}-version"] = Escalation.objects.get(pk=esc.pk).version
    return client.post(reverse(f"escalations:{action}", args=[esc.pk]), body)


def test_the_mediator_select_offers_exactly_the_eligible_people(client, people, wiltshire):
    html = form_of(page(client, people["wiltshire-social-worker"], wiltshire), "start_mediation")
    offered = options(html, "start_mediation-mediator")
    assert offered == {str(user.pk) for user in mediators_eligible(wiltshire)}
    assert offered == {str(people["wiltshire-qap-chair"].pk)}


def test_a_mediator_outside_the_choices_is_refused_on_the_page_and_nothing_changes(client, people, wiltshire):
    client.force_login(people["wiltshire-social-worker"])
    response = post(client, wiltshire, "start_mediation", {"mediator": people["bexley-psw"].pk})
    assert response.status_code == 400
    assert Escalation.objects.get(pk=wiltshire.pk).state == State.OPEN


def test_the_board_log_form_offers_the_kinds_not_yet_logged(client, people, wiltshire):
    raiser = people["puddleducks-practitioner"]
    html = form_of(page(client, raiser, wiltshire), "log_with_board")
    assert 'value="serious_concern"' in html and 'value="unresolved"' in html
    response = post(client, wiltshire, "log_with_board", {"kind": "serious_concern", "reason": "Third referral."})
    assert response.status_code == 302
    html = page(client, raiser, wiltshire)
    assert 'value="serious_concern"' not in form_of(html, "log_with_board")
    assert "A serious concern (3a)" in html  # the logs on the page
    post(client, wiltshire, "log_with_board", {"kind": "unresolved", "reason": "Unresolved."})
    assert BoardLog.objects.filter(escalation=wiltshire).count() == 2
    assert 'id="action-log_with_board"' not in page(client, raiser, wiltshire)


def test_a_final_uphold_asks_how_outstanding_issues_will_be_pursued(client, people, wiltshire):
    esc = services.escalation_skip(escalation=wiltshire, actor=people["puddleducks-practitioner"], to_stage=3,
                                   reason="Urgent.")
    holder = Escalation.objects.get(pk=esc.pk).holder
    html = form_of(page(client, holder, esc), "respond")
    assert 'name="respond-outstanding_actions"' in html
    response = post(client, esc, "respond", {"decision": "uphold", "rationale": "Upheld."})
    assert response.status_code == 400
    assert "Enter how outstanding issues will be pursued" in response.content.decode()
    assert Escalation.objects.get(pk=esc.pk).state == State.OPEN
    response = post(client, esc, "respond", {"decision": "uphold", "rationale": "Upheld.",
                                             "outstanding_actions": "Review in a month."})
    assert response.status_code == 302
    html = page(client, holder, esc)
    assert "Review in a month." in html and 'data-testid="agreed-outcome"' in html


def test_the_respond_form_below_the_final_stage_does_not_ask_for_it(client, people, wiltshire):
    html = form_of(page(client, wiltshire.holder, wiltshire), "respond")
    assert 'name="respond-outstanding_actions"' not in html


@pytest.fixture
def panel(people, tuesday):
    staff = bristol_third_agency()
    return resolution_panel_for_test(), staff


def test_the_chair_convenes_the_panel_from_the_page(client, people, panel):
    esc, staff = panel
    html = form_of(page(client, staff["chair"], esc), "convene_panel")
    assert options(html, "convene_panel-members") == {str(user.pk) for user in panel_members_eligible(esc)}
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    meeting = TUESDAY_10AM + dt.timedelta(days=3)
    client.force_login(staff["chair"])
    response = client.post(reverse("escalations:convene_panel", args=[esc.pk]), {
        "convene_panel-version": esc.version, "convene_panel-members": [m.pk for m in members],
        "convene_panel-panel_day": meeting.day, "convene_panel-panel_month": meeting.month,
        "convene_panel-panel_year": meeting.year, "convene_panel-panel_time": "10:00"})
    assert response.status_code == 302
    assert Escalation.objects.get(pk=esc.pk).state == State.MEETING_ARRANGED
    html = page(client, people["bristol-head-of-service"], esc)  # a member now sees it
    assert 'data-testid="panel"' in html and staff["third-lead"].get_full_name() in html


def test_a_panel_of_two_is_refused_on_the_page_with_the_reason(client, people, panel):
    esc, staff = panel
    client.force_login(staff["chair"])
    meeting = TUESDAY_10AM + dt.timedelta(days=3)
    response = client.post(reverse("escalations:convene_panel", args=[esc.pk]), {
        "convene_panel-version": esc.version,
        "convene_panel-members": [people["bs3-nursery-manager"].pk, people["bristol-head-of-service"].pk],
        "convene_panel-panel_day": meeting.day, "convene_panel-panel_month": meeting.month,
        "convene_panel-panel_year": meeting.year, "convene_panel-panel_time": "10:00"})
    assert response.status_code == 400 and "Choose at least 3 members." in response.content.decode()
    assert Escalation.objects.get(pk=esc.pk).state == State.OPEN


def test_the_written_record_shows_outcome_outstanding_issues_panel_and_debriefs(client, people, panel):
    esc, staff = panel
    members = [people["bs3-nursery-manager"], people["bristol-head-of-service"], staff["third-lead"]]
    services.escalation_convene_panel(escalation=esc, actor=staff["chair"], members=members,
                                      meeting_at=TUESDAY_10AM + dt.timedelta(days=3))
    services.escalation_respond(escalation=Escalation.objects.get(pk=esc.pk), actor=staff["chair"],
                                decision="uphold", rationale="The panel upholds the step-down.",
                                outstanding_actions="Early help reviews at four weeks.")
    raiser = people["bs3-designated-safeguarding-lead"]
    client.force_login(raiser)
    response = post(client, esc, "record_debrief", {"note": "Representations were heard fairly."}, versioned=False)
    assert response.status_code == 302
    record = page(client, raiser, esc, "record")
    assert "The panel upholds the step-down." in record and "Early help reviews at four weeks." in record
    panel_html = record[record.index('data-testid="record-panel"'):]
    assert all(member.get_full_name() in panel_html for member in members)
    assert "Representations were heard fairly." in record[record.index('data-testid="record-debriefs"'):]
    second = post(client, esc, "record_debrief", {"note": "Again."}, versioned=False)
    assert second.status_code == 409
