#!/usr/bin/env python
"""Measure every page, API list and the sweep on the data set bench/scale.py built, against a floor.

    python bench/run.py                           # SQLite: var/scale.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/et_scale python bench/run.py
    python bench/run.py --repeat 50 --json var/run.json

Server time is measured in this process with Django's test Client (``force_login``), through the whole
middleware stack. Every request is paired with one to a minimal view behind the same middleware and
``login_required`` (the floor), in the same round, and the rounds are repeated; each page's p50 and
p95 are then given in milliseconds and as a ratio to the floor's. The SQL statements of each request
are counted once, apart from the timed rounds. The sweep is timed at ``--sweep-due`` due escalations
among each of ``--sweep-live`` live ones: inside a transaction that is rolled back, all other
escalations are closed, the chosen ones made live (some awaiting their holder with deadlines to come or
already handled, some responded) and the due ones given a deadline an hour ago; then one
``deadlines_sweep`` runs. The table goes to the terminal and everything to the JSON file.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Targets (issue 13): every page and API call's p95 at most this many times the floor's, and the sweep.
PAGE_TARGET_RATIO = 25
REPORT_TARGET_MS = 300
SWEEP_TARGET_MS_PER_DUE = 1.0
SWEEP_TARGET_GROWTH = 1.3


def django_setup() -> None:
    os.environ.setdefault("API_RATE_USER", "1000000/hour")  # the benchmark is not throttled
    # Production's settings (DEBUG off) but plain HTTP: the test client speaks to the app, not to TLS.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    from bench.scale import django_setup as setup

    setup()


class _Rollback(Exception):
    """Leave the sweep's changes behind: the transaction rolls back."""


def _floor_urls() -> str:
    """A URL conf with the project's URLs and the floor: a trivial view behind ``login_required``."""
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import include, path

    name = "bench_run_urls"
    if name not in sys.modules:
        @login_required
        def floor(request):
            return HttpResponse("ok", content_type="text/plain")

        module = types.ModuleType(name)
        module.urlpatterns = [path("bench/floor/", floor), path("", include(settings.ROOT_URLCONF))]  # type: ignore[attr-defined]
        sys.modules[name] = module
    return name


@dataclass
class Target:
    name: str
    url: str
    user: Any
    kind: str = "page"  # page, api or report


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def targets_choose() -> list[Target]:
    """The people and escalations the pages are measured for: the busiest of each kind."""
    from django.db.models import Count
    from django.utils import timezone

    from escalations.models import Escalation, TimelineEntry
    from notifications.models import Notification
    from organisations.models import Role, User

    def top(queryset, field: str) -> int:
        row = queryset.values(field).annotate(n=Count("pk")).order_by("-n", field).first()
        if row is None or row[field] is None:
            raise SystemExit("No data: build it first with bench/scale.py.")
        return row[field]

    holder = User.objects.get(pk=top(Escalation.objects.live().exclude(holder=None), "holder"))
    raiser = User.objects.get(pk=top(Escalation.objects.all(), "raised_by"))
    org = top(Escalation.objects.live().filter(raising_organisation__staff__role=Role.PSW), "raising_organisation")
    psw = User.objects.filter(organisation_id=org, role=Role.PSW).order_by("pk").first()
    manager = (User.objects.filter(organisation_id=holder.organisation_id, role=Role.HEAD_OF_SERVICE).order_by("pk")
               .first() or holder)
    logged = Escalation.objects.filter(board_logged_at__isnull=False)
    partnership = top(logged, "ladder__partnership") if logged.exists() else None
    chair = User.objects.filter(role=Role.QAP_CHAIR, partnership_id=partnership).order_by("pk").first()
    board = User.objects.filter(role=Role.BOARD_MEMBER, partnership_id=partnership).order_by("pk").first()
    reader = User.objects.get(pk=top(Notification.objects.all(), "recipient"))
    escalation = Escalation.objects.get(pk=top(TimelineEntry.objects.filter(escalation__raised_by=raiser),
                                               "escalation"))
    today = timezone.localdate()
    year = f"from={(today - dt.timedelta(days=364)).isoformat()}&to={today.isoformat()}"
    found = [
        Target("awaiting my response", "/escalations/awaiting/", holder),
        Target("my escalations", "/escalations/mine/", raiser),
        Target("my team's escalations", "/escalations/awaiting/team/", manager),
        Target("PSW overview", "/escalations/psw-overview/", psw),
        Target("QA&P board log", "/escalations/board-logged/", chair),
        Target("themes report, a year", f"/reports/?{year}", board, kind="report"),
        Target("escalation page", f"/escalations/{escalation.pk}/", raiser),
        Target("printable record", f"/escalations/{escalation.pk}/record/", raiser),
        Target("notifications", "/notifications/", reader),
        Target("API list, PSW", "/api/v1/escalations/", psw, kind="api"),
        Target("API list, holder=me", "/api/v1/escalations/?holder=me", holder, kind="api"),
        Target("API detail", f"/api/v1/escalations/{escalation.pk}/", raiser, kind="api"),
        Target("API notifications", "/api/v1/notifications/", reader, kind="api"),
    ]
    return [t for t in found if t.user is not None]


