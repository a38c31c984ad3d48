"""CONTRACT 8.1: the entry stage by the raiser's own level, and the holder rule (``holders.holder_find``).

The entry stage is the risk rule's, unless the raiser's own place on the ladder is at or above it: then
the first ordinary stage above the raiser's role on their own organisation's stages, or the stage of the
raiser's tier on the receiving organisation's. The holder: the person named, where eligible; the
nearest line manager with the role; an active holder of the role; never the raiser, anyone they manage
or anyone away (their cover instead, where the absence names an eligible one).
"""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from escalations import services
from escalations.holders import EntryRefused, entry_stage_find, holder_candidates, holder_find
from escalations.models import Escalation
from organisations.models import Absence, Role, User
from policies.models import Ladder
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]

TUESDAY = at(2026, 11, 10, 10, 0)


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(TUESDAY)


def ladder(slug: str) -> Ladder:
    return Ladder.objects.current().get(slug=slug)


def entry(username, slug, people, *, risk_level="standard", category="level-of-need") -> int:
    return entry_stage_find(ladder=ladder(slug), risk_level=risk_level, category=category,
                            raised_by=people[username]).index


def colleague(people, username, role, *, like, line_manager=None):
    return User.objects.create(username=username, organisation=people[like].organisation, role=role,
                               line_manager=line_manager)


def away(person, *, cover=None, recorded_by=None, days=0):
    return Absence.objects.create(person=person, starts_on=dt.date(2026, 11, 9),
                                  ends_on=dt.date(2026, 11, 10) + dt.timedelta(days=days), cover=cover,
                                  recorded_by=recorded_by or person)


def find(people, slug, stage, raiser, **kwargs):
    lad = ladder(slug)
    return holder_find(stage=lad.stage(stage), raised_by=people[raiser],
                       raising_organisation=people[raiser].organisation, **kwargs)


# --- the entry stage: single-agency ladders ---------------------------------------------------------
@pytest.mark.parametrize(("raiser", "risk_level", "stage"), [
    ("bexley-practitioner", "standard", 0),  # 3.2: the team manager
    ("bexley-team-manager", "standard", 1),  # 2.1: a manager goes to the Service Manager
    ("bexley-service-manager", "standard", 2),  # ... a service manager to the Head of Service
    ("bexley-head-of-service", "standard", 3),  # ... and a head of service to the Deputy Director
    ("bexley-team-manager", "significant_harm", 1),  # 5.3: the rule's stage is above the raiser's
    ("bexley-service-manager", "significant_harm", 2),  # ... unless the raiser is at it already
    ("bexley-deputy-director", "imminent", 4),  # 5.5: the Director the same day
    ("bexley-psw", "standard", 0),  # the PSW holds no stage: the rule's
])
def test_a_bexley_raiser_enters_above_their_own_place(people, raiser, risk_level, stage):
    assert entry(raiser, "bexley-internal", people, risk_level=risk_level) == stage


@pytest.mark.parametrize(("raiser", "risk_level"), [
    ("bexley-deputy-director", "standard"), ("bexley-deputy-director", "significant_harm"),
    ("bexley-director", "standard"), ("bexley-director", "imminent"),
])
def test_no_ordinary_stage_above_the_raiser_refuses_with_the_reason(people, raiser, risk_level):
    with pytest.raises(EntryRefused) as refused:
        entry(raiser, "bexley-internal", people, risk_level=risk_level)
    assert "there is none left to raise to" in refused.value.message


def test_the_refusal_names_the_directors_stage_and_how_it_is_reached(people):
    with pytest.raises(EntryRefused) as refused:
        entry("bexley-deputy-director", "bexley-internal", people)
    assert refused.value.message == (
        "Your own place on this procedure is 'Deputy Director', and an escalation you raise goes to a stage above "
        "yours: there is none left to raise to. 'Director of Children's Services' is reached only by escalating "
        "after the final decision, or straight away when a child is at imminent risk of significant harm."
    )


def test_a_nursery_dsl_enters_at_the_nursery_manager_and_its_manager_at_the_partner_agency(people):
    assert entry("bs3-designated-safeguarding-lead", "bs3-nursery", people) == 1
    assert entry("bs3-nursery-manager", "bs3-nursery", people) == 2


