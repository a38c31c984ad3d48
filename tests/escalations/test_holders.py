"""Who holds a stage (CONTRACT section 4): the raiser's nearest line manager with the stage's role,
else an active holder of that role (or tier) in the stage's organisation."""
import pytest
from django.core.exceptions import ValidationError

from escalations import services
from escalations.models import Escalation
from escalations.services import ActionConflict
from organisations.models import Role, TierMapping, User
from tests.conftest import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_once")]


@pytest.fixture(autouse=True)
def _tuesday_morning(travel):
    travel(at(2026, 11, 10, 10, 0))


def colleague(people, username, role, *, like, line_manager=None, active=True):
    return User.objects.create(username=username, organisation=people[like].organisation, role=role,
                               line_manager=line_manager, is_active=active)


def deactivate(people, username):
    """Mark someone inactive, and reload everyone so no line-management chain is read from memory."""
    User.objects.filter(username=username).update(is_active=False)
    for user in people.values():
        user.refresh_from_db()


def climb(esc, times):
    for _ in range(times):
        esc = services.escalation_escalate(escalation=esc, actor=esc.raised_by, reason="Unresolved.")
    return esc


# --- the line-management chain ------------------------------------------------------------------
def test_the_raisers_own_team_manager_holds_the_first_bexley_stage(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder == people["bexley-team-manager"]


def test_each_bexley_stage_is_held_up_the_raisers_line(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    holders = [esc.holder.username]
    for _ in range(3):
        esc = climb(esc, 1)
        holders.append(esc.holder.username)
    assert holders == ["bexley-team-manager", "bexley-service-manager", "bexley-head-of-service",
                       "bexley-deputy-director"]


def test_the_nearest_line_manager_with_the_role_wins_over_another_holder_of_it(raise_escalation, people):
    """A team manager newer than the demo one (a higher id) still holds it when they manage the raiser."""
    own = colleague(people, "bexley-team-manager-east", Role.TEAM_MANAGER, like="bexley-practitioner",
                    line_manager=people["bexley-team-manager"])
    practitioner = people["bexley-practitioner"]
    practitioner.line_manager = own
    practitioner.save()
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder == own


def test_an_inactive_line_manager_is_passed_over_for_the_next_one_up_with_the_role(raise_escalation, people):
    acting = colleague(people, "bexley-acting-team-manager", Role.TEAM_MANAGER, like="bexley-practitioner",
                       line_manager=people["bexley-team-manager"])
    away = colleague(people, "bexley-team-manager-away", Role.TEAM_MANAGER, like="bexley-practitioner",
                     line_manager=acting, active=False)
    practitioner = people["bexley-practitioner"]
    practitioner.line_manager = away
    practitioner.save()
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder == acting


def test_an_inactive_line_manager_falls_back_to_an_active_holder_of_the_role(raise_escalation, people):
    deactivate(people, "bexley-team-manager")
    cover = colleague(people, "bexley-team-manager-cover", Role.TEAM_MANAGER, like="bexley-practitioner")
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.holder == cover


# --- the fallback -------------------------------------------------------------------------------
def test_stoke_crm_stage_falls_back_to_the_team_manager_outside_the_crms_line(raise_escalation, people):
    """The CRM reports to a service manager: no team manager above them, so the organisation's one."""
    assert people["stoke-team-manager"] not in people["stoke-crm"].line_managers()
    esc = raise_escalation("stoke-crm", "stoke-crm")
    assert esc.holder == people["stoke-team-manager"]
    esc = climb(esc, 1)
    assert esc.holder == people["stoke-service-manager"]


def test_concerns_about_a_crm_are_held_by_the_crm(raise_escalation, people):
    esc = raise_escalation("stoke-social-worker", "stoke-crm-concerns")
    assert esc.holder == people["stoke-crm"]
    assert climb(esc, 1).holder == people["stoke-service-manager"]


def test_the_raiser_is_never_their_own_holder(raise_escalation, people):
    """A team manager raising on Bexley's ladder goes above their own role, to their service manager
    (CONTRACT 8.1), not to another team manager and never to themselves."""
    colleague(people, "bexley-team-manager-west", Role.TEAM_MANAGER, like="bexley-practitioner")
    esc = raise_escalation("bexley-team-manager", "bexley-internal")
    assert (esc.stage_index, esc.holder) == (1, people["bexley-service-manager"])


# --- nobody holds it ----------------------------------------------------------------------------
def test_no_holder_refuses_the_raise_on_the_ladder_field(raise_escalation, people):
    deactivate(people, "bexley-team-manager")
    with pytest.raises(ValidationError) as info:
        raise_escalation("bexley-practitioner", "bexley-internal")
    assert "ladder" in info.value.message_dict
    assert "Team Manager" in info.value.message_dict["ladder"][0]
    assert not Escalation.objects.exists()


def test_no_holder_at_the_next_stage_refuses_the_escalation(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    deactivate(people, "bexley-service-manager")
    with pytest.raises(ActionConflict):
        services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Unresolved.")
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.stage_index == 0 and esc.holder == people["bexley-team-manager"] and esc.timeline.count() == 1


# --- multi-agency: tiers in the receiving organisation -----------------------------------------
def test_wiltshire_tiers_resolve_in_wiltshire(raise_escalation, people):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    holders = [esc.holder.username]
    for _ in range(3):
        esc = climb(esc, 1)
        holders.append(esc.holder.username)
    assert holders == ["wiltshire-social-worker", "wiltshire-team-manager", "wiltshire-service-manager",
                       "wiltshire-head-of-service"]


def test_nursery_tiers_resolve_in_the_nursery(raise_escalation, people):
    """Puddleducks maps its designated safeguarding lead onto the manager tier."""
    esc = raise_escalation("wiltshire-social-worker", "wiltshire-multi-agency", receiving="puddleducks")
    holders = [esc.holder.username]
    for _ in range(3):
        esc = climb(esc, 1)
        holders.append(esc.holder.username)
    assert holders == ["puddleducks-practitioner", "puddleducks-designated-safeguarding-lead",
                       "puddleducks-nursery-manager", "puddleducks-owner"]


def test_an_organisations_own_tier_mapping_is_used(raise_escalation, people):
    """Wiltshire maps its assistant team managers onto the manager tier too; its team manager is away."""
    wiltshire = people["wiltshire-team-manager"].organisation
    TierMapping.objects.create(organisation=wiltshire, role=Role.ASSISTANT_TEAM_MANAGER, tier="manager")
    deactivate(people, "wiltshire-team-manager")
    atm = colleague(people, "wiltshire-assistant-team-manager", Role.ASSISTANT_TEAM_MANAGER,
                    like="wiltshire-team-manager")
    esc = climb(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire"), 1)
    assert esc.holder == atm


def test_the_first_mapped_role_of_a_tier_is_preferred(raise_escalation, people):
    """Social worker is mapped onto the practitioner tier before practitioner: it holds stage 0."""
    practitioner = colleague(people, "wiltshire-practitioner", Role.PRACTITIONER, like="wiltshire-social-worker")
    assert practitioner.pk > people["wiltshire-social-worker"].pk
    deactivate(people, "wiltshire-social-worker")
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    assert esc.holder == practitioner


def test_bs3_climbs_its_own_line_then_reaches_bristols_team_manager(raise_escalation, people):
    esc = raise_escalation("bs3-practitioner", "bs3-nursery", receiving="bristol")
    holders = [esc.holder.username]
    for _ in range(2):
        esc = climb(esc, 1)
        holders.append(esc.holder.username)
    assert holders == ["bs3-designated-safeguarding-lead", "bs3-nursery-manager", "bristol-team-manager"]
    assert esc.stage_deadline == at(2026, 11, 17, 17, 0)  # five working days at the partner agency


def test_the_resolution_panel_starts_with_the_other_practitioner(raise_escalation, people):
    esc = raise_escalation("bs3-practitioner", "multi-agency-resolution-panel", receiving="bristol")
    assert esc.holder == people["bristol-social-worker"]


def test_a_safeguarding_lead_raises_on_the_resolution_panel_manager_to_manager(raise_escalation, people):
    """The nursery's designated safeguarding lead is of the manager tier: their counterpart is Bristol's team
    manager (CONTRACT 8.1; the DSL formerly went to Bristol's practitioner)."""
    esc = raise_escalation("bs3-designated-safeguarding-lead", "multi-agency-resolution-panel", receiving="bristol")
    assert (esc.stage_index, esc.holder) == (1, people["bristol-team-manager"])


# --- reassignment -------------------------------------------------------------------------------
def test_reassignment_is_recorded_on_the_timeline_and_kept_by_later_reads(raise_escalation, people):
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    cover = colleague(people, "bexley-team-manager-cover", Role.TEAM_MANAGER, like="bexley-practitioner")
    services.escalation_reassign(escalation=esc, actor=people["bexley-service-manager"], new_holder=cover,
                                 reason="Grace is on leave this week.")
    esc = Escalation.objects.get(pk=esc.pk)
    assert esc.holder == cover
    entry = esc.timeline.last()
    assert (entry.action, entry.actor, entry.note) == (
        "reassign", people["bexley-service-manager"], "Grace is on leave this week."
    )
    assert entry.params == {"from": "bexley-team-manager", "to": "bexley-team-manager-cover"}
