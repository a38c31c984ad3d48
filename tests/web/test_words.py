"""Words at the moment they matter (issue 11 item 5): what happens next after a raise, when a same-day
deadline raised out of hours is really due and why, each organisation's own emergency and out-of-hours
contacts, the own-manager signpost (Bexley 2.3, 6.3; the generic guide) and Bexley 5.4 beside the actions."""
from html import unescape

import pytest
from django.urls import reverse

from organisations.models import ClosureDay, Organisation
from tests.conftest import at

pytestmark = pytest.mark.django_db

EMERGENCY = reverse("escalations:raise_emergency")
START = reverse("escalations:raise")


def confirmation(client, escalation) -> str:
    client.force_login(escalation.raised_by)
    response = client.get(reverse("escalations:raised", args=[escalation.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def detail(client, user, escalation) -> str:
    client.force_login(user)
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode())


# --- after the raise: never a next stage where there is none ------------------------------------------------
def test_an_imminent_raise_at_the_last_stage_promises_no_next_stage(client, travel, raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="imminent")
    assert escalation.stage_index == 4
    page = confirmation(client, escalation)
    assert "next stage" not in page and "escalate it to" not in page
    assert "This is the last stage of the procedure: there is no further stage to escalate to" in page
    assert "and your principal social worker" in page


def test_a_standard_raise_names_the_stage_the_raiser_may_escalate_to(client, travel, raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    page = confirmation(client, raise_escalation("bexley-practitioner", "bexley-internal"))
    assert "If the deadline passes with no meeting arranged, you may escalate it to Service Manager." in page


def test_a_significant_harm_raise_says_the_clock_moves_it(client, travel, raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    page = confirmation(client, raise_escalation("bexley-practitioner", "bexley-internal",
                                                 risk_level="significant_harm"))
    assert "it moves to Head of Service by itself" in page and "you may escalate" not in page


# --- same day, out of hours ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("moment", "words"), [
    (at(2026, 12, 4, 18, 30),
     "Due by 5pm on Monday 7 December: raised after close of business (5pm), so the same day is the next working day."),
    (at(2026, 12, 5, 10, 0),
     "Due by 5pm on Monday 7 December: raised at the weekend, so the same day is the next working day."),
    (at(2026, 8, 31, 9, 0),
     "Due by 5pm on Tuesday 1 September: raised on a bank holiday (Late Summer Bank Holiday), so the same day is "
     "the next working day."),
])
def test_same_day_out_of_hours_says_when_it_is_really_due_and_why(client, travel, raise_escalation, moment, words):
    travel(moment)
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    page = confirmation(client, escalation)
    assert words in page
    # Out of hours, the holding organisation's out-of-hours contacts come first.
    assert "The Emergency Duty Team (evenings, weekends and bank holidays): 020 7946 0311" in page
    assert 'data-testid="out-of-hours-now"' in page


def test_same_day_on_a_closure_day_names_the_closure(client, travel, raise_escalation, people):
    ClosureDay.objects.create(organisation=people["bexley-practitioner"].organisation,
                              date=at(2026, 11, 11, 0, 0).date(), reason="staff training day")
    travel(at(2026, 11, 11, 10, 0))  # Wednesday
    page = confirmation(client, raise_escalation("bexley-practitioner", "bexley-internal",
                                                 risk_level="significant_harm"))
    assert ("Due by 5pm on Thursday 12 November: raised on a day London Borough of Bexley Children's Social Care "
            "is closed (staff training day), so the same day is the next working day.") in page


def test_same_day_in_working_hours_needs_no_explanation(client, travel, raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    page = confirmation(client, raise_escalation("bexley-practitioner", "bexley-internal",
                                                 risk_level="significant_harm"))
    assert 'data-testid="same-day-note"' not in page and 'data-testid="out-of-hours-contacts"' not in page


def test_a_working_day_deadline_out_of_hours_is_not_called_same_day(client, travel, raise_escalation):
    travel(at(2026, 12, 4, 18, 30))
    page = confirmation(client, raise_escalation("bexley-practitioner", "bexley-internal"))
    assert "same day" not in page


def test_the_raise_preview_says_it_before_raising(client, travel, people):
    travel(at(2026, 12, 4, 18, 30))
    client.force_login(people["bexley-practitioner"])
    page = client.get(reverse("escalations:raise_preview"),
                      {"ladder": "bexley-internal", "risk_level": "significant_harm"}).content.decode()
    assert "Due by 5pm on Monday 7 December: raised after close of business (5pm)" in page


# --- every organisation's own contacts ------------------------------------------------------------------------
def test_bexley_s_emergency_page_shows_bexley_s_own_contacts(client, travel, people):
    travel(at(2026, 11, 10, 10, 0))
    client.force_login(people["bexley-practitioner"])
    page = client.get(EMERGENCY, {"ladder": "bexley-internal", "risk_level": "imminent"}).content.decode()
    page = unescape(page)
    assert "Children's Services Front Door (Monday to Friday, 9am to 5pm): 020 7946 0310" in page
    assert "The Emergency Duty Team (evenings, weekends and bank holidays): 020 7946 0311" in page
    assert 'data-testid="out-of-hours-now"' not in page


def test_out_of_hours_the_emergency_page_puts_the_out_of_hours_contacts_first(client, travel, people):
    travel(at(2026, 11, 14, 11, 0))  # Saturday
    client.force_login(people["stoke-crm"])
    page = client.get(EMERGENCY, {"ladder": "stoke-crm", "risk_level": "imminent"}).content.decode()
    page = unescape(page)
    assert page.index("The Emergency Duty Team: 01632 960 411") < page.index("Children's Advice and Duty Service")
    assert "It is outside working hours now." in page


def test_every_seeded_organisation_has_both_kinds_of_contacts(people):
    for organisation in Organisation.objects.all():
        assert organisation.emergency_contacts and organisation.out_of_hours_contacts, organisation.slug


def test_an_organisation_without_contacts_gets_a_clear_fallback(client, travel, people):
    travel(at(2026, 11, 10, 10, 0))
    Organisation.objects.filter(slug="bexley").update(emergency_contacts="", out_of_hours_contacts="")
    client.force_login(people["bexley-practitioner"])
    page = client.get(EMERGENCY, {"ladder": "bexley-internal", "risk_level": "imminent"}).content.decode()
    page = unescape(page)
    assert "London Borough of Bexley Children's Social Care has not recorded its emergency contacts here." in page
    assert "has not recorded its out-of-hours contacts here" in page
    assert "call the Police on 999" in page


# --- the own-manager signpost -------------------------------------------------------------------------------
def test_raising_to_one_s_own_line_manager_signposts_whistleblowing(client, travel, people):
    travel(at(2026, 11, 10, 10, 0))
    client.force_login(people["bexley-practitioner"])
    page = client.get(START, {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert 'data-testid="own-manager"' in page
    assert "Grace Mensah is your own line manager." in page
    assert "Whistleblowing or Employee Resolution procedures" in page
    details = client.get(reverse("escalations:raise_details"),
                         {"ladder": "bexley-internal", "risk_level": "standard"}).content.decode()
    assert 'data-testid="own-manager"' in details


def test_raising_to_someone_else_keeps_the_signpost_folded(client, travel, people):
    travel(at(2026, 11, 10, 10, 0))
    client.force_login(people["stoke-crm"])
    page = client.get(START, {"ladder": "stoke-crm", "risk_level": "standard"}).content.decode()
    assert 'data-testid="own-manager"' not in page
    details = client.get(reverse("escalations:raise_details"),
                         {"ladder": "stoke-crm", "risk_level": "standard"}).content.decode()
    assert 'data-testid="own-manager"' not in details and 'data-testid="own-manager-details"' in details


def test_the_escalation_page_signposts_while_the_raiser_s_own_manager_holds_it(client, travel, people,
                                                                               raise_escalation):
    from escalations import services

    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    assert 'data-testid="own-manager"' in detail(client, people["bexley-practitioner"], escalation)
    assert 'data-testid="own-manager"' not in detail(client, people["bexley-team-manager"], escalation)
    escalation = services.escalation_escalate(escalation=escalation, actor=people["bexley-practitioner"],
                                              reason="No meeting.")
    assert 'data-testid="own-manager"' not in detail(client, people["bexley-practitioner"], escalation)


# --- Bexley 5.4 beside the actions -------------------------------------------------------------------------
def test_an_overdue_standard_escalation_tells_the_raiser_they_may_now_escalate(client, travel, people,
                                                                                raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    assert 'data-testid="may-escalate-now"' not in detail(client, people["bexley-practitioner"], escalation)
    travel(at(2026, 11, 11, 17, 30))
    page = detail(client, people["bexley-practitioner"], escalation)
    assert ("Grace Mensah had until 5pm on Wednesday 11 November and no meeting was arranged in time. "
            "You may now escalate it to Service Manager.") in page
    assert page.index('data-testid="may-escalate-now"') < page.index('data-testid="actions"')
    # The holder cannot escalate: nothing to tell her here.
    assert 'data-testid="may-escalate-now"' not in detail(client, people["bexley-team-manager"], escalation)


def test_a_meeting_arranged_in_time_means_nothing_to_decide(client, travel, people, raise_escalation):
    from escalations import services

    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal")
    services.escalation_arrange_meeting(escalation=escalation, actor=people["bexley-team-manager"],
                                        meeting_at=at(2026, 11, 11, 9, 0))
    travel(at(2026, 11, 11, 17, 30))
    assert 'data-testid="may-escalate-now"' not in detail(client, people["bexley-practitioner"], escalation)


def test_where_the_clock_moves_it_there_is_nothing_to_decide(client, travel, people, raise_escalation):
    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    travel(at(2026, 11, 10, 17, 30))
    assert 'data-testid="may-escalate-now"' not in detail(client, people["bexley-practitioner"], escalation)


# --- Stoke lists: the escalation number and the overall deadline ---------------------------------------------
def test_stoke_lists_show_the_number_and_the_overall_deadline(client, travel, people, raise_escalation):
    from escalations import services

    travel(at(2026, 11, 10, 10, 0))
    escalation = raise_escalation("stoke-crm", "stoke-crm")
    escalation = services.escalation_escalate(escalation=escalation, actor=people["stoke-crm"],
                                              reason="Not resolved informally.")
    assert escalation.overall_deadline is not None
    for username, url in (("stoke-crm", "escalations:mine"), ("stoke-service-manager", "escalations:awaiting"),
                          ("stoke-psw", "oversight:psw_overview")):
        client.force_login(people[username])
        page = client.get(reverse(url)).content.decode()
        assert f"#{escalation.pk}" in page, username
        assert "Overall by 5pm on Tuesday 8 December" in page, username
