"""Fictional demo data (CONTRACT section 4): people, cases and escalations in every state.

No real child or worker: names are invented, references are in a DEMO- range.
"""
from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import transaction
from django.utils import timezone

from cases.models import Case
from deadlines.absences import absences_begin
from escalations import services
from escalations.models import Escalation
from organisations.models import Absence, Organisation, OrganisationKind, Partnership, Role, Team, TierMapping, User
from oversight.models import SystemicIssue, SystemicIssueKind
from oversight.services import systemic_issue_create
from policies import clock
from policies.models import Ladder
from policies.services import organisation_seed, policies_seed

DEMO_PASSWORD = "demo-pass-2026"

# username, first name, last name, role, line manager, team
PEOPLE: dict[str, list[tuple[str, str, str, str, str | None, str | None]]] = {
    "bexley": [
        ("bexley-director", "Diane", "Okafor", Role.DIRECTOR, None, None),
        ("bexley-deputy-director", "Martin", "Hale", Role.DEPUTY_DIRECTOR, "bexley-director", None),
        ("bexley-head-of-service", "Priya", "Nair", Role.HEAD_OF_SERVICE, "bexley-deputy-director", None),
        ("bexley-service-manager", "Tom", "Bradley", Role.SERVICE_MANAGER, "bexley-head-of-service", None),
        ("bexley-team-manager", "Grace", "Mensah", Role.TEAM_MANAGER, "bexley-service-manager", "Assessment Team 2"),
        ("bexley-practitioner", "Sam", "Whitfield", Role.SOCIAL_WORKER, "bexley-team-manager", "Assessment Team 2"),
        ("bexley-psw", "Helen", "Carter", Role.PSW, "bexley-deputy-director", None),
        # CONTRACT 8.8: Bexley 3.9's legal adviser, managed by the team manager, and the organisation's
        # administrator (who never raises, holds or sees an escalation).
        ("bexley-legal-adviser", "Farah", "Iqbal", Role.LEGAL_ADVISER, "bexley-team-manager", None),
        ("bexley-org-admin", "Gary", "Holt", Role.ORG_ADMIN, None, None),
    ],
    "stoke": [
        ("stoke-director", "Paul", "Ashworth", Role.DIRECTOR, None, None),
        ("stoke-assistant-director", "Nadia", "Hussain", Role.ASSISTANT_DIRECTOR, "stoke-director", None),
        ("stoke-strategic-manager", "Ken", "Doyle", Role.STRATEGIC_MANAGER, "stoke-assistant-director", None),
        ("stoke-service-manager", "Ruth", "Pemberton", Role.SERVICE_MANAGER, "stoke-strategic-manager", None),
        ("stoke-team-manager", "Lee", "Barker", Role.TEAM_MANAGER, "stoke-service-manager", "Safeguarding Team North"),
        ("stoke-social-worker", "Amy", "Clarke", Role.SOCIAL_WORKER, "stoke-team-manager", "Safeguarding Team North"),
        ("stoke-crm", "Janet", "Moss", Role.CONFERENCE_REVIEW_MANAGER, "stoke-service-manager",
         "Conference and Review Service"),
        ("stoke-psw", "Owen", "Price", Role.PSW, "stoke-assistant-director", None),
    ],
    "wiltshire": [
        ("wiltshire-head-of-service", "Fiona", "Grant", Role.HEAD_OF_SERVICE, None, None),
        ("wiltshire-service-manager", "Raj", "Patel", Role.SERVICE_MANAGER, "wiltshire-head-of-service", None),
        ("wiltshire-team-manager", "Claire", "Dunn", Role.TEAM_MANAGER, "wiltshire-service-manager", "Salisbury Team"),
        ("wiltshire-social-worker", "Ben", "Foster", Role.SOCIAL_WORKER, "wiltshire-team-manager", "Salisbury Team"),
    ],
    "puddleducks": [
        ("puddleducks-owner", "Margaret", "Lowe", Role.OWNER, None, None),
        ("puddleducks-nursery-manager", "Kate", "Ellis", Role.NURSERY_MANAGER, "puddleducks-owner", None),
        ("puddleducks-designated-safeguarding-lead", "Zoe", "Harper", Role.DESIGNATED_SAFEGUARDING_LEAD,
         "puddleducks-nursery-manager", None),
        ("puddleducks-practitioner", "Lily", "Turner", Role.PRACTITIONER, "puddleducks-designated-safeguarding-lead",
         None),
    ],
    "bs3": [
        ("bs3-nursery-manager", "Carol", "Webb", Role.NURSERY_MANAGER, None, None),
        ("bs3-designated-safeguarding-lead", "Aisha", "Khan", Role.DESIGNATED_SAFEGUARDING_LEAD, "bs3-nursery-manager",
         None),
        ("bs3-practitioner", "Jess", "Morgan", Role.PRACTITIONER, "bs3-designated-safeguarding-lead", None),
    ],
    "bristol": [
        ("bristol-head-of-service", "Simon", "Reed", Role.HEAD_OF_SERVICE, None, None),
        ("bristol-service-manager", "Angela", "Frost", Role.SERVICE_MANAGER, "bristol-head-of-service", None),
        ("bristol-team-manager", "Mark", "Oduya", Role.TEAM_MANAGER, "bristol-service-manager", "Bedminster Team"),
        ("bristol-social-worker", "Chloe", "Jennings", Role.SOCIAL_WORKER, "bristol-team-manager", "Bedminster Team"),
    ],
    # CONTRACT 8.8: the partnership's third member, a health trust.
    "bristol-health": [
        ("bristol-health-senior-manager", "Rachel", "Ogden", Role.SERVICE_MANAGER, None, None),
        ("bristol-health-safeguarding-lead", "Imran", "Shah", Role.DESIGNATED_SAFEGUARDING_LEAD,
         "bristol-health-senior-manager", "Safeguarding Children Team"),
        ("bristol-health-practitioner", "Nina", "Walsh", Role.PRACTITIONER, "bristol-health-safeguarding-lead",
         "Health Visiting South"),
    ],
}

