"""`seed_policies` loads CONTRACT section 3, and a second run changes nothing.

The expected ladders are written out here from CONTRACT section 3, not read from the seed data.
"""
import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from organisations.models import Organisation, Partnership, TierMapping
from policies.models import Category, Ladder, RiskRule, Stage

pytestmark = pytest.mark.django_db

# (name, role, tier, working days, final, exceptional, in the receiving organisation)
STAGES = {
    "bexley-internal": [
        ("Team Manager", "team_manager", "", 1, False, False, False),
        ("Service Manager", "service_manager", "", 1, False, False, False),
        ("Head of Service", "head_of_service", "", 1, False, False, False),
        ("Deputy Director", "deputy_director", "", 1, True, False, False),
        ("Director of Children's Services", "director", "", 1, True, True, False),
    ],
    "stoke-crm": [
        ("Informal: Social Worker / Team Manager", "team_manager", "", 5, False, False, False),
        ("Stage 1: Service Manager", "service_manager", "", 5, False, False, False),
        ("Stage 2: Strategic Manager", "strategic_manager", "", 5, False, False, False),
        ("Stage 3: Assistant Director", "assistant_director", "", 5, False, False, False),
        ("Stage 4: Director of Children's Services", "director", "", 5, True, False, False),
    ],
    "stoke-crm-concerns": [
        ("The Conference and Review Manager", "conference_review_manager", "", 5, False, False, False),
        ("The Conference and Review Manager's Service Manager", "service_manager", "", 5, True, False, False),
    ],
    "wiltshire-multi-agency": [
        ("Practitioner to practitioner", "", "practitioner", 5, False, False, True),
        ("Manager to manager", "", "manager", 5, False, False, True),
        ("Senior manager to senior manager", "", "senior_manager", 5, False, False, True),
        ("Senior leaders of the partner organisations", "", "senior_leader", 5, True, False, True),
    ],
    "bs3-nursery": [
        ("Designated Safeguarding Lead", "designated_safeguarding_lead", "", 1, False, False, False),
        ("Nursery manager", "nursery_manager", "", 1, False, False, False),
        ("The partner agency's manager", "", "manager", 5, True, False, True),
    ],
    "multi-agency-resolution-panel": [
        ("The people who disagree", "", "practitioner", 5, False, False, True),
        ("Line managers or safeguarding leads", "", "manager", 5, False, False, True),
        ("Senior managers", "", "senior_manager", 5, False, False, True),
        # CONTRACT 8.2: the partnership's QA&P chair holds the panel's stage and convenes it.
        ("Resolution Panel (representatives of three agencies)", "qap_chair", "", 10, True, False, True),
    ],
}

# owner (organisation or partnership), skip, mediation, board logging, overall WD, overall from, raiser roles
LADDER_RULES = {
    "bexley-internal": ("bexley", None, True, False, False, None, 1, []),  # the PSW's skip (4.5)
    "stoke-crm": ("stoke", None, True, False, False, 20, 1, ["conference_review_manager"]),
    "stoke-crm-concerns": ("stoke", None, False, False, False, None, 1, []),
    "wiltshire-multi-agency": (None, "wiltshire-partnership", True, True, True, None, 1, []),
    "bs3-nursery": ("bs3", None, False, False, False, None, 1, []),
    "multi-agency-resolution-panel": (None, "bristol-partnership", True, True, True, None, 1, []),
}

GENERIC = ["level-of-need", "roles-and-responsibilities", "need-for-action", "communication"]
CATEGORIES = {
    "bexley-internal": [*GENERIC, "decision-making-panel", "legal-planning-meeting"],  # 3.8, 3.9
    "stoke-crm-concerns": GENERIC,
    "wiltshire-multi-agency": GENERIC,
    "bs3-nursery": GENERIC,
    "multi-agency-resolution-panel": GENERIC,
}

# Bexley: (entry stage, entry working days, missed-deadline action, PSW alert, entry fixed)
BEXLEY_RULES = {
    "standard": (0, None, "notify", False, True),
    "significant_harm": (1, 0, "advance", True, True),
    "imminent": (4, 0, "advance", True, True),
}


