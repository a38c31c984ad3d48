#!/usr/bin/env python
"""Time one sweep of the deadline engine: 500 due among 5,000 open escalations.

    python bench/sweep.py                                      # a fresh SQLite file, deleted after
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/et python bench/sweep.py
                                                               # a fresh database "et_bench", dropped after

It builds its own database (never the one DATABASE_URL names), loads the six ladders and the demo
people, creates the open escalations in bulk, then times one ``deadlines_sweep`` and prints the
milliseconds per due escalation (timeline entries and notifications included) and the number of SQL
statements. E-mails are queued on an in-memory broker, as a real sweep queues them on Redis.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_tracker.settings")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="sweep-bench-"))
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

# A mix of what is due, per 500: (ladder, risk level, stage, how it is due). The rest of the open
# escalations are spread over the same ladders with deadlines still to come.
DUE_MIX = [
    ("bexley-internal", "standard", 0, "stage"),  # the raiser may proceed, the holder is reminded
    ("bexley-internal", "significant_harm", 1, "stage"),  # advanced to the next stage
    ("bexley-internal", "imminent", 4, "stage"),  # the last stage: holder, PSW and raiser told
    ("stoke-crm", "standard", 2, "stage"),
    ("stoke-crm", "standard", 2, "overall"),  # Stoke's 20 working days passed
    ("wiltshire-multi-agency", "standard", 0, "stage"),
]
DUE_SHARE = [150, 150, 50, 50, 50, 50]  # of each 500 due


def build(*, open_count: int, due_count: int, now: dt.datetime) -> None:
    """Create the ladders, people, cases and escalations (in bulk, with real holders and deadlines)."""
    from cases.models import Case
    from demo.services import demo_people_seed
    from escalations.holders import holder_find
    from escalations.models import Escalation, Participant
    from organisations.models import Organisation
    from policies.models import Ladder
    from policies.services import policies_seed

    policies_seed()
    people = demo_people_seed()
    raisers = {"bexley-internal": people["bexley-practitioner"], "stoke-crm": people["stoke-crm"],
               "wiltshire-multi-agency": people["puddleducks-practitioner"]}
    wiltshire = Organisation.objects.get(slug="wiltshire")
    ladders = {slug: Ladder.objects.current().get(slug=slug) for slug in raisers}
    cases = {
        slug: Case.objects.bulk_create([
            Case(organisation=raiser.organisation, reference=f"BENCH-{slug[:3].upper()}-{n:04d}")
            for n in range(50)
        ])
        for slug, raiser in raisers.items()
    }
    holders: dict[tuple[str, int], object] = {}
    rows = []
    for i in range(open_count):
        slug, risk, stage, how = DUE_MIX[i % len(DUE_MIX)] if i >= due_count else _due_kind(i, due_count)
        ladder, raiser = ladders[slug], raisers[slug]
        receiving = wiltshire if ladder.multi_agency else None
        if (slug, stage) not in holders:
            holders[slug, stage] = holder_find(stage=ladder.stage(stage), raised_by=raiser,
                                               raising_organisation=raiser.organisation,
                                               receiving_organisation=receiving)
        due = i < due_count
        past, future = now - dt.timedelta(hours=1 + i % 48), now + dt.timedelta(days=1 + i % 9)
        rows.append(Escalation(
            case=cases[slug][i % 50], ladder=ladder, raising_organisation=raiser.organisation,
            receiving_organisation=receiving, risk_level=risk, category=ladder.categories.first().slug,
            decision_challenged="Closure to early help.", concern="Risk not reassessed.", basis="evidence",
            desired_outcome="Reassessment.", raised_by=raiser, raised_at=now - dt.timedelta(days=3),
            stage_index=stage, holder=holders[slug, stage], stage_started_at=now - dt.timedelta(days=2),
            stage_deadline=past if due and how == "stage" else future,
            overall_deadline=(past if due and how == "overall" else future + dt.timedelta(days=20))
            if slug == "stoke-crm" else None,
        ))
    created = Escalation.objects.bulk_create(rows, batch_size=500)
    Participant.objects.bulk_create(
        [Participant(escalation=e, user=e.raised_by, reason="raiser") for e in created]
        + [Participant(escalation=e, user=e.holder, reason="holder") for e in created if e.holder_id],
        batch_size=1000, ignore_conflicts=True,
    )


def _due_kind(i: int, due_count: int) -> tuple[str, str, int, str]:
    """The i-th due escalation's kind, in the proportions of DUE_SHARE."""
    position = i * 500 // max(due_count, 1)
    for kind, share in zip(DUE_MIX, DUE_SHARE, strict=True):
        if position < share:
            return kind
        position -= share
    return DUE_MIX[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=5000, help="open escalations (default 5,000)")
    parser.add_argument("--due", type=int, default=500, help="of which due (default 500)")
    parser.add_argument("--batch-size", type=int, default=None, help="the sweep's batch size")
    args = parser.parse_args()
    if not 0 < args.due <= args.open:
        parser.error("--due must be between 1 and --open")

    from escalation_tracker.celery import app

    app.conf.broker_url = "memory://"  # queue the e-mails, send nothing

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(Path(os.environ["VAR_DIR"]) / "bench.sqlite3")
    else:
        db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from deadlines.sweep import SWEEP_BATCH_SIZE, deadlines_sweep
    from escalations.models import Escalation, TimelineEntry
    from notifications.models import Notification
    from policies import clock

    now = timezone.now()
    # A running worker has loaded the bank-holiday calendar long before; so does the bench.
    clock.is_bank_holiday(now.date())
    clock.is_bank_holiday(now.date() + dt.timedelta(days=366))
    print(f"Building {args.open:,} open escalations, {args.due:,} due, on {connection.vendor} ...")
    build(open_count=args.open, due_count=args.due, now=now)
    assert Escalation.objects.live().count() == args.open
    batch_size = args.batch_size or SWEEP_BATCH_SIZE

    with CaptureQueriesContext(connection) as queries:
        started, cpu = time.perf_counter(), time.process_time()
        result = deadlines_sweep(now=now, batch_size=batch_size)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    handled = sum(n for outcome, n in result.counts.items())
    statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    second = deadlines_sweep(now=now, batch_size=batch_size)

    if connection.vendor == "sqlite":
        version = ".".join(map(str, connection.Database.sqlite_version_info))
    else:
        version = connection.pg_version
    print(f"database: {connection.vendor} {version}")
    print(f"batch size: {batch_size}")
    for outcome, n in sorted(result.counts.items()):
        print(f"  {outcome}: {n}")
    print(f"timeline entries written: {TimelineEntry.objects.filter(actor__isnull=True).count()}")
    print(f"notifications created: {Notification.objects.count()} (this sweep: {result.notifications})")
    print(f"one sweep: {elapsed * 1000:.1f} ms for {handled} due escalations "
          f"= {elapsed * 1000 / max(handled, 1):.3f} ms per due escalation "
          f"(this process's CPU: {cpu * 1000 / max(handled, 1):.3f} ms)")
    slowest = sorted(statements, key=lambda q: -float(q["time"]))[:3]
    print("slowest statements: " + "; ".join(f"{q['sql'][:40]}... {float(q['time']) * 1000:.0f} ms" for q in slowest))
    print(f"SQL statements: {len(statements)} ({len(statements) / max(handled, 1):.2f} per due escalation); "
          f"statement kinds: {dict(Counter(q['sql'].split()[0] for q in statements))}")
    print(f"a second sweep at the same moment: {second.summary()}")


if __name__ == "__main__":
    main()