# CONTRACT 8.8: bristol-health, a health trust in bristol-partnership. Its numbers are fictional (Ofcom's
# drama range for Bristol); First Response and the Emergency Duty Team are those BS3's policy publishes.
BRISTOL_HEALTH = {
    "slug": "bristol-health", "name": "Bristol Community Health NHS Trust", "kind": OrganisationKind.HEALTH,
    "emergency_contacts": "If a child is in immediate danger, call the Police on 999.\n"
                          "First Response (Bristol children's social care): 0117 903 6444\n"
                          "The trust's Safeguarding Children Team (Monday to Friday, 9am to 5pm): 0117 496 0720",
    "out_of_hours_contacts": "The Emergency Duty Team (Emergency Duty Social Worker): 01454 615 165\n"
                             "The trust's on-call safeguarding lead, through the switchboard: 0117 496 0700\n"
                             "The Police: 999",
}
# A health trust's roles on the partnership's tiers (CONTRACT 8.8): practitioner, manager, senior manager.
BRISTOL_HEALTH_TIERS = {
    Role.PRACTITIONER: "practitioner",
    Role.DESIGNATED_SAFEGUARDING_LEAD: "manager",
    Role.SERVICE_MANAGER: "senior_manager",
}
JOB_TITLES = {
    "bristol-health-practitioner": "Health visitor",
    "bristol-health-safeguarding-lead": "Named nurse for safeguarding children",
    "bristol-health-senior-manager": "Head of safeguarding",
    "bexley-legal-adviser": "Solicitor, children's legal services",
}

BOARD = [
    ("wiltshire-qap-chair", "Elaine", "Marsh", Role.QAP_CHAIR, "wiltshire-partnership"),
    ("wiltshire-board-member", "David", "Kerr", Role.BOARD_MEMBER, "wiltshire-partnership"),
    ("bristol-qap-chair", "Hannah", "Lowther", Role.QAP_CHAIR, "bristol-partnership"),
]

# Fictional cases: reference, display name (initials only), allocated worker.
CASES = {
    "bexley": [("DEMO-BX-1001", "A.B.", "bexley-practitioner"), ("DEMO-BX-1002", "C.D.", "bexley-practitioner"),
               ("DEMO-BX-1003", "E.F.", "bexley-practitioner"), ("DEMO-BX-1004", "G.H.", "bexley-practitioner"),
               ("DEMO-BX-1005", "J.K.", "bexley-practitioner"), ("DEMO-BX-1006", "L.N.", "bexley-practitioner"),
               ("DEMO-BX-1007", "P.R.", "bexley-practitioner"), ("DEMO-BX-1008", "S.V.", "bexley-practitioner"),
               ("DEMO-BX-1009", "T.W.", "bexley-practitioner")],
    # Stoke 4: the allocated social worker is a party to every dispute about their case (CONTRACT 8.8).
    "stoke": [("DEMO-ST-2001", "L.M.", "stoke-social-worker"), ("DEMO-ST-2002", "N.P.", "stoke-social-worker"),
              ("DEMO-ST-2003", "Q.R.", "stoke-social-worker"), ("DEMO-ST-2004", "R.T.", "stoke-social-worker"),
              ("DEMO-ST-2005", "U.W.", "stoke-social-worker"), ("DEMO-ST-2006", "V.Y.", "stoke-social-worker"),
              ("DEMO-ST-2007", "X.Z.", "stoke-social-worker")],
    "wiltshire": [("DEMO-WI-3001", "S.T.", "wiltshire-social-worker"),
                  ("DEMO-WI-3002", "F.G.", "wiltshire-social-worker")],
    "puddleducks": [("DEMO-PD-4001", "U.V.", "puddleducks-practitioner"),
                    ("DEMO-PD-4002", "W.X.", "puddleducks-practitioner"),
                    ("DEMO-PD-4003", "H.J.", "puddleducks-practitioner"),
                    ("DEMO-PD-4004", "K.L.", "puddleducks-practitioner"),
                    ("DEMO-PD-4005", "M.N.", "puddleducks-practitioner")],
    "bs3": [("DEMO-B3-5001", "Y.Z.", "bs3-practitioner"), ("DEMO-B3-5002", "A.C.", "bs3-practitioner"),
            ("DEMO-B3-5003", "D.F.", "bs3-practitioner"), ("DEMO-B3-5004", "E.G.", "bs3-practitioner"),
            ("DEMO-B3-5005", "H.K.", "bs3-practitioner")],
    "bristol": [("DEMO-BR-6001", "B.D.", "bristol-social-worker"), ("DEMO-BR-6002", "C.E.", "bristol-social-worker"),
                ("DEMO-BR-6003", "F.H.", "bristol-social-worker")],
    "bristol-health": [("DEMO-BH-7001", "G.J.", "bristol-health-practitioner"),
                       ("DEMO-BH-7002", "K.M.", "bristol-health-practitioner")],
}


