"""The six ladders of CONTRACT section 3, read from the published procedures in shared/policies/.

Data, not code: ``seed_policies`` loads these into the database, where the admin edits them.
"""
from __future__ import annotations

# The generic guide (001): "Disagreements could arise in a number of areas, but are most likely to
# arise around: levels of need, roles and responsibilities, the need for action, communication."
GENERIC_CATEGORIES = [
    ("level-of-need", "Level of need", ""),
    ("roles-and-responsibilities", "Roles and responsibilities", ""),
    ("need-for-action", "The need for action", ""),
    ("communication", "Communication", ""),
]

# Bexley 3.8 and 3.9: two kinds of disagreement with routes of their own, as data on the category.
BEXLEY_CATEGORIES = [
    *GENERIC_CATEGORIES,
    # 3.8: inform the service manager, then escalate "from section 3.5" (the Deputy Director).
    ("decision-making-panel", "A decision reached at a decision-making panel", "", {"route": [1, 3, 4]}),
    # 3.9: legal advisers escalate to the team manager in the first instance.
    ("legal-planning-meeting", "The outcome of a legal planning meeting", "", {"raiser_roles": ["legal_adviser"]}),
]

STOKE_INFORMAL = "Concerns that may be dealt with at an informal level (2.1)"
STOKE_FORMAL = "Concerns that might need formal escalation (2.2)"
# Stoke 003, sections 2.1 and 2.2.
STOKE_CATEGORIES = [
    ("poor-preparation", "Poor preparation by the social worker for the conference", STOKE_INFORMAL),
    ("report-quality", "Quality of reports provided at review or conference", STOKE_INFORMAL),
    ("not-informed-of-significant-events", "Not being informed of significant events", STOKE_INFORMAL),
    ("absence-or-lateness", "Repeated absence or late arrivals at conference", STOKE_INFORMAL),
    ("management-oversight", "Inadequate management oversight or supervision of a social worker", STOKE_INFORMAL),
    ("partnership-with-parents", "Lack of effective partnership working with parents", STOKE_INFORMAL),
    ("assessments-late", "Assessments not being completed or progressed in time", STOKE_FORMAL),
    ("reports-not-shared",
     "Reports not shared with parents 3 working days before an ICPC or 72 hours before an RCPC", STOKE_FORMAL),
    ("core-group-minutes", "Core group minutes and updated plan not completed and distributed", STOKE_FORMAL),
    ("key-documents", "Key documents not completed", STOKE_FORMAL),
    ("actions-not-completed", "Non-completion of actions within timescales", STOKE_FORMAL),
    ("visits-late", "Social worker visits to the child not within the expected timescales", STOKE_FORMAL),
    ("risk-assessment-quality", "Concerns about the quality of risk assessments", STOKE_FORMAL),
    ("policy-not-followed", "Workers not following the council's policy and procedures", STOKE_FORMAL),
    ("discriminatory-practice", "Discriminatory practice", STOKE_FORMAL),
    ("poor-inter-agency-working",
     "Poor partnership working amongst agencies compromising the child protection plan", STOKE_FORMAL),
    ("child-participation", "Lack of child participation", STOKE_FORMAL),
    ("drift-and-delay", "Avoidable drift and delay in children's plans", STOKE_FORMAL),
    ("health-provision", "Health provision", STOKE_FORMAL),
    ("education-provision", "Education provision", STOKE_FORMAL),
]

BS3_EMERGENCY = (
    "If a child is at risk of immediate harm, do not wait to escalate: contact First Response and the Police.\n"
    "First Response: 0117 903 6444\n"
    "Out of office hours: the Emergency Duty Team, 01454 615 165\n"
    "The Police: 999"
)

ALL_LEVELS = ("standard", "significant_harm", "imminent")


def _rules(entry=0, *, notify_only=True, **overrides):
    """The same rule for every risk level, with per-level overrides; the PSW is alerted for the two
    higher levels on every ladder (Bexley 5.3, 5.5; the notifications table)."""
    rules = {
        level: {"entry_stage": entry, "entry_working_days": None, "on_missed_deadline": "notify",
                "alert_psw": level != "standard", "entry_fixed": False}
        for level in ALL_LEVELS
    }
    for level, values in overrides.items():
        rules[level].update(values)
    return rules