# --- the entry stage: multi-agency ladders ----------------------------------------------------------
@pytest.mark.parametrize(("raiser", "stage"), [
    ("puddleducks-practitioner", 0),  # practitioner to practitioner
    ("puddleducks-designated-safeguarding-lead", 1),  # Wiltshire 2.5: manager to manager
    ("wiltshire-team-manager", 1),
    ("wiltshire-service-manager", 2),  # senior manager to senior manager
    ("puddleducks-owner", 3),  # senior leaders
])
def test_a_multi_agency_raiser_enters_at_their_own_tier(people, raiser, stage):
    assert entry(raiser, "wiltshire-multi-agency", people) == stage


def test_a_manager_raises_manager_to_manager_and_the_counterpart_holds_it(raise_escalation, people):
    esc = raise_escalation("wiltshire-team-manager", "wiltshire-multi-agency", receiving="puddleducks")
    assert esc.stage_index == 1 and esc.holder == people["puddleducks-designated-safeguarding-lead"]


# --- the entry stage: Bexley's categories (3.8, 3.9) --------------------------------------------------
def test_a_decision_making_panel_disagreement_enters_at_the_service_manager(people):
    assert entry("bexley-practitioner", "bexley-internal", people, category="decision-making-panel") == 1
    assert entry("bexley-service-manager", "bexley-internal", people, category="decision-making-panel") == 3


def test_a_legal_planning_meeting_enters_at_the_team_manager(people):
    adviser = colleague(people, "bexley-legal", Role.LEGAL_ADVISER, like="bexley-practitioner",
                        line_manager=people["bexley-team-manager"])
    people = {**people, "bexley-legal": adviser}
    assert entry("bexley-legal", "bexley-internal", people, category="legal-planning-meeting") == 0


# --- the holder: in order -----------------------------------------------------------------------------
def test_the_named_holder_wins_where_eligible(people):
    other = colleague(people, "bexley-tm-west", Role.TEAM_MANAGER, like="bexley-practitioner")
    assert find(people, "bexley-internal", 0, "bexley-practitioner", holder=other) == other


@pytest.mark.parametrize(("named", "reason"), [
    ("bexley-service-manager", "Choose an active team manager in London Borough of Bexley Children's Social Care."),
    ("stoke-team-manager", "Choose an active team manager in London Borough of Bexley Children's Social Care."),
    ("bexley-practitioner", "The person who raised it cannot hold it."),
])
def test_a_named_holder_who_is_not_eligible_is_refused_on_the_holder_field(people, named, reason):
    with pytest.raises(ValidationError) as refused:
        find(people, "bexley-internal", 0, "bexley-practitioner", holder=people[named])
    assert refused.value.message_dict == {"holder": [reason]}


def test_a_named_holder_the_raiser_manages_is_refused(people):
    """A team manager may not name a team manager they manage."""
    junior = colleague(people, "bexley-tm-junior", Role.TEAM_MANAGER, like="bexley-practitioner",
                       line_manager=people["bexley-team-manager"])
    with pytest.raises(ValidationError) as refused:
        find(people, "bexley-internal", 0, "bexley-team-manager", holder=junior)
    assert "managed by the person who raised it" in refused.value.message_dict["holder"][0]


def test_a_named_holder_who_is_away_is_refused(people):
    away(people["bexley-team-manager"])
    with pytest.raises(ValidationError) as refused:
        find(people, "bexley-internal", 0, "bexley-practitioner", holder=people["bexley-team-manager"])
    assert "is away" in refused.value.message_dict["holder"][0]


def test_the_nearest_line_manager_with_the_role_comes_next(people):
    colleague(people, "bexley-tm-east", Role.TEAM_MANAGER, like="bexley-practitioner")
    assert find(people, "bexley-internal", 0, "bexley-practitioner") == people["bexley-team-manager"]


def test_the_organisations_holder_of_the_role_comes_last_but_never_one_the_raiser_manages(people):
    """A service manager raising goes to the Head of Service; a team manager they manage never holds it."""
    assert find(people, "bexley-internal", 2, "bexley-service-manager") == people["bexley-head-of-service"]
    assert find(people, "bexley-internal", 0, "bexley-service-manager") is None


def test_an_absent_line_manager_is_passed_over_for_an_active_holder_of_the_role(people):
    other = colleague(people, "bexley-tm-north", Role.TEAM_MANAGER, like="bexley-practitioner")
    away(people["bexley-team-manager"])
    assert find(people, "bexley-internal", 0, "bexley-practitioner") == other


