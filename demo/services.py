"""Fictional demo data (CONTRACT section 4): people, cases and escalations in every state.

No real child or worker: names are invented, references are in a DEMO- range.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.db import transaction
from django.utils import timezone

from cases.models import Case
from escalations import services
from escalations.models import Escalation
from organisations.models import Organisation, Partnership, Role, Team, User
from policies import clock
from policies.models import Ladder
from policies.services import policies_seed

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
}

BOARD = [
    ("wiltshire-qap-chair", "Elaine", "Marsh", Role.QAP_CHAIR, "wiltshire-partnership"),
    ("wiltshire-board-member", "David", "Kerr", Role.BOARD_MEMBER, "wiltshire-partnership"),
]

# Fictional cases: reference, display name (initials only), allocated worker.
CASES = {
    "bexley": [("DEMO-BX-1001", "A.B.", "bexley-practitioner"), ("DEMO-BX-1002", "C.D.", "bexley-practitioner"),
               ("DEMO-BX-1003", "E.F.", "bexley-practitioner"), ("DEMO-BX-1004", "G.H.", "bexley-practitioner"),
               ("DEMO-BX-1005", "J.K.", "bexley-practitioner")],
    "stoke": [("DEMO-ST-2001", "L.M.", "stoke-social-worker"), ("DEMO-ST-2002", "N.P.", "stoke-social-worker"),
              ("DEMO-ST-2003", "Q.R.", "stoke-social-worker")],
    "wiltshire": [("DEMO-WI-3001", "S.T.", "wiltshire-social-worker"),
                  ("DEMO-WI-3002", "F.G.", "wiltshire-social-worker")],
    "puddleducks": [("DEMO-PD-4001", "U.V.", "puddleducks-practitioner"),
                    ("DEMO-PD-4002", "W.X.", "puddleducks-practitioner"),
                    ("DEMO-PD-4003", "H.J.", "puddleducks-practitioner"),
                    ("DEMO-PD-4004", "K.L.", "puddleducks-practitioner"),
                    ("DEMO-PD-4005", "M.N.", "puddleducks-practitioner")],
    "bs3": [("DEMO-B3-5001", "Y.Z.", "bs3-practitioner"), ("DEMO-B3-5002", "A.C.", "bs3-practitioner")],
    "bristol": [("DEMO-BR-6001", "B.D.", "bristol-social-worker")],
}


def demo_people_seed() -> dict[str, User]:
    """Create the demo people of CONTRACT section 4 that are missing; return everyone by username."""
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
                          "team": team, "email": f"{username}@example.org"},
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
            report.append(f"demo escalations: {_escalations(users, cases) + _history(users, cases)} created")
    return report