def _bristol_health_seed() -> None:
    """The health trust of CONTRACT 8.8, its tiers, and its place in bristol-partnership (idempotent)."""
    organisation, _created = organisation_seed(**BRISTOL_HEALTH)
    mapped = set(organisation.tier_mappings.values_list("role", flat=True))
    TierMapping.objects.bulk_create([
        TierMapping(organisation=organisation, role=role, tier=tier)
        for role, tier in BRISTOL_HEALTH_TIERS.items() if role not in mapped
    ])
    Partnership.objects.get(slug="bristol-partnership").members.add(organisation)


def demo_people_seed() -> dict[str, User]:
    """Create the demo people of CONTRACT sections 4 and 8.8 that are missing; return everyone by username."""
    _bristol_health_seed()
    users: dict[str, User] = {}
    # Read everyone already there in one query (the test suite calls this before every test).
    names = [row[0] for rows in PEOPLE.values() for row in rows] + [row[0] for row in BOARD]
    existing = User.objects.in_bulk(names, field_name="username")
    for org_slug, rows in PEOPLE.items():
        organisation = Organisation.objects.get(slug=org_slug)
        for username, first, last, role, _manager, team_name in rows:
            if username in existing:
                users[username] = existing[username]
                continue
            team = Team.objects.get_or_create(organisation=organisation, name=team_name)[0] if team_name else None
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "role": role, "organisation": organisation,
                          "team": team, "email": f"{username}@example.org",
                          "job_title": JOB_TITLES.get(username, "")},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        for username, *_rest, manager, _team in rows:
            if manager and users[username].line_manager_id is None:
                users[username].line_manager = users[manager]
                users[username].save(update_fields=["line_manager"])
    for username, first, last, role, partnership_slug in BOARD:
        if username in existing:
            users[username] = existing[username]
            continue
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "role": role, "email": f"{username}@example.org",
                      "partnership": Partnership.objects.get(slug=partnership_slug)},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD, role=Role.PSW,
                                      first_name="Site", last_name="Administrator")
    return users


def _cases(users: dict[str, User]) -> dict[str, Case]:
    cases = {}
    for org_slug, rows in CASES.items():
        organisation = Organisation.objects.get(slug=org_slug)
        for reference, initials, worker in rows:
            cases[reference] = Case.objects.get_or_create(
                organisation=organisation, reference=reference,
                defaults={"display_name": initials, "allocated_worker": users[worker]},
            )[0]
    return cases


def _working_days_ago(n: int, organisation: Organisation, hour: int = 10) -> dt.datetime:
    """A moment n working days before today, at ``hour`` local time."""
    day = timezone.localdate()
    while n > 0:
        day -= dt.timedelta(days=1)
        if clock.is_working_day(day, closure_days=organisation.closure_dates()):
            n -= 1
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=clock.LONDON)