LADDERS = [
    {
        "slug": "bexley-internal",
        "name": "Bexley internal escalation procedure",
        "organisation": "bexley",
        "source": "000: Bexley Internal Escalation Procedure for Practitioners, Managers and the PSW",
        "description": "One working day a level; the same day to the Service Manager for significant harm; "
                       "the same day to the highest level for imminent risk (sections 3 and 5).",
        # The risk level sets the entry stage (5.2, 5.3, 5.5); only the PSW may go straight to the Deputy
        # Director or the Director (4.5).
        "skip_allowed": True,
        "skip_by": "psw",
        "skip_to_next": True,
        "skip_to_stages": [3, 4],
        "stages": [
            {"name": "Team Manager", "role": "team_manager", "working_days": 1},
            {"name": "Service Manager", "role": "service_manager", "working_days": 1},
            {"name": "Head of Service", "role": "head_of_service", "working_days": 1},
            {"name": "Deputy Director", "role": "deputy_director", "working_days": 1, "final": True},  # 3.5
            {"name": "Director of Children's Services", "role": "director", "working_days": 1, "final": True,
             "exceptional": True},  # 3.6
        ],
        "categories": BEXLEY_CATEGORIES,
        "rules": {
            # 5.2 and 5.4: one working day a level; if no meeting, the raiser may proceed.
            "standard": {"entry_stage": 0, "entry_working_days": None, "on_missed_deadline": "notify",
                         "alert_psw": False, "entry_fixed": True},
            # 5.3: at minimum the Service Manager on the same day, then one working day a level.
            "significant_harm": {"entry_stage": 1, "entry_working_days": 0, "on_missed_deadline": "advance",
                                 "alert_psw": True, "entry_fixed": True},
            # 5.5: the highest level on the same day, with the PSW's assistance.
            "imminent": {"entry_stage": 4, "entry_working_days": 0, "on_missed_deadline": "advance",
                         "alert_psw": True, "entry_fixed": True},
        },
        "emergency_instruction": "If you believe a child is at imminent risk of significant harm, seek the "
                                 "assistance of the Principal Social Worker now. If a child is in immediate "
                                 "danger, call the Police on 999.",
    },
    {
        "slug": "stoke-crm",
        "name": "Stoke-on-Trent child protection case dispute escalation",
        "organisation": "stoke",
        "source": "003: Stoke-on-Trent Child Protection Case Dispute Escalation Policy",
        "description": "Informal resolution within 5 working days, then four formal stages of 5 working days; "
                       "the formal process completes within 20 working days (section 5).",
        "raiser_roles": ["conference_review_manager"],
        "skip_allowed": True,  # section 5: discretion to go to the most appropriate level, with reasons
        "skip_to_next": True,  # "directly to the level they consider most appropriate"
        "allocated_worker_is_party": True,  # section 4: the social worker resolves it with the team manager
        "overall_working_days": 20,
        "overall_from_stage": 1,
        "stages": [
            {"name": "Informal: Social Worker / Team Manager", "role": "team_manager", "working_days": 5,
             "allocated_worker_acts": True},
            {"name": "Stage 1: Service Manager", "role": "service_manager", "working_days": 5},
            {"name": "Stage 2: Strategic Manager", "role": "strategic_manager", "working_days": 5},
            {"name": "Stage 3: Assistant Director", "role": "assistant_director", "working_days": 5},
            {"name": "Stage 4: Director of Children's Services", "role": "director", "working_days": 5, "final": True},
        ],
        "categories": STOKE_CATEGORIES,
        "rules": _rules(0),
    },
    {
        "slug": "stoke-crm-concerns",
        "name": "Stoke-on-Trent concerns about a Conference and Review Manager",
        "organisation": "stoke",
        "source": "003: Stoke-on-Trent Child Protection Case Dispute Escalation Policy, section 9",
        "description": "Resolve directly with the Conference and Review Manager; escalate to their Service "
                       "Manager if not resolved.",
        "holder_named_on_raise": True,  # the raiser names the CRM concerned; stage 1 is that CRM's manager
        "stages": [
            {"name": "The Conference and Review Manager", "role": "conference_review_manager", "working_days": 5},
            {"name": "The Conference and Review Manager's Service Manager", "role": "service_manager",
             "working_days": 5, "final": True},
        ],
        "categories": GENERIC_CATEGORIES,
        "rules": _rules(0),
    },
    {
        "slug": "wiltshire-multi-agency",
        "timescales_editable": True,  # 002: "Timescales ... will vary from case to case"
        "name": "Wiltshire case resolution protocol (multi-agency)",
        "partnership": "wiltshire-partnership",
        "source": "002: Puddleducks Nursery, adopting the Wiltshire Safeguarding Children Board "
                  "Case Resolution Protocol",
        "description": "Practitioner to practitioner, then manager to manager up the hierarchies to senior "
                       "leaders; serious concerns logged with the QA&P sub-group chair; mediation for stuck "
                       "cases. The protocol sets no fixed timescale: 5 working days a stage is the default.",
        "skip_allowed": True,
        "mediation_allowed": True,
        "board_logging_allowed": True,
        "stages": [
            {"name": "Practitioner to practitioner", "tier": "practitioner", "working_days": 5},
            {"name": "Manager to manager", "tier": "manager", "working_days": 5},
            {"name": "Senior manager to senior manager", "tier": "senior_manager", "working_days": 5},
            {"name": "Senior leaders of the partner organisations", "tier": "senior_leader", "working_days": 5,
             "final": True},
        ],
        "in_receiving_organisation": True,
        "categories": GENERIC_CATEGORIES,
        "rules": _rules(0),
    },
    {
        "slug": "bs3-nursery",
        "timescales_editable": True,  # 004 sets no response time ("the shortest timescale possible")
        "name": "BS3 escalation policy",
        "organisation": "bs3",
        "source": "004: BS3 Early Education & Childcare, Escalation Policy and Procedure",
        "description": "Resolve as close to the point of origin as possible: the Designated Safeguarding Lead, "
                       "the nursery manager, then the partner agency's manager under the partnership procedure.",
        "stages": [
            {"name": "Designated Safeguarding Lead", "role": "designated_safeguarding_lead", "working_days": 1},
            {"name": "Nursery manager", "role": "nursery_manager", "working_days": 1},
            {"name": "The partner agency's manager", "tier": "manager", "working_days": 5, "final": True,
             "in_receiving_organisation": True},
        ],
        "categories": GENERIC_CATEGORIES,
        "rules": _rules(0),
        "emergency_instruction": BS3_EMERGENCY,
    },
    {
        "slug": "multi-agency-resolution-panel",
        "timescales_editable": True,  # 001, Timescales: "determined locally by the complexity of the issues"
        "name": "Multi-agency professional disagreements and Resolution Panel",
        "partnership": "bristol-partnership",
        "source": "001: a Local Safeguarding Children Board's escalation procedure (generic guide)",
        "description": "Resolve at the lowest level: the people who disagree, their line managers or safeguarding "
                       "leads, senior managers, then a Resolution Panel of three agencies. Every decision in "
                       "writing, shared with the raiser.",
        "skip_allowed": True,  # "discretion should be used as to which stage is initiated"
        "mediation_allowed": True,
        "board_logging_allowed": True,
        "stages": [
            {"name": "The people who disagree", "tier": "practitioner", "working_days": 5},
            {"name": "Line managers or safeguarding leads", "tier": "manager", "working_days": 5},
            {"name": "Senior managers", "tier": "senior_manager", "working_days": 5},
            # CONTRACT 8.2: the partnership's QA&P chair holds it and convenes the panel (``Stage.panel``).
            {"name": "Resolution Panel (representatives of three agencies)", "role": "qap_chair",
             "working_days": 10, "final": True},
        ],
        "in_receiving_organisation": True,
        "categories": GENERIC_CATEGORIES,
        "rules": _rules(0),
    },
]

