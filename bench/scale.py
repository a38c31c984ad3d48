#!/usr/bin/env python
"""Build the partnership data set: 100,000 escalations with their timelines and notifications.

    python bench/scale.py                         # SQLite: var/scale.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/et_scale python bench/scale.py
    python bench/scale.py --escalations 2000      # a smaller one

It migrates the database DATABASE_URL names (SQLite: ``var/scale.sqlite3`` unless DATABASE_URL is set),
loads the six ladders (``seed_policies``), then writes in bulk, with COPY on PostgreSQL and
``executemany`` on SQLite: 50 organisations in the two partnerships (the six of the procedures and 44
more), about 200 staff each with their line management, teams, the partnerships' QA&P chairs and
board members, cases, and the escalations of three years: about 7.5 timeline entries, 4.2
notifications and 2.7 participants each, about 18% of them live. Holders follow the ladders' roles and
tiers in the holding organisation (the raiser's own line manager where they have the role). It refuses
a database that already has escalations unless ``--reset`` empties it first, or ``--add`` adds to them
(among the same people). Then it runs ANALYZE.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.UTC

# Live states and how often a live escalation is in each (the rest are resolved or withdrawn).
LIVE_MIX = (("open", 45), ("meeting_arranged", 15), ("responded", 30), ("in_mediation", 10))
# How far up a ladder escalations go: most are settled at the first stage (weights by stage index).
STAGE_WEIGHTS = (60, 22, 10, 5, 3)
RISK_MIX = (("standard", 85), ("significant_harm", 12), ("imminent", 3))
FIRST_NAMES = ("Alex", "Sam", "Jo", "Priya", "Tom", "Aisha", "Chris", "Maria", "Ben", "Nia", "Omar", "Kate")
LAST_NAMES = ("Smith", "Jones", "Patel", "Brown", "Khan", "Taylor", "Evans", "Ahmed", "Wilson", "Clarke")
# Unusable (it starts with "!"), and marks the people a build wrote: a later build adds escalations among them.
GENERATED_PASSWORD = "!scale"
NOTIFIED_KINDS = ("escalation_raised", "response_recorded", "stage_escalated", "deadline_reminder",
                  "deadline_missed", "resolved", "meeting_arranged")


def django_setup() -> None:
    """Point Django at the bench database (SQLite var/scale.sqlite3 unless DATABASE_URL is set)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'scale.sqlite3'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()


# --- writing many rows ---------------------------------------------------------------------------------
def _converter(field, vendor: str) -> Callable[[Any], Any]:
    """How one column's Python value is written: COPY text on PostgreSQL, a DB-API value on SQLite."""
    from django.db import models

    if vendor == "postgresql":
        if isinstance(field, models.BooleanField):
            return lambda v: r"\N" if v is None else ("t" if v else "f")
        if isinstance(field, models.JSONField):
            return lambda v: r"\N" if v is None else json.dumps(v).replace("\\", "\\\\")
        if isinstance(field, models.DateTimeField):
            return lambda v: r"\N" if v is None else v.isoformat()
        return lambda v: r"\N" if v is None else str(v)
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(field, models.DateTimeField):  # Django keeps naive UTC text in SQLite
        return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(field, models.BooleanField):
        return lambda v: None if v is None else int(v)
    return lambda v: v


def load(model, rows: Sequence[dict[str, Any]]) -> int:
    """Write rows given as {attname: value} (the primary key included); a column a row leaves out gets
    the field's default. COPY on PostgreSQL, one executemany on SQLite. Texts must hold no tab,
    newline or backslash (the data set's never do)."""
    from django.db import connection, transaction

    if not rows:
        return 0
    vendor = connection.vendor
    fields = list(model._meta.concrete_fields)
    plan = []
    for f in fields:
        default = None if f.primary_key else f.get_default()
        plan.append((f.attname, default, _converter(f, vendor)))
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            buffer = io.StringIO()
            write = buffer.write
            for row in rows:
                write("\t".join([convert(row.get(name, default)) for name, default, convert in plan]))
                write("\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            values = [tuple(convert(row.get(name, default)) for name, default, convert in plan) for row in rows]
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)
    return len(rows)


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


