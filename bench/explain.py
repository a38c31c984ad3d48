#!/usr/bin/env python
"""Show the plan of the slowest statements of every page bench/run.py measures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/et_scale python bench/explain.py > var/plans.txt
    python bench/explain.py --top 1                 # SQLite: EXPLAIN QUERY PLAN

Each page is requested once as bench/run.py's person would (after a first request), its statements
captured, and the ``--top`` slowest of them run again under ``EXPLAIN (ANALYZE, BUFFERS)`` on
PostgreSQL (``EXPLAIN QUERY PLAN`` on SQLite), with the statement itself; then the sweep's query for
the due escalations. ``--drop-index NAME`` shows the plans without that index: on PostgreSQL the
index is dropped inside a transaction that is rolled back at the end.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=2, help="statements a page (default 2)")
    parser.add_argument("--page", action="append", help="only this page (by its name in run.py's table)")
    parser.add_argument("--drop-index", action="append", default=[], help="plan without this index (PostgreSQL)")
    args = parser.parse_args()
    from bench.run import _floor_urls, django_setup

    django_setup()
    from django.db import connection, transaction
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.run import targets_choose

    explain = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "

    def show(sql: str, took: float | None = None, params: tuple = ()) -> None:
        if took is not None:
            print(f"--- {took * 1000:.1f} ms in the page's request")
        print(sql, params or "")
        with connection.cursor() as cursor:
            cursor.execute(explain + sql, params or None)
            for row in cursor.fetchall():
                print("    " + " ".join(str(cell) for cell in row))
        print()

    try:
        with transaction.atomic(), override_settings(ROOT_URLCONF=_floor_urls()):
            with connection.cursor() as cursor:
                for name in args.drop_index:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            for target in targets_choose():
                if args.page and target.name not in args.page:
                    continue
                client = Client()
                client.force_login(target.user)
                client.get(target.url)
                with CaptureQueriesContext(connection) as queries:
                    client.get(target.url)
                selects = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
                           and "django_session" not in q["sql"]]
                slowest = sorted(selects, key=lambda q: -float(q["time"]))[:args.top]
                print(f"=== {target.name}: {target.url} as {target.user.username} ===")
                for query in slowest:
                    show(query["sql"], float(query["time"]))
            if not args.page:
                from deadlines.sweep import SWEEP_BATCH_SIZE, escalations_due

                due = escalations_due(now=timezone.now()).values("pk")[:SWEEP_BATCH_SIZE]
                sql, params = due.query.sql_with_params()
                print("=== the sweep: the due escalations (the claim's sub-select) ===")
                show(sql, params=params)
            raise _Done
    except _Done:
        pass


class _Done(Exception):
    """Roll back the dropped indexes."""


if __name__ == "__main__":
    main()