@pytest.fixture
def seeded(db):
    call_command("seed_policies", stdout=io.StringIO())


def test_six_ladders_are_seeded_each_at_version_one(seeded):
    assert sorted(Ladder.objects.current().values_list("slug", "version")) == sorted(
        (slug, 1) for slug in STAGES
    )


@pytest.mark.parametrize("slug", sorted(STAGES))
def test_every_stage_of_the_contract_is_in_the_database(seeded, slug):
    ladder = Ladder.objects.current().get(slug=slug)
    stored = [
        (s.name, s.role, s.tier, s.working_days, s.final, s.exceptional, s.in_receiving_organisation)
        for s in ladder.stages.order_by("index")
    ]
    assert stored == STAGES[slug]
    assert list(ladder.stages.order_by("index").values_list("index", flat=True)) == list(range(len(STAGES[slug])))


@pytest.mark.parametrize("slug", sorted(LADDER_RULES))
def test_every_ladder_rule_of_the_contract_is_in_the_database(seeded, slug):
    ladder = Ladder.objects.current().get(slug=slug)
    organisation, partnership, skip, mediation, board, overall, overall_from, raisers = LADDER_RULES[slug]
    assert (ladder.organisation.slug if ladder.organisation else None) == organisation
    assert (ladder.partnership.slug if ladder.partnership else None) == partnership
    assert ladder.skip_allowed is skip
    assert ladder.mediation_allowed is mediation
    assert ladder.board_logging_allowed is board
    assert ladder.overall_working_days == overall
    assert ladder.overall_from_stage == overall_from
    assert ladder.raiser_roles == raisers


@pytest.mark.parametrize("slug", sorted(CATEGORIES))
def test_ladders_without_their_own_list_offer_the_four_generic_categories(seeded, slug):
    ladder = Ladder.objects.current().get(slug=slug)
    assert list(ladder.categories.order_by("position").values_list("slug", flat=True)) == CATEGORIES[slug]


# skip by, skip to the next stage too, the stages a skip may reach, allocated worker a party, holder named
SKIPS_AND_PARTIES = {
    "bexley-internal": ("psw", True, [3, 4], False, False),  # 4.5
    "stoke-crm": ("raiser", True, [], True, False),  # 4, 5
    "stoke-crm-concerns": ("raiser", False, [], False, True),  # 9
    "wiltshire-multi-agency": ("raiser", False, [], False, False),
    "bs3-nursery": ("raiser", False, [], False, False),
    "multi-agency-resolution-panel": ("raiser", False, [], False, False),
}


@pytest.mark.parametrize("slug", sorted(SKIPS_AND_PARTIES))
def test_who_skips_where_and_who_is_a_party_are_data_on_the_ladder(seeded, slug):
    ladder = Ladder.objects.current().get(slug=slug)
    assert (ladder.skip_by, ladder.skip_to_next, ladder.skip_to_stages, ladder.allocated_worker_is_party,
            ladder.holder_named_on_raise) == SKIPS_AND_PARTIES[slug]
    acting = list(ladder.stages.filter(allocated_worker_acts=True).values_list("index", flat=True))
    assert acting == ([0] if slug == "stoke-crm" else [])  # Stoke 4: the informal stage


def test_bexleys_own_categories_carry_their_routes_and_raisers(seeded):
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    panel = ladder.categories.get(slug="decision-making-panel")
    legal = ladder.categories.get(slug="legal-planning-meeting")
    assert (panel.route, panel.raiser_roles) == ([1, 3, 4], [])  # 3.8: Service Manager, then Deputy Director
    assert (legal.route, legal.raiser_roles) == ([], ["legal_adviser"])  # 3.9