def targets_choose_names() -> list[str]:
    """The names of the pages measured, in order."""
    return [target.name for target in targets_choose()]


def pages_measure(targets: list[Target], *, repeat: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Time each target and the floor in alternation, ``repeat`` rounds; count each one's statements."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    clients: dict[int, Client] = {}

    def client_for(user) -> Client:
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        return clients[user.pk]

    floor_url = "/bench/floor/"
    results: dict[str, Any] = {}
    with override_settings(ROOT_URLCONF=_floor_urls()):
        # Warm up (templates compiled, caches filled), check each answers 200, and count statements.
        for target in targets:
            client = client_for(target.user)
            for _ in range(2):
                client.get(floor_url)
                response = client.get(target.url)
            if response.status_code != 200:
                raise SystemExit(f"{target.name}: {target.url} answered {response.status_code}")
            with CaptureQueriesContext(connection) as floor_queries:
                client.get(floor_url)
            with CaptureQueriesContext(connection) as queries:
                client.get(target.url)
            results[target.name] = {"url": target.url, "user": target.user.username, "kind": target.kind,
                                    "queries": len(queries.captured_queries), "floor_queries":
                                    len(floor_queries.captured_queries), "times": [], "floor_times": []}
        # As escalation_tracker/wsgi.py does once the app is loaded: what is loaded is out of the collector's way.
        gc.collect()
        gc.freeze()
        for round_ in range(repeat):
            for target in targets:
                client = client_for(target.user)
                started = time.perf_counter()
                client.get(floor_url)
                middle = time.perf_counter()
                client.get(target.url)
                ended = time.perf_counter()
                results[target.name]["floor_times"].append((middle - started) * 1000)
                results[target.name]["times"].append((ended - middle) * 1000)
            if round_ == 0 or (round_ + 1) % 10 == 0:
                say(f"  round {round_ + 1} of {repeat}")
    floor_all = [t for r in results.values() for t in r["floor_times"]]
    floor = {"p50_ms": statistics.median(floor_all), "p95_ms": percentile(floor_all, 0.95),
             "queries": max(r["floor_queries"] for r in results.values())}
    pages = {}
    for name, r in results.items():
        p50, p95 = statistics.median(r["times"]), percentile(r["times"], 0.95)
        pages[name] = {
            "url": r["url"], "user": r["user"], "kind": r["kind"], "queries": r["queries"],
            "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
            "p50_ratio": round(p50 / floor["p50_ms"], 1), "p95_ratio": round(p95 / floor["p95_ms"], 1),
        }
    floor = {key: round(value, 3) for key, value in floor.items()}
    return {"floor": floor, "pages": pages}


def sweep_once(*, live: int, due: int, now: dt.datetime) -> dict[str, Any]:
    """In a transaction rolled back afterwards: ``live`` live escalations, ``due`` of them due; one sweep."""
    from django.db import connection, transaction
    from django.db.models import Min
    from django.test.utils import CaptureQueriesContext

    from deadlines.sweep import deadlines_sweep
    from escalations.models import LIVE_STATES, Escalation

    first = Escalation.objects.aggregate(m=Min("pk"))["m"]
    total = Escalation.objects.count()
    if live > total:
        raise SystemExit(f"--sweep-live {live} is more than the {total} escalations built.")
    table = connection.ops.quote_name(Escalation._meta.db_table)
    live_states = ", ".join(f"'{s}'" for s in LIVE_STATES)
    last = first + live - 1
    past, future = now - dt.timedelta(hours=1), now + dt.timedelta(days=3)
    long_past = now - dt.timedelta(days=2)
    result: dict[str, Any] = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET state = 'resolved' WHERE state IN ({live_states}) "
                           f"AND (id < %s OR id > %s)", [first, last])
            # Of the live ones: four in ten await their holder with a deadline to come, four in ten with a
            # deadline the clock has handled already, two in ten are responded; the first ``due`` are due.
            cursor.execute(
                f"UPDATE {table} SET "
                "state = CASE WHEN id < %s THEN 'open' WHEN (id %% 10) < 8 THEN 'open' ELSE 'responded' END, "
                "stage_deadline = CASE WHEN id < %s THEN %s WHEN (id %% 10) < 4 THEN %s ELSE %s END, "
                "missed_deadline_handled = CASE WHEN id >= %s AND (id %% 10) >= 4 THEN %s ELSE NULL END, "
                "overall_deadline = CASE WHEN overall_deadline IS NULL THEN NULL ELSE %s END, "
                "overall_deadline_handled = %s, resolved_at = NULL, closed_at = NULL "
                "WHERE id BETWEEN %s AND %s",
                [first + due, first + due, past, future, long_past, first + due, long_past, future, False,
                 first, last],
            )
            cursor.execute("ANALYZE")
            assert Escalation.objects.live().count() == live
            # The collector on, as in a worker; but the garbage of the rounds before is not this sweep's to
            # collect (a full collection it set off measured 78 ms, a sixth of the sweep).
            gc.collect()
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                outcome = deadlines_sweep(now=now)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            handled = sum(outcome.counts.values())
            result = {"live": live, "due": due, "handled": handled, "ms": round(elapsed * 1000, 1),
                      "ms_per_due": round(elapsed * 1000 / max(handled, 1), 3),
                      "cpu_ms_per_due": round(cpu * 1000 / max(handled, 1), 3),
                      # The statements' own time, as the driver timed them (to the millisecond each): the
                      # database's part, which the other processes on the machine disturb less.
                      "sql_ms_per_due": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000
                                              / max(handled, 1), 3),
                      "statements": len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]),
                      # Where the time went: the slowest statements, as the database driver timed them.
                      "slowest": [{"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:160]} for q in
                                  sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]]}
            raise _Rollback
    except _Rollback:
        pass
    _vacuum()
    return result


