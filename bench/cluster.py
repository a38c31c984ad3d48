"""The data and the checks of scripts/cluster: prepare the run, wait for the clock, count what happened.

    python bench/cluster.py prepare --due 1000 --plan var/cluster/plan.json
    python bench/cluster.py arm --plan var/cluster/plan.json --due-in 20
    python bench/cluster.py drained --plan var/cluster/plan.json --timeout 120
    python bench/cluster.py verify --plan var/cluster/plan.json --locust var/cluster/load_stats.csv ...

``prepare`` adds, to a database where ``seed_demo`` has run: the escalations the locust users act on
(each user of the load its own, so that two never race for one), the escalations that fall due
during the run (their deadlines a week away until ``arm`` moves them to ``--due-in`` seconds from
now, just after the load starts) and the table the cluster's e-mail backend writes to
(``bench/cluster_mail.py``). ``drained`` waits until every due escalation is handled
and no e-mail that should go now is waiting. ``verify`` counts rows and prints the summary; it exits
non-zero when a check fails.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.cluster_mail import TABLE  # noqa: E402

# The dashboards whose p95 under load is compared with their idle p95 (names of the locust requests).
DASHBOARDS = ("dashboard: awaiting my response", "dashboard: my escalations", "dashboard: PSW overview",
              "dashboard: notifications")
# p95 under load must stay within this multiple of the idle p95 (issue 13).
P95_RATIO_LIMIT = 3.0
# Escalations each locust user may act on (arrange a meeting, then record a decision): more than one
# user gets through in the longest run.
ESCALATIONS_PER_SLOT = 8
# Who raises, on which ladder: the holder of stage 0 is found as the product finds it.
RAISERS = (("bexley-practitioner", "bexley-internal"), ("stoke-crm", "stoke-crm"),
           ("puddleducks-practitioner", "wiltshire-multi-agency"))
# The due escalations: a missed deadline that is notified (standard) or advances to the next stage
# (significant harm), on Bexley's ladder, alternately.
DUE_KINDS = (("standard", 0), ("significant_harm", 1))
CLOCK_ACTIONS = ("deadline_missed", "auto_advance")
DEADLINE_KINDS = ("deadline_missed", "auto_advanced")


def prepare(args: argparse.Namespace) -> None:
    from cases.models import Case
    from escalations.holders import holder_find
    from escalations.models import Escalation, Participant
    from organisations.models import Organisation, User
    from policies.models import Ladder

    now = timezone.now()
    later = now + dt.timedelta(days=7)
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    wiltshire = Organisation.objects.get(slug="wiltshire")
    ladders = {slug: Ladder.objects.current().get(slug=slug) for _, slug in RAISERS}
    categories = {slug: ladder.categories.first().slug for slug, ladder in ladders.items()}
    rows: list[Escalation] = []
    slot_of: list[int] = []
    cases: dict[str, list[Case]] = {}
    for username, slug in RAISERS:
        raiser = people[username]
        cases[slug] = Case.objects.bulk_create([
            Case(organisation=raiser.organisation, reference=f"LOAD-{slug[:3].upper()}-{n:03d}") for n in range(40)
        ])

    holders: dict[tuple[str, int], User] = {}

    def escalation(*, slug: str, risk: str, stage: int, deadline: dt.datetime, n: int) -> Escalation:
        username = dict((s, u) for u, s in RAISERS)[slug]
        raiser, ladder = people[username], ladders[slug]
        receiving = wiltshire if ladder.multi_agency else None
        if (slug, stage) not in holders:
            found = holder_find(stage=ladder.stage(stage), raised_by=raiser, raising_organisation=raiser.organisation,
                                receiving_organisation=receiving)
            if found is None:
                raise SystemExit(f"Nobody holds stage {stage} of {slug}: run seed_demo first.")
            holders[slug, stage] = found
        holder = holders[slug, stage]
        return Escalation(
            case=cases[slug][n % 40], ladder=ladder, raising_organisation=raiser.organisation,
            receiving_organisation=receiving, risk_level=risk, category=categories[slug],
            decision_challenged="Closure to early help.", concern="Risk not reassessed.", basis="evidence",
            desired_outcome="Reassessment.", raised_by=raiser, raised_at=now - dt.timedelta(days=2),
            stage_index=stage, holder=holder, stage_started_at=now - dt.timedelta(days=1), stage_deadline=deadline,
            overall_deadline=now + dt.timedelta(days=30) if slug == "stoke-crm" else None,
        )

    for slot in range(args.slots):
        slug = RAISERS[slot % len(RAISERS)][1]
        for i in range(ESCALATIONS_PER_SLOT):
            rows.append(escalation(slug=slug, risk="standard", stage=0, deadline=later,
                                   n=slot * ESCALATIONS_PER_SLOT + i))
            slot_of.append(slot)
    acting = len(rows)
    for i in range(args.due):
        risk, stage = DUE_KINDS[i % len(DUE_KINDS)]
        rows.append(escalation(slug="bexley-internal", risk=risk, stage=stage, deadline=later, n=i))
    with transaction.atomic():
        created = Escalation.objects.bulk_create(rows, batch_size=500)
        Participant.objects.bulk_create(
            [Participant(escalation=e, user=e.raised_by, reason="raiser") for e in created]
            + [Participant(escalation=e, user=e.holder, reason="holder") for e in created],
            batch_size=1000, ignore_conflicts=True,
        )
    slots: list[dict] = [{"username": "", "escalations": []} for _ in range(args.slots)]
    for esc, slot in zip(created[:acting], slot_of, strict=True):
        slots[slot]["username"] = esc.holder.username
        slots[slot]["escalations"].append({
            "id": esc.pk, "detail": reverse("escalations:detail", args=[esc.pk]),
            "arrange_meeting": reverse("escalations:arrange_meeting", args=[esc.pk]),
            "respond": reverse("escalations:respond", args=[esc.pk]),
        })
    due_ids = [esc.pk for esc in created[acting:]]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id integer PRIMARY KEY {_autoincrement()}, "
                       "recipient varchar(254) NOT NULL, subject varchar(400) NOT NULL, digest char(64) NOT NULL, "
                       "sent_at varchar(40) NOT NULL)")
    plan = {
        "due_ids": due_ids, "slots": slots,
        # Raisers and PSWs in turn, so that even a small run has both.
        "browsers": ["bexley-psw", "bexley-practitioner", "stoke-psw", "stoke-crm", "puddleducks-practitioner"],
        "escalation_pages": [s["escalations"][0]["detail"] for s in slots[:3]],
        "raisers": {slug: username for username, slug in RAISERS},
    }
    Path(args.plan).write_text(json.dumps(plan, indent=1))
    print(f"prepared {acting} escalations for {args.slots} acting users and {len(due_ids)} to fall due")


def arm(args: argparse.Namespace) -> None:
    """Move the due escalations' stage deadline to ``--due-in`` seconds from now (one UPDATE)."""
    from escalations.models import Escalation

    plan = json.loads(Path(args.plan).read_text())
    due_at = timezone.now() + dt.timedelta(seconds=args.due_in)
    moved = Escalation.objects.filter(pk__in=plan["due_ids"]).update(stage_deadline=due_at)
    print(f"{moved} escalations fall due at {timezone.localtime(due_at):%H:%M:%S}")