def _escalations(users: dict[str, User], cases: dict[str, Case]) -> int:
    u = users.__getitem__
    slugs = ("bexley-internal", "stoke-crm", "wiltshire-multi-agency", "bs3-nursery", "multi-agency-resolution-panel")
    ladder = {slug: Ladder.objects.current().get(slug=slug) for slug in slugs}
    bexley = Organisation.objects.get(slug="bexley")
    org = Organisation.objects.get

    raised = []

    def raise_(who, case, slug, *, risk="standard", category=None, receiving=None, ago=0, concern=None):
        lad = ladder[slug]
        raised.append(case)
        return services.escalation_raise(
            raised_by=u(who), case=cases[case], ladder=lad, risk_level=risk,
            category=category or lad.categories.first().slug,
            decision_challenged="The decision to close the case to early help without a further assessment.",
            concern=concern or "Recent nursery reports describe bruising and missed health appointments that the "
                               "decision does not address.",
            basis="evidence", desired_outcome="A strategy discussion and an updated assessment before any closure.",
            receiving_organisation=org(slug=receiving) if receiving else None,
            now=_working_days_ago(ago, bexley) if ago else None,
        )

    # Bexley: open, awaiting the team manager (fresh).
    raise_("bexley-practitioner", "DEMO-BX-1001", "bexley-internal", category="need-for-action")
    # Bexley: overdue, no meeting arranged (the clock tells the practitioner they may proceed).
    raise_("bexley-practitioner", "DEMO-BX-1002", "bexley-internal", ago=3, category="level-of-need")
    # Bexley: significant harm, with the service manager, meeting arranged.
    e = raise_("bexley-practitioner", "DEMO-BX-1003", "bexley-internal", risk="significant_harm",
               category="need-for-action")
    services.escalation_arrange_meeting(escalation=e, actor=u("bexley-service-manager"),
                                        meeting_at=timezone.now() + dt.timedelta(hours=2))
    # Bexley: significant harm raised two working days ago, never answered: the clock advances it.
    raise_("bexley-practitioner", "DEMO-BX-1002", "bexley-internal", risk="significant_harm", ago=2,
           category="need-for-action",
           concern="A sibling disclosed being hit at home; the decision leaves the children at home overnight.")
    # Bexley: responded by the team manager, awaiting the practitioner.
    e = raise_("bexley-practitioner", "DEMO-BX-1004", "bexley-internal", category="roles-and-responsibilities")
    services.escalation_respond(escalation=e, actor=u("bexley-team-manager"), decision="uphold",
                                rationale="The family has engaged with early help and the risk is monitored weekly.")
    # Bexley: escalated to the service manager after a team manager upheld the decision, then resolved.
    e = raise_("bexley-practitioner", "DEMO-BX-1005", "bexley-internal", category="communication")
    services.escalation_respond(escalation=e, actor=u("bexley-team-manager"), decision="uphold",
                                rationale="The threshold for a section 47 enquiry is not met.")
    e = services.escalation_escalate(escalation=e, actor=u("bexley-practitioner"),
                                     reason="The bruising pattern needs a strategy discussion.")
    services.escalation_respond(escalation=e, actor=u("bexley-service-manager"), decision="agree",
                                rationale="A strategy discussion will be held.")
    services.escalation_accept(escalation=e, actor=u("bexley-practitioner"),
                               agreed_outcome="Strategy discussion booked for Thursday.",
                               outstanding_actions="The team manager reviews the plan after the discussion.")
    # Bexley: withdrawn.
    e = raise_("bexley-practitioner", "DEMO-BX-1001", "bexley-internal", category="communication")
    services.escalation_withdraw(escalation=e, actor=u("bexley-practitioner"),
                                 reason="Resolved in supervision the same afternoon.")

    # Stoke: informal stage with the team manager; a formal one at stage 2 after a skip.
    raise_("stoke-crm", "DEMO-ST-2001", "stoke-crm", category="reports-not-shared")
    e = raise_("stoke-crm", "DEMO-ST-2002", "stoke-crm", category="drift-and-delay", ago=2)
    services.escalation_skip(escalation=e, actor=u("stoke-crm"), to_stage=2,
                             reason="Drift of three months: straight to the strategic manager (section 5).")
    # Stoke: overdue at the informal stage.
    raise_("stoke-crm", "DEMO-ST-2003", "stoke-crm", category="visits-late", ago=7)

    # Wiltshire: a nursery challenges children's social care; logged with the board and in mediation.
    e = raise_("puddleducks-practitioner", "DEMO-PD-4001", "wiltshire-multi-agency", receiving="wiltshire",
               category="level-of-need")
    services.escalation_log_with_board(escalation=e, actor=u("puddleducks-practitioner"),
                                       reason="Third referral about the same child declined this term.")
    services.escalation_escalate(escalation=e, actor=u("puddleducks-practitioner"),
                                 reason="Practitioner discussion did not resolve it.")
    e.refresh_from_db()
    services.escalation_start_mediation(escalation=e, actor=u("wiltshire-qap-chair"),
                                        mediator=u("wiltshire-qap-chair"))
    # Practitioner to practitioner (a safeguarding lead would raise manager to manager: CONTRACT 8.1).
    raise_("puddleducks-practitioner", "DEMO-PD-4002", "wiltshire-multi-agency",
           receiving="wiltshire", category="communication")

    # Bristol partnership: BS3 nursery's own ladder and the resolution panel ladder.
    raise_("bs3-practitioner", "DEMO-B3-5001", "bs3-nursery", receiving="bristol", category="need-for-action")
    e = raise_("bs3-practitioner", "DEMO-B3-5002", "multi-agency-resolution-panel",
               receiving="bristol", category="roles-and-responsibilities")
    services.escalation_respond(escalation=e, actor=e.holder, decision="agree",
                                rationale="Children's social care will complete a child and family assessment.")
    return len(raised)


def _respond(escalation: Escalation, actor: User, decision: str, rationale: str) -> Escalation:
    """Record a decision; an uphold that ends it at a final stage says how outstanding issues will be
    pursued where the service asks for it (the written confirmation of the generic guide and BS3)."""
    extra = {}
    ending = decision == "uphold" and escalation.stage.final
    if ending and "outstanding_actions" in inspect.signature(services.escalation_respond).parameters:
        extra["outstanding_actions"] = "The team manager reviews the child's plan with the raiser in supervision."
    return services.escalation_respond(escalation=escalation, actor=actor, decision=decision, rationale=rationale,
                                       **extra)