def _vacuum() -> None:
    """On PostgreSQL, reclaim the row versions a rolled-back sweep left (else each round bloats the table
    and the pages measured after it read the dead rows too); not possible inside a test's transaction."""
    from django.db import connection

    from escalations.models import Escalation

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Escalation._meta.db_table)}")


def sweep_measure(*, lives: list[int], due: int, repeat: int, say: Callable[[str], None]) -> dict[str, Any]:
    from django.utils import timezone

    from escalation_tracker.celery import app
    from policies import clock

    app.conf.broker_url = "memory://"  # nothing leaves: the transaction rolls back anyway
    now = timezone.now()
    clock.is_bank_holiday(now.date())
    clock.is_bank_holiday(now.date() + dt.timedelta(days=366))
    runs: dict[int, list[dict[str, Any]]] = {live: [] for live in lives}
    for round_ in range(repeat):
        for live in lives:
            runs[live].append(sweep_once(live=live, due=due, now=now))
        say(f"  sweep round {round_ + 1} of {repeat}")
    summary: dict[str, Any] = {}
    for live, found in runs.items():
        per_due = [r["ms_per_due"] for r in found]
        summary[str(live)] = {"live": live, "due": due, "handled": found[0]["handled"],
                              "statements": found[0]["statements"], "ms_per_due_p50": statistics.median(per_due),
                              "ms_per_due_runs": per_due,
                              "cpu_ms_per_due_p50": statistics.median(r["cpu_ms_per_due"] for r in found),
                              "sql_ms_per_due_p50": statistics.median(r["sql_ms_per_due"] for r in found),
                              "slowest_statements": found[0]["slowest"]}
    if len(lives) > 1:
        summary["growth"] = round(summary[str(lives[-1])]["ms_per_due_p50"] / summary[str(lives[0])]["ms_per_due_p50"],
                                  2)
    return summary