def test_an_absent_persons_named_cover_holds_it(people):
    cover = colleague(people, "bexley-tm-cover", Role.TEAM_MANAGER, like="bexley-practitioner")
    colleague(people, "bexley-tm-lower-id-is-not-it", Role.TEAM_MANAGER, like="bexley-practitioner")
    away(people["bexley-team-manager"], cover=cover)
    assert find(people, "bexley-internal", 0, "bexley-practitioner") == cover


def test_an_absent_persons_line_manager_may_cover(people):
    away(people["bexley-team-manager"], cover=people["bexley-service-manager"])
    assert find(people, "bexley-internal", 0, "bexley-practitioner") == people["bexley-service-manager"]


def test_an_absence_that_has_ended_changes_nothing(people):
    Absence.objects.create(person=people["bexley-team-manager"], starts_on=dt.date(2026, 11, 2),
                           ends_on=dt.date(2026, 11, 6), recorded_by=people["bexley-team-manager"])
    assert find(people, "bexley-internal", 0, "bexley-practitioner") == people["bexley-team-manager"]


def test_exclude_passes_over_a_person(people):
    other = colleague(people, "bexley-tm-south", Role.TEAM_MANAGER, like="bexley-practitioner")
    assert find(people, "bexley-internal", 0, "bexley-practitioner",
                exclude=[people["bexley-team-manager"].pk]) == other


def test_the_candidates_are_everyone_eligible(people):
    other = colleague(people, "bexley-tm-candidate", Role.TEAM_MANAGER, like="bexley-practitioner")
    away(other)
    lad = ladder("bexley-internal")
    found = holder_candidates(stage=lad.stage(0), raised_by=people["bexley-practitioner"],
                              raising_organisation=people["bexley-practitioner"].organisation)
    assert found == [people["bexley-team-manager"]]


# --- through the service --------------------------------------------------------------------------------
def test_a_bexley_team_manager_who_raises_goes_to_the_service_manager(raise_escalation, people):
    """Formerly a 400 ('Nobody ... holds the role for Team Manager')."""
    esc = raise_escalation("bexley-team-manager", "bexley-internal")
    assert (esc.stage_index, esc.holder) == (1, people["bexley-service-manager"])


def test_a_service_manager_who_raises_goes_to_the_head_of_service_not_down(raise_escalation, people):
    esc = raise_escalation("bexley-service-manager", "bexley-internal", risk_level="significant_harm")
    assert (esc.stage_index, esc.holder) == (2, people["bexley-head-of-service"])


def test_a_deputy_director_raising_is_refused_on_the_ladder_field_and_nothing_is_saved(raise_escalation):
    with pytest.raises(ValidationError) as refused:
        raise_escalation("bexley-deputy-director", "bexley-internal")
    assert "there is none left to raise to" in refused.value.message_dict["ladder"][0]
    assert not Escalation.objects.exists()


def test_a_named_holder_holds_the_entry_stage_and_is_on_the_timeline(raise_escalation, people):
    other = colleague(people, "bexley-tm-named", Role.TEAM_MANAGER, like="bexley-practitioner")
    esc = raise_escalation("bexley-practitioner", "bexley-internal", holder="bexley-tm-named")
    assert esc.holder == other
    assert esc.participants.filter(user=other, reason="holder").exists()


def test_escalate_and_skip_take_a_named_holder(raise_escalation, people):
    other = colleague(people, "bexley-sm-named", Role.SERVICE_MANAGER, like="bexley-practitioner")
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    esc = services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unsafe.",
                                       holder=other)
    assert (esc.stage_index, esc.holder) == (1, other)
    stoke = raise_escalation("stoke-crm", "stoke-crm")
    stoke = services.escalation_skip(escalation=stoke, actor=people["stoke-crm"], to_stage=2, reason="Drift.",
                                     holder=people["stoke-strategic-manager"])
    assert stoke.holder == people["stoke-strategic-manager"]


def test_escalating_to_an_ineligible_named_holder_changes_nothing(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    with pytest.raises(ValidationError) as refused:
        services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unsafe.",
                                     holder=people["bexley-head-of-service"])
    assert "holder" in refused.value.message_dict
    esc = Escalation.objects.get(pk=esc.pk)
    assert (esc.stage_index, esc.holder, esc.timeline.count()) == (0, people["bexley-team-manager"], 1)


def test_a_raise_skips_a_line_manager_away_today(raise_escalation, people):
    cover = colleague(people, "bexley-tm-covering", Role.TEAM_MANAGER, like="bexley-practitioner")
    away(people["bexley-team-manager"], cover=cover)
    assert raise_escalation("bexley-practitioner", "bexley-internal").holder == cover