def _category(ladder: Ladder, wanted: str, fallback: str) -> str:
    """The category ``wanted`` where the ladder offers it, else ``fallback``."""
    return wanted if ladder.categories.filter(slug=wanted).exists() else fallback


def _paths(users: dict[str, User], cases: dict[str, Case]) -> int:
    """CONTRACT 8.8: every path the product supports at least once, and something for every demo person
    to do or to see: imminent risk, the Director's exceptional stage, a reopened escalation, a missed Stoke
    overall deadline, a mediation (in ``_escalations``), each manager holding a stage, and the board's log
    in each partnership."""
    u = users.__getitem__
    ladder = {lad.slug: lad for lad in Ladder.objects.current().prefetch_related("stages", "categories")}
    org = {o.slug: o for o in Organisation.objects.all()}
    count = 0

    def raise_(who: str, reference: str, slug: str, *, risk: str = "standard", category: str | None = None,
               receiving: str | None = None, decision: str | None = None, concern: str | None = None,
               outcome: str | None = None) -> Escalation:
        nonlocal count
        count += 1
        lad = ladder[slug]
        return services.escalation_raise(
            raised_by=u(who), case=cases[reference], ladder=lad, risk_level=risk,
            category=category or lad.categories.first().slug,
            decision_challenged=decision or "The decision to step the case down to child in need.",
            concern=concern or "The child's school reports further unexplained absences and a disclosure that "
                               "the plan does not address.",
            basis="evidence", desired_outcome=outcome or "The plan stays in place until an updated assessment.",
            receiving_organisation=org[receiving] if receiving else None,
        )

    def climb(escalation: Escalation, who: str, times: int, *, upheld: bool = True) -> Escalation:
        """The holder upholds (or not), then the raiser escalates: ``times`` stages up."""
        for _ in range(times):
            if upheld:
                escalation = _respond(escalation, escalation.holder, "uphold",
                                      "The plan is proportionate to the risk as assessed.")
            escalation = services.escalation_escalate(escalation=escalation, actor=u(who),
                                                      reason="The concern remains after the decision.")
        return escalation

    # Bexley 5.5: imminent risk goes to the Director the same day, and the PSW is alerted at once.
    raise_("bexley-practitioner", "DEMO-BX-1006", "bexley-internal", risk="imminent", category="need-for-action",
           decision="The decision to return the children home tonight.",
           concern="The mother's partner, who the police removed last week, is back at the address.",
           outcome="The children stay with their grandmother until a strategy discussion tomorrow.")
    # Bexley 3.5 and 3.6: the Deputy Director's final decision, then the Director's exceptional stage.
    e = raise_("bexley-practitioner", "DEMO-BX-1007", "bexley-internal", category="level-of-need")
    e = climb(e, "bexley-practitioner", 3)
    e = _respond(e, u("bexley-deputy-director"), "uphold",
                 "Child in need is the right plan: the family engages and school attendance has improved.")
    services.escalation_escalate(
        escalation=e, actor=u("bexley-practitioner"),
        reason="Significant concerns remain: a new disclosure at school since the Deputy Director's decision.",
    )
    # Bexley 3.7: a decision agreed at one level, overturned higher up, reopened at the next level.
    e = raise_("bexley-practitioner", "DEMO-BX-1008", "bexley-internal", category="need-for-action")
    e = climb(e, "bexley-practitioner", 1)
    e = _respond(e, u("bexley-service-manager"), "agree", "A strategy discussion will be held this week.")
    e = services.escalation_accept(escalation=e, actor=u("bexley-practitioner"),
                                   agreed_outcome="Strategy discussion on Thursday.",
                                   outstanding_actions="The team manager books it and tells the practitioner.")
    services.escalation_reopen(escalation=e, actor=u("bexley-practitioner"),
                               reason="The strategy discussion was cancelled by a later decision; the risk remains.")
    # Bexley 5.3: significant harm, the same day to the Service Manager, climbed to the Deputy Director.
    e = raise_("bexley-practitioner", "DEMO-BX-1009", "bexley-internal", risk="significant_harm",
               category="need-for-action")
    climb(e, "bexley-practitioner", 2)
    # Bexley 3.9: the legal adviser disputes the outcome of a legal planning meeting with the team manager.
    lad = ladder["bexley-internal"]
    raise_("bexley-legal-adviser", "DEMO-BX-1003", "bexley-internal",
           category=_category(lad, "legal-planning-meeting", "need-for-action"),
           decision="The legal planning meeting's decision not to issue care proceedings.",
           concern="The threshold for proceedings is met on the chronology the meeting had.",
           outcome="The decision is reconsidered with the full chronology.")

    # Stoke 5: a dispute past its 20 working days: informal, then stages 1 and 2, now with the Assistant
    # Director, long after the overall deadline.
    stoke = org["stoke"]
    steps = [(32, None), (29, "uphold"), (28, "escalate"), (24, "uphold"), (23, "escalate"), (19, "uphold"),
             (18, "escalate")]
    e = None
    for ago, step in steps:
        with _as_of(_working_days_ago(ago, stoke)):
            if e is None:
                e = raise_("stoke-crm", "DEMO-ST-2006", "stoke-crm", category="assessments-late")
            elif step == "uphold":
                e = _respond(e, e.holder, "uphold", "The assessment is due to be completed next week.")
            else:
                e = services.escalation_escalate(escalation=e, actor=u("stoke-crm"),
                                                 reason="The assessment is still not completed.")
    # Stoke: with the Service Manager (stage 1), and straight to the Director (a skip, with its reason).
    e = raise_("stoke-crm", "DEMO-ST-2004", "stoke-crm", category="core-group-minutes")
    climb(e, "stoke-crm", 1)
    e = raise_("stoke-crm", "DEMO-ST-2005", "stoke-crm", category="poor-inter-agency-working")
    services.escalation_skip(escalation=e, actor=u("stoke-crm"), to_stage=4,
                             reason="Exceptionally serious: the plan has not been implemented for two months and the "
                                    "child has been injured (section 5).")
    # Stoke 8's figures: one resolved at the informal stage within 5 working days, one formal within 20.
    with _as_of(_working_days_ago(15, stoke)):
        e = raise_("stoke-crm", "DEMO-ST-2007", "stoke-crm", category="report-quality")
    with _as_of(_working_days_ago(13, stoke)):
        e = _respond(e, e.holder, "agree", "The report will be rewritten before the review conference.")
    with _as_of(_working_days_ago(12, stoke)):
        services.escalation_accept(escalation=e, actor=u("stoke-crm"), agreed_outcome="Report rewritten.",
                                   outstanding_actions="The team manager checks it before it is shared.")
    for ago, step in [(40, None), (36, "uphold"), (35, "escalate"), (32, "agree"), (31, "accept")]:
        with _as_of(_working_days_ago(ago, stoke)):
            if step is None:
                e = raise_("stoke-crm", "DEMO-ST-2007", "stoke-crm", category="visits-late")
            elif step == "uphold":
                e = _respond(e, e.holder, "uphold", "Visits are within timescale on the system.")
            elif step == "escalate":
                e = services.escalation_escalate(escalation=e, actor=u("stoke-crm"),
                                                 reason="The recorded visits were not to the child.")
            elif step == "agree":
                e = _respond(e, e.holder, "agree", "Visits every ten working days, seen alone.")
            else:
                services.escalation_accept(escalation=e, actor=u("stoke-crm"),
                                           agreed_outcome="Visits every ten working days, the child seen alone.",
                                           outstanding_actions="The service manager audits the visits in a month.")

    # Wiltshire 2.5: manager to manager, up to senior managers and senior leaders.
    e = raise_("puddleducks-practitioner", "DEMO-PD-4003", "wiltshire-multi-agency", receiving="wiltshire",
               category="need-for-action")
    climb(e, "puddleducks-practitioner", 2)
    e = raise_("puddleducks-practitioner", "DEMO-PD-4004", "wiltshire-multi-agency", receiving="wiltshire",
               category="roles-and-responsibilities")
    climb(e, "puddleducks-practitioner", 3)

    # Bristol partnership, with its health trust: each tier holds a stage; one is logged with the board.
    raise_("bristol-health-practitioner", "DEMO-BH-7001", "multi-agency-resolution-panel", receiving="bristol",
           category="level-of-need")
    e = raise_("bristol-social-worker", "DEMO-BR-6002", "multi-agency-resolution-panel", receiving="bristol-health",
               category="communication")
    climb(e, "bristol-social-worker", 1)
    e = raise_("bristol-social-worker", "DEMO-BR-6003", "multi-agency-resolution-panel", receiving="bristol-health",
               category="roles-and-responsibilities")
    e = climb(e, "bristol-social-worker", 2)
    services.escalation_log_with_board(escalation=e, actor=u("bristol-social-worker"),
                                       reason="Health and social care disagree who leads on the child's plan.")
    # BS3: the nursery manager, then the partner agency's manager under the partnership procedure.
    e = raise_("bs3-practitioner", "DEMO-B3-5003", "bs3-nursery", receiving="bristol", category="communication")
    climb(e, "bs3-practitioner", 1, upheld=False)
    e = raise_("bs3-practitioner", "DEMO-B3-5004", "bs3-nursery", receiving="bristol", category="level-of-need")
    climb(e, "bs3-practitioner", 2, upheld=False)
    e = raise_("bs3-practitioner", "DEMO-B3-5005", "multi-agency-resolution-panel", receiving="bristol",
               category="need-for-action")
    climb(e, "bs3-practitioner", 2)
    return count