def _autoincrement() -> str:
    return "AUTOINCREMENT" if connection.vendor == "sqlite" else "GENERATED BY DEFAULT AS IDENTITY"


def _pending_emails() -> int:
    """Notifications whose e-mail should have gone now and has not, and meeting invitations not yet sent."""
    from notifications.emails import wants_now
    from notifications.models import Invitation, Notification

    waiting = Notification.objects.filter(email_sent_at__isnull=True).exclude(recipient__email="").select_related(
        "recipient", "recipient__notification_preference")
    invitations = Invitation.objects.filter(email_sent_at__isnull=True).exclude(recipient__email="").count()
    return sum(1 for n in waiting if wants_now(n)) + invitations


def _unhandled(due_ids: list[int]) -> int:
    from escalations.models import TimelineEntry

    handled = set(TimelineEntry.objects.filter(escalation_id__in=due_ids, action__in=CLOCK_ACTIONS)
                  .values_list("escalation_id", flat=True))
    return len(set(due_ids) - handled)


def drained(args: argparse.Namespace) -> None:
    plan = json.loads(Path(args.plan).read_text())
    deadline = time.monotonic() + args.timeout
    while True:
        unhandled, pending = _unhandled(plan["due_ids"]), _pending_emails()
        if not unhandled and not pending:
            print("the clock has handled every due escalation and every e-mail has gone")
            return
        if time.monotonic() > deadline:
            print(f"still waiting after {args.timeout} s: {unhandled} due escalations unhandled, {pending} e-mails")
            return
        time.sleep(2)


