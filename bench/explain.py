#!/usr/bin/env python
"""Show the plan of the slowest statements of every page bench/run.py measures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/et_scale python bench/explain.py > var/plans.txt
    python bench/explain.py --top 1                 # SQLite: EXPLAIN QUERY PLAN

Each page is requested once as bench/run.py's person would (after a first request), its statements
captured, and the ``--top`` slowest of them run again under ``EXPLAIN (ANALYZE, BUFFERS)`` on
PostgreSQL (``EXPLAIN QUERY PLAN`` on SQLite), with the statement itself.
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
    args = parser.parse_args()
    from bench.run import _floor_urls, django_setup

    django_setup()
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from bench.run import targets_choose

    explain = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with override_settings(ROOT_URLCONF=_floor_urls()):
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
                print(f"--- {float(query['time']) * 1000:.1f} ms in the page's request")
                print(query["sql"])
                with connection.cursor() as cursor:
                    cursor.execute(explain + query["sql"])
                    for row in cursor.fetchall():
                        print("    " + " ".join(str(cell) for cell in row))
                print()


if __name__ == "__main__":
    main()