# --- the people -----------------------------------------------------------------------------------------
# Staff of a local authority, by role: (role, how many, whose report); "team_manager" and the rest scale.
LA_SENIOR = (
    ("director", 1, None), ("deputy_director", 1, "director"), ("assistant_director", 1, "deputy_director"),
    ("head_of_service", 2, "deputy_director"), ("strategic_manager", 2, "assistant_director"),
    ("service_manager", 4, "head_of_service"), ("psw", 1, "director"),
    ("conference_review_manager", 3, "service_manager"), ("legal_adviser", 1, "head_of_service"),
)
NURSERY_SENIOR = (("owner", 1, None), ("nursery_manager", 2, "owner"))


class People:
    """The generated staff, indexed for choosing raisers and holders in memory."""

    def __init__(self) -> None:
        self.by_org_role: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.manager: dict[int, int | None] = {}
        self.role: dict[int, str] = {}
        self.org: dict[int, int | None] = {}
        self.board: dict[int, list[int]] = defaultdict(list)  # partnership -> QA&P chair first, then members

    def chain(self, user: int) -> Iterable[int]:
        seen = {user}
        current = self.manager.get(user)
        while current is not None and current not in seen:
            yield current
            seen.add(current)
            current = self.manager.get(current)


def people_load() -> People | None:
    """The people an earlier build wrote (their password marks them), to add escalations among them."""
    from organisations.models import User

    rows = list(User.objects.filter(password=GENERATED_PASSWORD).order_by("pk").values_list(
        "pk", "organisation_id", "partnership_id", "role", "line_manager_id"))
    if not rows:
        return None
    people = People()
    for pk, organisation_id, partnership_id, role, manager in rows:
        people.manager[pk], people.role[pk], people.org[pk] = manager, role, organisation_id
        if organisation_id is not None:
            people.by_org_role[organisation_id, role].append(pk)
        elif partnership_id is not None:
            people.board[partnership_id].append(pk)
    return people


def build_people(*, organisations: list, per_org: int, partnerships: list, now: dt.datetime,
                 rng: random.Random) -> People:
    from organisations.models import Team, User

    people = People()
    users: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    user_id, team_id = _next_id(User), _next_id(Team)

    def person(org, role: str, manager: int | None, team: int | None = None, partnership: int | None = None) -> int:
        nonlocal user_id
        pk = user_id
        user_id += 1
        owner = org.slug if org is not None else f"board{partnership}"
        users.append({
            "id": pk, "password": GENERATED_PASSWORD, "username": f"{owner}-{role.replace('_', '-')}-{pk}",
            "first_name": rng.choice(FIRST_NAMES), "last_name": rng.choice(LAST_NAMES),
            "email": f"user{pk}@example.org", "is_active": True, "is_staff": False, "is_superuser": False,
            "date_joined": now, "last_login": None, "organisation_id": org.pk if org is not None else None,
            "partnership_id": partnership, "role": role, "team_id": team, "line_manager_id": manager,
            "job_title": "",
        })
        people.manager[pk], people.role[pk] = manager, role
        people.org[pk] = org.pk if org is not None else None
        if org is not None:
            people.by_org_role[org.pk, role].append(pk)
        return pk

    for org in organisations:
        senior = LA_SENIOR if org.kind == "local_authority" else NURSERY_SENIOR
        for role, count, reports_to in senior:
            for n in range(count):
                above = people.by_org_role[org.pk, reports_to] if reports_to else []
                person(org, role, above[n % len(above)] if above else None)
        middle, front = (("team_manager", ("social_worker", "practitioner")) if org.kind == "local_authority"
                         else ("designated_safeguarding_lead", ("practitioner",)))
        above_middle = people.by_org_role[org.pk, "service_manager" if org.kind == "local_authority"
                                          else "nursery_manager"]
        middles = max(2, per_org // 12)
        for n in range(middles):
            teams.append({"id": team_id, "organisation_id": org.pk, "name": f"Team {team_id}"})
            person(org, middle, above_middle[n % len(above_middle)], team=team_id)
            team_id += 1
        managers = people.by_org_role[org.pk, middle]
        first_team = team_id - middles
        for n in range(max(per_org - len([u for u in users if u["organisation_id"] == org.pk]), 2)):
            person(org, front[n % len(front)], managers[n % len(managers)], team=first_team + n % middles)
    for partnership in partnerships:
        people.board[partnership.pk].append(person(None, "qap_chair", None, partnership=partnership.pk))
        for _ in range(2):
            people.board[partnership.pk].append(person(None, "board_member", None, partnership=partnership.pk))
    load(Team, teams)
    load(User, users)
    return people


# --- the escalations -----------------------------------------------------------------------------------
def _weighted(rng: random.Random, mix: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in mix], weights=[w for _, w in mix])[0]