def _procedure_paths(users: dict[str, User], cases: dict[str, Case]) -> int:
    """CONTRACT 8.8, the paths the other people of the procedures take: a resolution panel convened by the
    QA&P chair (001), debriefs after a resolution (001), a concern about a Conference and Review Manager
    (Stoke 9), and an absence with cover that has begun (CONTRACT 8.5)."""
    u = users.__getitem__
    ladder = {lad.slug: lad for lad in Ladder.objects.current()}
    count = 0
    # 001: three tiers could not agree; the Bristol partnership's QA&P chair convenes the panel of three
    # agencies (the raising and the receiving one among them, no party sitting), and the raiser writes in.
    e = services.escalation_raise(
        raised_by=u("bs3-practitioner"), case=cases["DEMO-B3-5001"], ladder=ladder["multi-agency-resolution-panel"],
        risk_level="standard", category="level-of-need",
        decision_challenged="Children's social care's decision that the family's needs are met by universal services.",
        concern="The nursery has recorded the child arriving hungry and unwashed on most days this half term.",
        basis="evidence", desired_outcome="A child and family assessment.",
        receiving_organisation=Organisation.objects.get(slug="bristol"),
    )
    count += 1
    for _ in range(3):
        e = _respond(e, e.holder, "uphold", "Universal services are meeting the child's needs.")
        e = services.escalation_escalate(escalation=e, actor=u("bs3-practitioner"),
                                         reason="The concern remains after the decision.")
    meeting = clock.local(timezone.now()).replace(hour=10, minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
    e = services.escalation_convene_panel(
        escalation=e, actor=e.holder, meeting_at=meeting,
        members=[u("bs3-nursery-manager"), u("bristol-head-of-service"), u("bristol-health-safeguarding-lead")],
    )
    services.escalation_add_note(escalation=e, actor=u("bs3-practitioner"),
                                 note="For the panel: the nursery's attendance and welfare records of this term.")
    # 001: after a resolution, the parties record what they learned (the holders of these two may still).
    for reference, who, note in (
        ("DEMO-BX-1005", "bexley-practitioner",
         "Bruising patterns go to a strategy discussion the same week; we raise it sooner next time."),
        ("DEMO-ST-2007", "stoke-crm", "Visit records are checked before conference, not after."),
    ):
        resolved = Escalation.objects.filter(case__reference=reference, state="resolved").order_by("pk").first()
        if resolved is not None:
            services.escalation_record_debrief(escalation=resolved, actor=u(who), note=note)
    # Stoke 9: a concern about a Conference and Review Manager, first with her, then with her Service Manager.
    e = services.escalation_raise(
        raised_by=u("stoke-team-manager"), case=cases["DEMO-ST-2003"], ladder=ladder["stoke-crm-concerns"],
        risk_level="standard", category=ladder["stoke-crm-concerns"].categories.first().slug,
        decision_challenged="The conference chair's decision to end the child protection plan.",
        concern="The decision was made before the core group's latest visit records were shared.",
        basis="professional_judgement", desired_outcome="The plan continues until the review conference.",
        holder=u("stoke-crm"),
    )
    count += 1
    e = _respond(e, u("stoke-crm"), "uphold", "The plan's outcomes were met on the evidence at conference.")
    services.escalation_escalate(escalation=e, actor=u("stoke-team-manager"),
                                 reason="The visit records were not before the conference.")
    # CONTRACT 8.5: Wiltshire's team manager is away this week; her service manager covers, and the
    # stages she held pass to him now, as the clock does at midnight.
    today = clock.local(timezone.now()).date()
    Absence.objects.create(person=u("wiltshire-team-manager"), starts_on=today, ends_on=today + dt.timedelta(days=4),
                           cover=u("wiltshire-service-manager"), recorded_by=u("wiltshire-service-manager"))
    absences_begin(now=timezone.now())
    return count


def _allocated_workers_add() -> None:
    """Stoke 4: the case's allocated social worker is a party to every dispute about their case."""
    for escalation in Escalation.objects.filter(ladder__slug="stoke-crm", case__reference__startswith="DEMO-",
                                                case__allocated_worker__isnull=False).select_related("case"):
        services._participant_add(escalation, escalation.case.allocated_worker, "allocated_worker")


# Bexley 4.4: the PSW raises systemic issues; each PSW's register has one (CONTRACT 8.8).
SYSTEMIC = [
    ("bexley-psw", SystemicIssueKind.IT, "Strategy discussion minutes cannot be attached in the case system",
     "Practitioners escalating over strategy discussions cannot attach the minutes: uploads over 2 MB time out, "
     "so decisions are challenged without the record.", "bexley-service-manager", "DEMO-BX-"),
    ("stoke-psw", SystemicIssueKind.BUREAUCRACY, "Conference reports shared late with parents",
     "Disputes show reports reaching parents after the 3 working days before an initial conference: the "
     "sign-off queue holds them.", "stoke-service-manager", "DEMO-ST-"),
]


def _systemic_issues(users: dict[str, User]) -> int:
    """One systemic issue in each PSW's register, linked to the organisation's demo escalations (idempotent)."""
    created = 0
    for psw, kind, title, description, owner, prefix in SYSTEMIC:
        actor = users[psw]
        if SystemicIssue.objects.filter(organisation_id=actor.organisation_id, title=title).exists():
            continue
        linked = list(Escalation.objects.filter(raising_organisation_id=actor.organisation_id,
                                                case__reference__startswith=prefix).order_by("pk")
                      .values_list("pk", flat=True)[:2])
        systemic_issue_create(actor=actor, kind=kind, title=title, description=description, owner=users[owner],
                              escalation_ids=linked)
        created += 1
    return created


@contextmanager
def _as_of(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment``, so that the history has real dates."""
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


# The partnership's history: who challenged whom, about what, and how many working days it took.
# (raiser, receiving organisation, category, months ago, working days to answer, stages climbed, outcome)
HISTORY = [
    ("puddleducks-practitioner", "wiltshire", "level-of-need", 6, 3, 0, "accepted"),
    ("puddleducks-designated-safeguarding-lead", "wiltshire", "level-of-need", 6, 4, 1, "accepted"),
    ("puddleducks-practitioner", "wiltshire", "need-for-action", 5, 2, 0, "accepted"),
    ("puddleducks-nursery-manager", "wiltshire", "communication", 5, 6, 1, "accepted"),
    ("wiltshire-social-worker", "puddleducks", "roles-and-responsibilities", 4, 2, 0, "accepted"),
    ("puddleducks-practitioner", "wiltshire", "level-of-need", 4, 5, 2, "upheld"),
    ("puddleducks-designated-safeguarding-lead", "wiltshire", "need-for-action", 3, 3, 0, "accepted"),
    ("wiltshire-team-manager", "puddleducks", "communication", 3, 4, 1, "accepted"),
    ("puddleducks-practitioner", "wiltshire", "roles-and-responsibilities", 2, 7, 1, "withdrawn"),
    ("puddleducks-practitioner", "wiltshire", "level-of-need", 2, 2, 0, "accepted"),
    ("puddleducks-designated-safeguarding-lead", "wiltshire", "need-for-action", 1, 4, 1, "accepted"),
    ("wiltshire-social-worker", "puddleducks", "communication", 1, 3, 0, "accepted"),
]


def _history(users: dict[str, User], cases: dict[str, Case]) -> int:
    """Resolved and withdrawn multi-agency escalations of the past months, for the board's report."""
    ladder = Ladder.objects.current().get(slug="wiltshire-multi-agency")
    count = 0
    for i, (who, receiving, category, months, days, climbs, outcome) in enumerate(HISTORY):
        raiser = users[who]
        # The past cases are their own: today's demo cases keep one live escalation each.
        if raiser.organisation.slug == "puddleducks":
            past = ["DEMO-PD-4003", "DEMO-PD-4004", "DEMO-PD-4005"]
        else:
            past = ["DEMO-WI-3002"]
        case = cases[past[i % len(past)]]
        start = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=30 * months + i), dt.time(9, 30),
                                    tzinfo=clock.LONDON)
        while not clock.is_working_day(start.date()):
            start += dt.timedelta(days=1)
        with _as_of(start):
            esc = services.escalation_raise(
                raised_by=raiser, case=case, ladder=ladder, risk_level="standard", category=category,
                decision_challenged="The other agency's decision on the referral.",
                concern="The information shared does not support the decision.", basis="evidence",
                desired_outcome="Review the decision together.",
                receiving_organisation=Organisation.objects.get(slug=receiving),
            )
        moment = start
        for step in range(climbs + 1):
            moment = clock.deadline(moment, max(1, days // (climbs + 1)) if step < climbs else
                                    max(1, days - (climbs * max(1, days // (climbs + 1))))) - dt.timedelta(hours=3)
            with _as_of(moment):
                esc.refresh_from_db()
                if outcome == "withdrawn" and step == climbs:
                    services.escalation_withdraw(escalation=esc, actor=raiser,
                                                 reason="Agreed at a joint meeting; no longer needed.")
                    break
                services.escalation_respond(escalation=esc, actor=esc.holder,
                                            decision="uphold" if outcome == "upheld" or step < climbs else "agree",
                                            rationale="Considered with the information both agencies hold.")
                if step < climbs:
                    services.escalation_escalate(escalation=esc, actor=raiser, reason="The concern remains.")
                elif outcome == "upheld":
                    services.escalation_accept(
                        escalation=esc, actor=raiser,
                        agreed_outcome="The decision stands; both agencies will review it in a month.",
                        outstanding_actions="A joint review meeting is booked.",
                    )
                else:
                    services.escalation_accept(escalation=esc, actor=raiser,
                                               agreed_outcome="The decision was changed as the raiser asked.",
                                               outstanding_actions="None outstanding.")
        count += 1
    return count


def demo_seed() -> list[str]:
    """Load policies, people, cases and escalations; a second run adds nothing."""
    report = policies_seed()
    with transaction.atomic():
        users = demo_people_seed()
        cases = _cases(users)
        report.append(f"{len(users)} demo users (password {DEMO_PASSWORD})")
        if Escalation.objects.filter(case__reference__startswith="DEMO-").exists():
            report.append("demo escalations: unchanged")
        else:
            made = (_escalations(users, cases) + _history(users, cases) + _paths(users, cases)
                    + _procedure_paths(users, cases))
            report.append(f"demo escalations: {made} created")
        _allocated_workers_add()
        report.append(f"systemic issues: {_systemic_issues(users)} created")
    return report