def _p95(path: str) -> dict[str, tuple[float, int, int]]:
    """Each request name's (p95 ms, requests, failures) from a locust ``_stats.csv``."""
    figures = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            figures[row["Name"]] = (float(row["95%"] or 0), int(row["Request Count"]), int(row["Failure Count"]))
    return figures


def _haproxy(path: str, *, from_line: int) -> tuple[int, int, int, Counter[str]]:
    """(requests, failed, retried or redispatched, status counts) from HAProxy's log lines ``status retries``,
    from line ``from_line`` on (the readiness probes of the start are before it)."""
    total = failed = retried = 0
    statuses: Counter[str] = Counter()
    lines = [line for line in Path(path).read_text(errors="replace").splitlines() if line.startswith("request ")]
    for line in lines[from_line:]:
        parts = line.split()
        if len(parts) < 3:
            continue
        status, retries = parts[1], parts[2]
        total += 1
        statuses[status] += 1
        if not status.isdigit() or int(status) >= 500:
            failed += 1
        if retries not in ("0", "+0"):
            retried += 1
    return total, failed, retried, statuses


def verify(args: argparse.Namespace) -> None:
    from deadlines.sweep import escalations_due
    from escalations.models import TimelineEntry
    from notifications.models import Invitation, Notification

    plan = json.loads(Path(args.plan).read_text())
    due_ids = plan["due_ids"]
    checks: list[tuple[bool, str]] = []
    lines: list[str] = []

    # 1. No failed request through the load balancer: locust's view and HAProxy's.
    idle, load = _p95(args.idle), _p95(args.load)
    seen = json.loads(Path(args.locust_requests).read_text())
    checks.append((seen["failures"] == 0, f"locust: {seen['requests']} requests (idle and load, sign-ins included), "
                                          f"{seen['failures']} failed {seen['failed'] or ''}"))
    total, failed, retried, statuses = _haproxy(args.haproxy_log, from_line=args.haproxy_from_line)
    checks.append((failed == 0, f"HAProxy: {total} requests, {failed} answered 5xx or not at all; "
                                f"{retried} retried on the other instance; statuses {dict(sorted(statuses.items()))}"))

    # 2. Every due escalation handled exactly once, each notification and e-mail once.
    entries = Counter(TimelineEntry.objects.filter(escalation_id__in=due_ids, action__in=CLOCK_ACTIONS)
                      .values_list("escalation_id", flat=True))
    once = sum(1 for pk in due_ids if entries[pk] == 1)
    twice = sum(1 for pk in due_ids if entries[pk] > 1)
    checks.append((once == len(due_ids) and twice == 0,
                   f"due escalations: {len(due_ids)}; handled once {once}, more than once {twice}, "
                   f"not handled {len(due_ids) - once - twice}"))
    still_due = escalations_due(now=timezone.now()).filter(pk__in=due_ids).count()
    checks.append((still_due == 0, f"due escalations still waiting for the clock: {still_due}"))
    notices = Notification.objects.filter(escalation_id__in=due_ids, kind__in=DEADLINE_KINDS)
    per_key = Counter(notices.values_list("recipient_id", "escalation_id", "kind", "stage_index"))
    doubled = sum(1 for n in per_key.values() if n > 1)
    told = set(notices.values_list("escalation_id", flat=True))
    checks.append((doubled == 0 and told == set(due_ids),
                   f"deadline notifications: {sum(per_key.values())} for {len(told)} escalations; doubled {doubled}"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT recipient, subject, digest FROM {TABLE}")
        mails = Counter(cursor.fetchall())
    # Every e-mail is a notification's or a meeting invitation's (an invitation, its update or its cancellation).
    sent = (Notification.objects.filter(email_sent_at__isnull=False).count()
            + Invitation.objects.filter(email_sent_at__isnull=False).count())
    mail_total = sum(mails.values())
    doubled_mails = {key: n for key, n in mails.items() if n > 1}
    checks.append((mail_total == sent and not doubled_mails,
                   f"e-mails: {mail_total} sent for {sent} notifications and invitations marked sent; "
                   f"the same e-mail twice: {len(doubled_mails)}"))
    pending = _pending_emails()
    checks.append((pending == 0, f"e-mails still waiting to go: {pending}"))

    # 3. The dashboards' p95 under load within 3x their idle p95 (only reported with --timings-reported-only).
    reported: list[str] = []
    lines.append(f"{'dashboard':<36} {'idle p95':>9} {'load p95':>9} {'ratio':>6} {'requests':>9}")
    for name in DASHBOARDS:
        if name not in idle or name not in load:
            checks.append((False, f"{name}: not measured (idle: {name in idle}, load: {name in load})"))
            continue
        (idle_p95, _, _), (load_p95, n, _) = idle[name], load[name]
        ratio = load_p95 / idle_p95 if idle_p95 else float("inf")
        lines.append(f"{name:<36} {idle_p95:>7.0f} ms {load_p95:>6.0f} ms {ratio:>6.2f} {n:>9}")
        words = f"{name}: p95 {load_p95:.0f} ms under load, {idle_p95:.0f} ms idle ({ratio:.2f}x, limit " \
                f"{P95_RATIO_LIMIT:.0f}x)"
        if args.timings_reported_only:
            reported.append(words)
        else:
            checks.append((ratio <= P95_RATIO_LIMIT, words))
    aggregated = load.get("Aggregated")
    if aggregated:
        lines.append(f"all requests under load: p95 {aggregated[0]:.0f} ms, {aggregated[1]} requests in "
                     f"{args.load_seconds} s ({aggregated[1] / max(args.load_seconds, 1):.1f} a second)")

    print("\n".join(lines))
    print()
    for ok, words in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {words}")
    for words in reported:
        print(f"  REPORT  {words}")
    summary = {"checks": [{"ok": ok, "check": words} for ok, words in checks], "reported": reported, "table": lines}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    if not all(ok for ok, _ in checks):
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--due", type=int, default=1000)
    p.add_argument("--slots", type=int, default=50, help="locust users that may act (one set of escalations each)")
    p.add_argument("--plan", required=True)
    a = sub.add_parser("arm")
    a.add_argument("--plan", required=True)
    a.add_argument("--due-in", type=int, default=20, help="seconds from now")
    d = sub.add_parser("drained")
    d.add_argument("--plan", required=True)
    d.add_argument("--timeout", type=int, default=120)
    v = sub.add_parser("verify")
    v.add_argument("--plan", required=True)
    v.add_argument("--idle", required=True, help="locust _stats.csv of the idle measurement")
    v.add_argument("--load", required=True, help="locust _stats.csv of the run under load")
    v.add_argument("--haproxy-log", required=True)
    v.add_argument("--haproxy-from-line", type=int, default=0)
    v.add_argument("--locust-requests", required=True, help="the JSON the locustfile writes: every request and failure")
    v.add_argument("--load-seconds", type=int, default=0)
    v.add_argument("--json", default="")
    v.add_argument("--timings-reported-only", action="store_true",
                   help="report the dashboards' p95 ratios without failing on them (CI's short run)")
    args = parser.parse_args()
    {"prepare": prepare, "arm": arm, "drained": drained, "verify": verify}[args.command](args)


if __name__ == "__main__":
    main()