def build(*, escalations: int, organisations: int = 50, users: int | None = None, seed: int = 13,
          now: dt.datetime | None = None, say: Callable[[str], None] = print) -> dict[str, int]:
    """Write the data set into the current database (migrated, without escalations); return the counts."""
    from django.db import connection
    from django.utils import timezone

    from cases.models import Case
    from escalations.models import Escalation, Participant, TimelineEntry
    from notifications.models import Notification
    from organisations.models import Organisation, Partnership
    from policies.models import Ladder
    from policies.services import organisation_seed, policies_seed

    rng = random.Random(seed)
    now = (now or timezone.now()).astimezone(UTC)
    started = time.perf_counter()
    policies_seed()
    partnerships = list(Partnership.objects.order_by("pk"))
    existing = list(Organisation.objects.order_by("pk"))
    extra = max(organisations - len(existing), 0)
    for n in range(extra):
        kind = "local_authority" if n % 2 == 0 else "nursery"
        organisation, _ = organisation_seed(slug=f"scale-org-{n + 1:02d}", name=f"Partner Organisation {n + 1:02d}",
                                            kind=kind)
        partnerships[n % len(partnerships)].members.add(organisation)
    orgs = list(Organisation.objects.order_by("pk"))
    members: dict[int, list] = {p.pk: list(p.members.order_by("pk")) for p in partnerships}
    partnership_of: dict[int, int] = {}
    for pk, orgs_in in members.items():
        for org in orgs_in:
            partnership_of.setdefault(org.pk, pk)
    users = users or max(escalations // 10, 24 * len(orgs))
    people = people_load() or build_people(organisations=orgs, per_org=max(users // len(orgs), 20),
                                           partnerships=partnerships, now=now, rng=rng)
    say(f"  {len(orgs)} organisations, {len(people.role):,} people ({time.perf_counter() - started:.1f} s)")

    ladders = {ladder.slug: ladder for ladder in Ladder.objects.current().prefetch_related("stages", "categories")}
    stages = {slug: ladder.stage_list() for slug, ladder in ladders.items()}
    categories = {slug: [c.slug for c in ladder.categories.all()] for slug, ladder in ladders.items()}
    tiers: dict[tuple[int, str], list[str]] = {}
    for org in orgs:
        for tier in ("practitioner", "manager", "senior_manager", "senior_leader"):
            tiers[org.pk, tier] = org.roles_for_tier(tier)
    own_ladder = {ladder.organisation_id: slug for slug, ladder in ladders.items()
                  if ladder.organisation_id and slug != "stoke-crm-concerns"}
    partnership_ladder = {ladder.partnership_id: slug for slug, ladder in ladders.items() if ladder.partnership_id}
    psw = {org.pk: people.by_org_role.get((org.pk, "psw"), []) for org in orgs}

    def holder_of(stage, raiser: int, org_pk: int) -> int | None:
        roles = [stage.role] if stage.role else tiers.get((org_pk, stage.tier), [])
        for manager in people.chain(raiser):
            if people.role[manager] in roles and people.org[manager] == org_pk:
                return manager
        pool = [pk for role in roles for pk in people.by_org_role.get((org_pk, role), []) if pk != raiser]
        return pool[rng.randrange(len(pool))] if pool else None

    # Cases: one for every two escalations, spread over the organisations.
    case_id = _next_id(Case)
    cases: dict[int, list[int]] = defaultdict(list)
    case_rows = []
    for n in range(max(escalations // 2, len(orgs))):
        org = orgs[n % len(orgs)]
        case_rows.append({"id": case_id, "reference": f"SC-{case_id:07d}", "organisation_id": org.pk,
                          "display_name": f"{rng.choice('ABCDEFGHJKLMNPRSTW')}.{rng.choice('ABCDEFGHJKLMNPRSTW')}.",
                          "allocated_worker_id": None, "created_at": now - dt.timedelta(days=1200)})
        cases[org.pk].append(case_id)
        case_id += 1
    load(Case, case_rows)

    esc_rows: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    esc_id, entry_id, note_id, part_id = (_next_id(Escalation), _next_id(TimelineEntry),
                                          _next_id(Notification), _next_id(Participant))
    span = dt.timedelta(days=3 * 365)
    first_day = now - span
    raiser_roles = ("social_worker", "practitioner")
    for i in range(escalations):
        org = orgs[rng.randrange(len(orgs))]
        slug = own_ladder.get(org.pk)
        if org.pk in partnership_of and (slug is None or rng.random() < 0.3):
            slug = partnership_ladder[partnership_of[org.pk]]
        ladder = ladders[slug]
        receiving = None
        if ladder.partnership_id:
            partners = [o for o in members[ladder.partnership_id] if o.pk != org.pk]
            receiving = partners[rng.randrange(len(partners))]
        roles = ladder.raiser_roles or raiser_roles
        pool = [pk for role in roles for pk in people.by_org_role.get((org.pk, role), [])]
        if not pool:
            pool = [pk for pk, role in people.role.items() if people.org[pk] == org.pk]
        raiser = pool[rng.randrange(len(pool))]
        raised_at = first_day + span * (i / escalations) + dt.timedelta(minutes=rng.randrange(600))
        raised_at = min(raised_at, now - dt.timedelta(minutes=5))
        age = (now - raised_at).days
        live = rng.random() < (0.8 if age < 90 else 0.12)
        state = _weighted(rng, LIVE_MIX) if live else ("resolved" if rng.random() < 0.88 else "withdrawn")
        if state == "in_mediation" and not ladder.mediation_allowed:
            state = "responded"
        ladder_stages = [s for s in stages[slug] if not s.exceptional]
        top = len(ladder_stages) - 1
        stage_index = min(_weighted(rng, list(enumerate(STAGE_WEIGHTS))), top)
        risk = _weighted(rng, RISK_MIX)
        entry = 1 if slug == "bexley-internal" and risk != "standard" else 0
        stage_index = max(stage_index, entry)
        holders = []
        for index in range(entry, stage_index + 1):
            stage = ladder_stages[index]
            holding = receiving if stage.in_receiving_organisation and receiving is not None else org
            holders.append(holder_of(stage, raiser, holding.pk))
        stage = ladder_stages[stage_index]
        stage_started = raised_at + dt.timedelta(days=2 * (stage_index - entry), hours=rng.randrange(6))
        stage_deadline = stage_started + dt.timedelta(days=max(stage.working_days, 0) * 7 // 5 + 1)
        overall = (raised_at + dt.timedelta(days=28)) if ladder.overall_working_days else None
        closed_at = None
        if not live:
            closed_at = min(stage_started + dt.timedelta(days=rng.randrange(1, 9), hours=rng.randrange(8)), now)
        awaiting = state in ("open", "meeting_arranged")
        mediator = None
        if state == "in_mediation" or (state == "resolved" and ladder.mediation_allowed and rng.random() < 0.05):
            parties = (org.pk, receiving.pk if receiving else 0)
            others = [o for o in members[ladder.partnership_id] if o.pk not in parties]
            if others:
                other = others[rng.randrange(len(others))]
                candidates = people.by_org_role.get((other.pk, "service_manager"), []) or \
                    people.by_org_role.get((other.pk, "nursery_manager"), [])
                mediator = candidates[0] if candidates else None
        board_logged = None
        if ladder.board_logging_allowed and rng.random() < 0.08:
            board_logged = raised_at + dt.timedelta(days=2 + stage_index)
        decided = state in ("responded", "resolved", "in_mediation")
        esc_rows.append({
            "id": esc_id, "case_id": cases[org.pk][rng.randrange(len(cases[org.pk]))], "ladder_id": ladder.pk,
            "raising_organisation_id": org.pk, "receiving_organisation_id": receiving.pk if receiving else None,
            "state": state, "risk_level": risk, "category": rng.choice(categories[slug]),
            "decision_challenged": "Closure to early help without a reassessment.",
            "concern": "The risk from the new partner has not been assessed.", "basis": "evidence",
            "desired_outcome": "A reassessment and a strategy discussion.", "raised_by_id": raiser,
            "raised_at": raised_at, "stage_index": stage_index, "holder_id": holders[-1],
            "stage_started_at": stage_started, "stage_deadline": stage_deadline, "overall_deadline": overall,
            # The clock handled every deadline that had passed (a sweep a minute ago).
            "missed_deadline_handled": stage_deadline if awaiting and stage_deadline <= now else None,
            "overall_deadline_handled": bool(live and overall is not None and overall <= now),
            "meeting_at": stage_started + dt.timedelta(days=1) if state != "open" else None,
            "decision": ("uphold" if rng.random() < 0.6 else "agree") if decided else "",
            "rationale": "The plan addresses the risk." if decided else "",
            "agreed_outcome": "Reassessment within ten working days." if state == "resolved" else "",
            "outstanding_actions": "", "mediator_id": mediator, "board_logged_at": board_logged,
            "resolved_at": closed_at if state == "resolved" else None, "closed_at": closed_at,
            "times_reopened": 0, "times_auto_advanced": 1 if risk != "standard" and stage_index > entry else 0,
            "version": 1,
        })

        # The timeline: raised, then a meeting, a decision and an escalation for each stage passed, then
        # what happened at this stage, with a few notes.
        at = raised_at
        steps: list[tuple[str, str, str, int, int | None]] = [("raise", "", "open", entry, raiser)]
        for k, index in enumerate(range(entry, stage_index)):
            steps += [("arrange_meeting", "open", "meeting_arranged", index, holders[k]),
                      ("respond", "meeting_arranged", "responded", index, holders[k]),
                      ("escalate", "responded", "open", index + 1, raiser)]
        now_holder = holders[-1]
        tail = {
            "open": [("deadline_missed", "open", "open", stage_index, None)] if stage_deadline <= now else [],
            "meeting_arranged": [("arrange_meeting", "open", "meeting_arranged", stage_index, now_holder)],
            "responded": [("arrange_meeting", "open", "meeting_arranged", stage_index, now_holder),
                          ("respond", "meeting_arranged", "responded", stage_index, now_holder)],
            "in_mediation": [("respond", "open", "responded", stage_index, now_holder),
                             ("start_mediation", "responded", "in_mediation", stage_index, raiser)],
            "resolved": [("arrange_meeting", "open", "meeting_arranged", stage_index, now_holder),
                         ("respond", "meeting_arranged", "responded", stage_index, now_holder),
                         ("accept", "responded", "resolved", stage_index, raiser)],
            "withdrawn": [("withdraw", "open", "withdrawn", stage_index, raiser)],
        }[state]
        steps += tail
        if board_logged is not None:
            steps.append(("log_with_board", state, state, stage_index, raiser))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4))):
            steps.append(("note", state, state, stage_index, rng.choice((raiser, now_holder))))
        step_gap = max((closed_at or now) - raised_at, dt.timedelta(minutes=len(steps))) / len(steps)
        for n, (action, before, after, index, actor) in enumerate(steps):
            at = raised_at + step_gap * n
            timeline.append({"id": entry_id, "escalation_id": esc_id, "at": at, "actor_id": actor, "action": action,
                             "from_state": before, "to_state": after, "stage_index": index,
                             "note": "Discussed with the team manager." if action == "note" else "", "params": {}})
            entry_id += 1

        # Participants: the raiser, every holder, the mediator.
        seen: set[int] = set()
        for user, reason in [(raiser, "raiser"), *[(h, "holder") for h in holders], (mediator, "mediator")]:
            if user is not None and user not in seen:
                seen.add(user)
                parts.append({"id": part_id, "escalation_id": esc_id, "user_id": user, "reason": reason})
                part_id += 1

        # Notifications: the holders told of the raise and each escalation, the raiser of each decision,
        # reminders and missed deadlines; the PSW of a high-risk one.
        told = [p for p in seen]
        count = rng.choice((3, 3, 4, 4, 4, 5, 5, 5))
        for n in range(count):
            recipient = told[n % len(told)]
            created = raised_at + step_gap * min(n * 2, len(steps) - 1)
            notes.append({"id": note_id, "recipient_id": recipient, "kind": NOTIFIED_KINDS[n % len(NOTIFIED_KINDS)],
                          "escalation_id": esc_id, "stage_index": stage_index, "deadline": stage_deadline,
                          "dedupe_key": f"scale:{esc_id}:{n}", "message": f"Escalation {esc_id}: something happened.",
                          "created_at": created, "read_at": created + dt.timedelta(hours=3) if age > 7 else None,
                          "email_sent_at": created, "urgent": False, "params": {}})
            note_id += 1
        if risk != "standard" and psw.get(org.pk):
            notes.append({"id": note_id, "recipient_id": psw[org.pk][0], "kind": "psw_alert", "escalation_id": esc_id,
                          "stage_index": entry, "deadline": None, "dedupe_key": f"scale:{esc_id}:psw",
                          "message": f"Escalation {esc_id} raised at {risk}.", "created_at": raised_at,
                          "read_at": None if age < 7 else raised_at, "email_sent_at": raised_at, "urgent": True,
                          "params": {}})
            note_id += 1
        esc_id += 1

        if len(timeline) > 200_000 or i == escalations - 1:
            load(Escalation, esc_rows)
            load(Participant, parts)
            load(TimelineEntry, timeline)
            load(Notification, notes)
            esc_rows, parts, timeline, notes = [], [], [], []
            say(f"  {i + 1:,} escalations ({time.perf_counter() - started:.1f} s)")

    _sequences_reset()
    with connection.cursor() as cursor:
        # Fresh statistics for the planner; on PostgreSQL outside a transaction also the visibility map
        # that index-only scans read (VACUUM cannot run inside one: a test's data set gets ANALYZE only).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" and not connection.in_atomic_block
                       else "ANALYZE")
    counts = {
        "organisations": Organisation.objects.count(), "users": len(people.role),
        "cases": Case.objects.count(), "escalations": Escalation.objects.count(),
        "live": Escalation.objects.live().count(), "timeline_entries": TimelineEntry.objects.count(),
        "notifications": Notification.objects.count(), "participants": Participant.objects.count(),
    }
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _sequences_reset() -> None:
    """On PostgreSQL, move each table's id sequence past the ids written (SQLite needs nothing)."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def prepare(*, reset: bool, add: bool = False) -> None:
    """Migrate; refuse a database with escalations unless ``reset`` (empty it first) or ``add``."""
    from django.core.management import call_command

    from escalations.models import Escalation

    call_command("migrate", verbosity=0, interactive=False)
    if Escalation.objects.exists() and not add:
        if not reset:
            raise SystemExit("This database has escalations already: give --reset to empty it first.")
        call_command("flush", verbosity=0, interactive=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=100_000, help="how many (default 100,000)")
    parser.add_argument("--organisations", type=int, default=50, help="how many (default 50)")
    parser.add_argument("--users", type=int, default=None, help="how many staff (default a tenth of --escalations)")
    parser.add_argument("--reset", action="store_true", help="empty the database first if it has escalations")
    parser.add_argument("--add", action="store_true", help="add to the escalations there, among the same people")
    parser.add_argument("--seed", type=int, default=13, help="the random seed (the same seed, the same data)")
    args = parser.parse_args()
    django_setup()
    from django.db import connection

    started = time.perf_counter()
    prepare(reset=args.reset, add=args.add)
    print(f"Building {args.escalations:,} escalations on {connection.vendor} ({connection.settings_dict['NAME']}) ...")
    counts = build(escalations=args.escalations, organisations=args.organisations, users=args.users, seed=args.seed)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    for name, value in counts.items():
        print(f"{name}: {value:,}")


if __name__ == "__main__":
    main()