def run(*, repeat: int = 20, sweep_lives: tuple[int, ...] = (5000, 50000), sweep_due: int = 500,
        sweep_repeat: int = 5, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure the pages and the sweep on the current database; return the figures (see the docstring)."""
    from django.db import connection

    from escalations.models import Escalation, TimelineEntry
    from notifications.models import Notification

    total = Escalation.objects.count()
    if any(live > total for live in sweep_lives):
        raise SystemExit(f"--sweep-live: at most the {total:,} escalations built.")
    _vacuum()
    targets = targets_choose()
    say(f"Measuring {len(targets)} pages and API calls, {repeat} rounds, on {connection.vendor} ...")
    figures = pages_measure(targets, repeat=repeat, say=say)
    if sweep_lives:
        say(f"Timing the sweep: {sweep_due} due among {', '.join(f'{n:,}' for n in sweep_lives)} live ...")
        figures["sweep"] = sweep_measure(lives=list(sweep_lives), due=sweep_due, repeat=sweep_repeat, say=say)
    if connection.vendor == "sqlite":
        version = ".".join(map(str, connection.Database.sqlite_version_info))
    else:
        version = str(connection.pg_version)
    figures["meta"] = {
        "database": f"{connection.vendor} {version}", "python": platform.python_version(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "repeat": repeat,
        "escalations": Escalation.objects.count(), "timeline_entries": TimelineEntry.objects.count(),
        "notifications": Notification.objects.count(), "load_average": list(os.getloadavg()),
    }
    return figures


def table(figures: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    floor = figures["floor"]
    lines = [f"{figures['meta']['database']}, {figures['meta']['escalations']:,} escalations, "
             f"{figures['meta']['repeat']} rounds",
             f"floor (a minimal view through the same middleware): p50 {floor['p50_ms']:.2f} ms, "
             f"p95 {floor['p95_ms']:.2f} ms, {floor['queries']} queries",
             f"{'page':<28} {'p50 ms':>9} {'p95 ms':>9} {'p50 ×':>7} {'p95 ×':>7} {'queries':>8}  target"]
    for name, page in figures["pages"].items():
        if page["kind"] == "report":
            ok = page["p95_ms"] < REPORT_TARGET_MS
            goal = f"p95 < {REPORT_TARGET_MS} ms"
        else:
            ok = page["p95_ratio"] <= PAGE_TARGET_RATIO
            goal = f"p95 ≤ {PAGE_TARGET_RATIO}×"
        lines.append(f"{name:<28} {page['p50_ms']:>9.2f} {page['p95_ms']:>9.2f} {page['p50_ratio']:>7.1f} "
                     f"{page['p95_ratio']:>7.1f} {page['queries']:>8}  {goal}: {'met' if ok else 'NOT met'}")
    sweep = figures.get("sweep")
    if sweep:
        for key, row in sweep.items():
            if key == "growth":
                continue
            ok = row["ms_per_due_p50"] <= SWEEP_TARGET_MS_PER_DUE
            lines.append(f"sweep, {row['due']:,} due among {row['live']:,} live: "
                         f"{row['ms_per_due_p50']:.3f} ms per due "
                         f"(runs {', '.join(f'{v:.3f}' for v in row['ms_per_due_runs'])}; CPU "
                         f"{row['cpu_ms_per_due_p50']:.3f}, SQL {row['sql_ms_per_due_p50']:.3f}), "
                         f"{row['statements']} statements  "
                         f"≤ {SWEEP_TARGET_MS_PER_DUE} ms: {'met' if ok else 'NOT met'}")
        if "growth" in sweep:
            ok = sweep["growth"] <= SWEEP_TARGET_GROWTH
            lines.append(f"sweep growth from the fewest to the most live: {sweep['growth']:.2f}×  "
                         f"≤ {SWEEP_TARGET_GROWTH}×: {'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="rounds of every page and the floor (default 20)")
    parser.add_argument("--sweep-live", default="5000,50000",
                        help="live escalations for the sweep, comma-separated (default 5000,50000; 0 to skip)")
    parser.add_argument("--sweep-due", type=int, default=500, help="of which due (default 500)")
    # Five, not three: one sweep is half a second, so a moment's load on a shared machine moves one of
    # three far enough to move their median; the figure is still the median of whole real sweeps.
    parser.add_argument("--sweep-repeat", type=int, default=5, help="sweeps at each size (default 5; the median)")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench-run.json"), help="where to write the figures")
    args = parser.parse_args()
    django_setup()
    lives = tuple(int(n) for n in args.sweep_live.split(",") if int(n) > 0)
    figures = run(repeat=args.repeat, sweep_lives=lives, sweep_due=args.sweep_due, sweep_repeat=args.sweep_repeat)
    print(table(figures))
    Path(args.json).write_text(json.dumps(figures, indent=2))
    print(f"figures: {args.json}")


if __name__ == "__main__":
    main()