# Emergency and out-of-hours contacts: BS3's and Bristol's are the numbers published in 004; the others
# are fictional, from the ranges Ofcom keeps for drama (020 7946 0xxx, 01632 960xxx, 0117 496 0xxx).
BRISTOL_OUT_OF_HOURS = (
    "The Emergency Duty Team (Emergency Duty Social Worker): 01454 615 165\n"
    "The Police: 999"
)

# The organisations and partnerships that own the ladders (demo users come with seed_demo).
ORGANISATIONS = [
    {"slug": "bexley", "name": "London Borough of Bexley Children's Social Care", "kind": "local_authority",
     "emergency_contacts": "If a child is in immediate danger, call the Police on 999.\n"
                           "Children's Services Front Door (Monday to Friday, 9am to 5pm): 020 7946 0310\n"
                           "The Principal Social Worker: 020 7946 0318",
     "out_of_hours_contacts": "The Emergency Duty Team (evenings, weekends and bank holidays): 020 7946 0311\n"
                              "The Police: 999"},
    {"slug": "stoke", "name": "Stoke-on-Trent City Council Children's Services", "kind": "local_authority",
     "emergency_contacts": "If a child is in immediate danger, call the Police on 999.\n"
                           "Children's Advice and Duty Service (Monday to Friday, 8:30am to 5pm): 01632 960 410\n"
                           "Conference and Review Service: 01632 960 415",
     "out_of_hours_contacts": "The Emergency Duty Team: 01632 960 411\nThe Police: 999"},
    {"slug": "wiltshire", "name": "Wiltshire Council Children's Social Care", "kind": "local_authority",
     "emergency_contacts": "If a child is in immediate danger, call the Police on 999.\n"
                           "Integrated Front Door (Monday to Friday, 8:45am to 5pm): 01632 960 520",
     "out_of_hours_contacts": "The Emergency Duty Service: 01632 960 521\nThe Police: 999"},
    {"slug": "puddleducks", "name": "Puddleducks Nursery", "kind": "nursery",
     "emergency_contacts": "If a child is in immediate danger, call the Police on 999.\n"
                           "Wiltshire Integrated Front Door: 01632 960 520\n"
                           "The nursery's Designated Safeguarding Lead: 01632 960 530",
     "out_of_hours_contacts": "Wiltshire's Emergency Duty Service: 01632 960 521\nThe Police: 999"},
    {"slug": "bs3", "name": "BS3 Early Education & Childcare", "kind": "nursery", "emergency_contacts": BS3_EMERGENCY,
     "out_of_hours_contacts": BRISTOL_OUT_OF_HOURS},
    {"slug": "bristol", "name": "Bristol City Council Children's Social Care", "kind": "local_authority",
     "emergency_contacts": BS3_EMERGENCY, "out_of_hours_contacts": BRISTOL_OUT_OF_HOURS},
]

PARTNERSHIPS = [
    {"slug": "wiltshire-partnership", "name": "Wiltshire Safeguarding Children Partnership",
     "members": ["wiltshire", "puddleducks"]},
    {"slug": "bristol-partnership", "name": "Bristol Safeguarding Children Partnership",
     "members": ["bs3", "bristol"]},
]