def test_stoke_offers_the_concern_lists_of_sections_2_1_and_2_2(seeded):
    ladder = Ladder.objects.current().get(slug="stoke-crm")
    groups = {}
    for category in ladder.categories.all():
        groups.setdefault(category.group, []).append(category.label)
    informal = next(labels for group, labels in groups.items() if "2.1" in group)
    formal = next(labels for group, labels in groups.items() if "2.2" in group)
    assert len(informal) == 6  # six bullets in section 2.1
    assert len(formal) == 14  # fourteen bullets in section 2.2
    assert "Poor preparation by the social worker for the conference" in informal
    assert "Avoidable drift and delay in children's plans" in formal
    assert "Education provision" in formal


def test_bexley_risk_rules(seeded):
    ladder = Ladder.objects.current().get(slug="bexley-internal")
    stored = {
        r.risk_level: (r.entry_stage, r.entry_working_days, r.on_missed_deadline, r.alert_psw, r.entry_fixed)
        for r in ladder.risk_rules.all()
    }
    assert stored == BEXLEY_RULES


@pytest.mark.parametrize(
    "slug",
    ["stoke-crm", "stoke-crm-concerns", "wiltshire-multi-agency", "bs3-nursery", "multi-agency-resolution-panel"],
)
def test_other_ladders_enter_at_stage_zero_and_only_notify_on_a_missed_deadline(seeded, slug):
    ladder = Ladder.objects.current().get(slug=slug)
    rules = {r.risk_level: r for r in ladder.risk_rules.all()}
    assert set(rules) == {"standard", "significant_harm", "imminent"}
    for level, rule in rules.items():
        assert rule.entry_stage == 0
        assert rule.entry_working_days is None  # the stage's own response time
        assert rule.on_missed_deadline == "notify"  # never auto-advance
        assert rule.alert_psw is (level != "standard")


def test_bs3_carries_the_emergency_contacts(seeded):
    ladder = Ladder.objects.current().get(slug="bs3-nursery")
    assert "0117 903 6444" in ladder.emergency_instruction
    assert "01454 615 165" in ladder.emergency_instruction
    assert "Police" in ladder.emergency_instruction
    assert "0117 903 6444" in Organisation.objects.get(slug="bs3").emergency_contacts


def test_partnerships_and_their_members(seeded):
    members = {p.slug: sorted(p.members.values_list("slug", flat=True)) for p in Partnership.objects.all()}
    assert members == {
        "wiltshire-partnership": ["puddleducks", "wiltshire"],
        "bristol-partnership": ["bristol", "bs3"],
    }


def test_tier_mappings_by_kind_of_organisation(seeded):
    wiltshire = Organisation.objects.get(slug="wiltshire")
    puddleducks = Organisation.objects.get(slug="puddleducks")
    assert wiltshire.tier_of("social_worker") == "practitioner"
    assert wiltshire.tier_of("team_manager") == "manager"
    assert wiltshire.tier_of("service_manager") == "senior_manager"
    assert wiltshire.tier_of("head_of_service") == "senior_leader"
    assert puddleducks.tier_of("practitioner") == "practitioner"
    assert puddleducks.tier_of("designated_safeguarding_lead") == "manager"
    assert puddleducks.tier_of("nursery_manager") == "senior_manager"
    assert puddleducks.tier_of("owner") == "senior_leader"


def _dump_policies():
    rows = {}
    for model in (Organisation, TierMapping, Partnership, Ladder, Stage, Category, RiskRule):
        rows[model.__name__] = sorted(
            (sorted((k, repr(v)) for k, v in model_to_dict(obj).items()) for obj in model.objects.all()),
        )
    rows["members"] = sorted(Partnership.members.through.objects.values_list("partnership_id", "organisation_id"))
    return rows


def test_seed_policies_twice_changes_nothing(seeded):
    before = _dump_policies()
    call_command("seed_policies", stdout=io.StringIO())
    assert _dump_policies() == before


def test_seed_policies_keeps_an_admin_edit(seeded):
    """A ladder edited in the admin is not overwritten by a later seed."""
    Stage.objects.filter(ladder__slug="wiltshire-multi-agency", index=0).update(working_days=3)
    call_command("seed_policies", stdout=io.StringIO())
    assert Stage.objects.get(ladder__slug="wiltshire-multi-agency", index=0).working_days == 3
