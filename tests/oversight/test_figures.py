"""The escalation figures (Stoke section 8): the team manager reports the number of informal and formal
escalations and the timescales reached in resolving them; counts only, never a case or a person."""
import re

import pytest
from django.urls import reverse

from escalations import services
from oversight.figures import organisation_figures
from tests.conftest import at

pytestmark = pytest.mark.django_db

FIGURES = reverse("oversight:figures")


def figure(page: str, ladder: str, name: str, stage: int | None = None) -> str:
    section = page[page.index(f'data-ladder="{ladder}"'):]
    if stage is not None:
        section = section[section.index(f'data-stage="{stage}"'):]
    return re.search(rf'data-figure="{name}">\s*([^<]*?)\s*<', section).group(1)


@pytest.fixture
def stoke_year(travel, people, raise_escalation):
    """Three Stoke disputes: resolved informally in time, resolved in the formal process in time, and one
    still live long past its 20 working days."""
    crm = people["stoke-crm"]
    travel(at(2026, 11, 3, 10, 0))  # Tuesday
    informal = raise_escalation("stoke-crm", "stoke-crm", reference="ST-A")
    formal = raise_escalation("stoke-crm", "stoke-crm", reference="ST-B")
    late = raise_escalation("stoke-crm", "stoke-crm", reference="ST-C")
    travel(at(2026, 11, 4, 11, 0))
    informal = services.escalation_respond(escalation=informal, actor=informal.holder, decision="agree",
                                           rationale="Report rewritten.")
    services.escalation_accept(escalation=informal, actor=crm, agreed_outcome="Rewritten.",
                               outstanding_actions="None.")
    formal = services.escalation_escalate(escalation=formal, actor=crm, reason="Not resolved.")
    late = services.escalation_escalate(escalation=late, actor=crm, reason="Not resolved.")
    travel(at(2026, 11, 6, 11, 0))
    formal = services.escalation_respond(escalation=formal, actor=formal.holder, decision="agree",
                                         rationale="Agreed.")
    services.escalation_accept(escalation=formal, actor=crm, agreed_outcome="Done.", outstanding_actions="None.")
    travel(at(2026, 12, 21, 10, 0))  # the late one's 20 working days ended on 2 December


def test_the_stoke_team_manager_reaches_the_figures_from_the_navigation(client, people):
    client.force_login(people["stoke-team-manager"])
    page = client.get(reverse("escalations:awaiting")).content.decode()
    assert f'href="{FIGURES}"' in page
    assert client.get(FIGURES).status_code == 200


def test_informal_and_formal_counts_and_timescales(client, people, stoke_year):
    client.force_login(people["stoke-team-manager"])
    page = client.get(FIGURES).content.decode()
    assert figure(page, "stoke-crm", "raised") == "3"
    assert figure(page, "stoke-crm", "informal_raised") == "3"
    assert figure(page, "stoke-crm", "informal_resolved_in_time") == "1"
    assert figure(page, "stoke-crm", "informal_resolved_late") == "0"
    assert figure(page, "stoke-crm", "went_formal") == "2"
    assert figure(page, "stoke-crm", "formal_resolved_in_time") == "1"
    assert figure(page, "stoke-crm", "formal_live").startswith("1 (1 past the 20 working days)")
    assert "took a median of 2 working days" in page


def test_stage_by_stage_answers_in_time_or_not(people, stoke_year):
    figures = organisation_figures(user=people["stoke-team-manager"], period="all")
    stoke = next(f for f in figures.ladders if f.slug == "stoke-crm")
    informal, stage_one = stoke.stages[0], stoke.stages[1]
    assert (informal.reached, informal.answered_in_time, informal.resolved_here) == (3, 1, 1)
    # The service manager answered one in time; the other has waited since 4 November.
    assert (stage_one.reached, stage_one.answered_in_time, stage_one.not_answered_in_time) == (2, 1, 1)
    assert stage_one.resolved_here == 1


def test_figures_name_no_case_and_no_person(client, people, stoke_year):
    client.force_login(people["stoke-team-manager"])
    page = client.get(FIGURES).content.decode()
    assert "ST-A" not in page and "ST-C" not in page
    assert "Janet" not in page and "Moss" not in page


def test_the_period_counts_only_escalations_raised_in_it(people, stoke_year, travel):
    travel(at(2027, 6, 1, 10, 0))
    assert organisation_figures(user=people["stoke-team-manager"], period="3").total == 0
    assert organisation_figures(user=people["stoke-team-manager"], period="all").total == 3


@pytest.mark.parametrize("username", ["stoke-crm", "stoke-social-worker", "wiltshire-board-member",
                                      "wiltshire-qap-chair"])
def test_people_without_a_part_in_the_figures_are_refused(client, people, username):
    client.force_login(people[username])
    assert client.get(FIGURES).status_code == 403


def test_an_organisation_s_administrator_sees_its_figures(client, people, raise_escalation):
    raise_escalation("bexley-practitioner", "bexley-internal")
    client.force_login(people["bexley-org-admin"])
    page = client.get(FIGURES).content.decode()
    assert figure(page, "bexley-internal", "raised") == "1"
    assert "stoke-crm" not in page
