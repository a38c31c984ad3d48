"""Exactly once: a sweep run twice, late, concurrently or after a crash does each thing once."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from deadlines.sweep import ADVANCED, FAILED, NOTIFIED, _due_locked_sql, deadlines_sweep, escalations_due
from escalations import services
from escalations.models import Escalation, TimelineEntry
from notifications.models import Kind, Notification
from tests.conftest import at

SIGNIFICANT = "significant_harm"


def clock_actions(esc: Escalation) -> list[str]:
    return list(esc.timeline.filter(actor__isnull=True).values_list("action", flat=True))


@pytest.mark.django_db
def test_a_sweep_run_twice_advances_once_and_notifies_once(raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
    travel(at(2026, 11, 10, 17, 2))
    first = deadlines_sweep()
    second = deadlines_sweep()
    esc.refresh_from_db()
    assert esc.stage_index == 2 and esc.times_auto_advanced == 1
    assert clock_actions(esc) == ["auto_advance"]
    assert first.notifications == Notification.objects.filter(escalation=esc, kind=Kind.AUTO_ADVANCED).count() > 0
    assert (second.summary(), second.notifications) == ("Nothing due.", 0)


@pytest.mark.django_db
def test_check_deadlines_prints_what_it_did_and_is_safe_to_run_twice(raise_escalation, travel):
    from io import StringIO

    from django.core.management import call_command

    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, 11, 17, 1))
    out = StringIO()
    call_command("check_deadlines", stdout=out)
    assert f"escalation {esc.pk}: deadline of 5pm on Wednesday 11 November 2026 missed" in out.getvalue()
    assert "deadline missed: notified: 1" in out.getvalue()
    again = StringIO()
    call_command("check_deadlines", stdout=again)
    assert again.getvalue().strip() == "Nothing due."


@pytest.mark.django_db
def test_catch_up_after_missed_beat_runs_handles_each_due_escalation_once(raise_escalation, travel):
    """Beat missed three runs (and more): one late sweep does what the missed ones would have done,
    once each, and a significant-harm escalation climbs one stage, with a deadline from now."""
    travel(at(2026, 11, 9, 9, 0))
    harm = raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)  # due Mon 17:00
    standard = raise_escalation("bexley-practitioner", "bexley-internal")  # due Tue 17:00
    stoke = raise_escalation("stoke-crm", "stoke-crm")  # due Mon 16 Nov 17:00: not yet
    travel(at(2026, 11, 11, 9, 30))  # Wednesday morning: every sweep since Monday 17:00 was missed
    result = deadlines_sweep()
    for esc in (harm, standard, stoke):
        esc.refresh_from_db()
    assert clock_actions(harm) == ["auto_advance"] and harm.stage_index == 2
    assert harm.stage_deadline == at(2026, 11, 12, 17, 0)  # one working day from Wednesday's sweep
    assert clock_actions(standard) == ["deadline_missed"]
    assert clock_actions(stoke) == []
    assert result.counts == {ADVANCED: 1, NOTIFIED: 1}
    assert deadlines_sweep().summary() == "Nothing due."


@pytest.mark.django_db
def test_a_sweep_that_dies_half_way_loses_nothing_and_repeats_nothing(raise_escalation, travel, monkeypatch):
    """A worker killed mid-sweep: committed batches stay, the rest is found again by the next run."""
    travel(at(2026, 11, 10, 9, 0))
    escalations = [raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
                   for _ in range(5)]
    travel(at(2026, 11, 10, 17, 1))
    real = services.escalations_notify_many
    calls = []

    def dies_on_the_second_batch(notices, **kwargs):
        # The second batch dies after its escalations and timeline entries are written.
        calls.append(len(notices))
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(notices, **kwargs)

    monkeypatch.setattr(services, "escalations_notify_many", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        deadlines_sweep(batch_size=2)
    assert Escalation.objects.filter(stage_index=2).count() == 2  # the first batch committed
    assert TimelineEntry.objects.filter(action="auto_advance").count() == 2
    monkeypatch.setattr(services, "escalations_notify_many", real)
    deadlines_sweep(batch_size=2)
    for esc in escalations:
        esc.refresh_from_db()
        assert (esc.stage_index, clock_actions(esc)) == (2, ["auto_advance"])
        assert Notification.objects.filter(escalation=esc, kind=Kind.AUTO_ADVANCED,
                                           recipient__username="bexley-psw").count() == 1


@pytest.mark.django_db
def test_one_broken_escalation_does_not_stop_the_clock_for_the_others(raise_escalation, travel, caplog):
    travel(at(2026, 11, 10, 9, 0))
    broken = raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
    fine = raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
    # A row the ladder has no rule for (data edited by hand): the clock cannot decide what to do.
    Escalation.objects.filter(pk=broken.pk).update(risk_level="unknown")
    travel(at(2026, 11, 10, 17, 1))
    broken_version = Escalation.objects.get(pk=broken.pk).version
    result = deadlines_sweep(batch_size=1)
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.stage_index == 1 and clock_actions(broken) == []
    assert broken.version == broken_version + 1  # claimed by the clock, as a change
    assert fine.stage_index == 2
    assert result.counts[FAILED] == 1
    assert f"could not handle escalation {broken.pk}" in caplog.text


def _sweep_counting_statements(raise_escalation, travel, pairs: int, day: int) -> tuple[int, dict]:
    from django.test.utils import CaptureQueriesContext

    travel(at(2026, 11, day, 9, 0))
    for _ in range(pairs):
        raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
        raise_escalation("bexley-practitioner", "bexley-internal")
    travel(at(2026, 11, day + 1, 17, 1))
    with CaptureQueriesContext(connection) as queries:
        result = deadlines_sweep(batch_size=200)
    statements = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    return len(statements), dict(result.counts)


@pytest.mark.django_db
def test_the_sweep_writes_in_bulk_statements_per_batch_not_per_escalation(raise_escalation, travel):
    few, few_counts = _sweep_counting_statements(raise_escalation, travel, pairs=3, day=10)
    many, many_counts = _sweep_counting_statements(raise_escalation, travel, pairs=60, day=17)
    assert few_counts == {ADVANCED: 3, NOTIFIED: 3}
    # The three advanced a week earlier have missed their Head of Service deadline too.
    assert many_counts == {ADVANCED: 63, NOTIFIED: 60}
    # 123 due escalations take a handful more statements than 6 (SQLite splits a big INSERT into
    # pieces of 999 parameters), not 20 times as many.
    assert many <= few + 6, (few, many)


@pytest.mark.django_db
def test_finding_what_is_due_uses_the_deadline_indexes(ladders):
    """One query over an index of each deadline: its cost follows the escalations whose deadline has
    passed, not every open one. On PostgreSQL the partial indexes that hold only the deadlines the clock
    has still to handle (not the live rows it handled already); SQLite, which takes a partial index only
    for a term written exactly as its condition, reads (state, stage_deadline) and (state, overall_deadline)."""
    query = escalations_due(now=at(2026, 11, 10, 17, 0))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a near-empty table is scanned otherwise
    plan = query.explain()
    if connection.vendor == "postgresql":
        assert "esc_stage_unhandled" in plan and "esc_overall_unhandled" in plan
    else:
        assert ("esc_stage_unhandled" in plan or "esc_due_stage" in plan) and (
            "esc_overall_unhandled" in plan or "esc_due_overall" in plan)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_claim_reads_each_deadline_in_order_off_its_partial_index(ladders):
    """PostgreSQL's claim takes the earliest due deadlines off ``esc_stage_unhandled`` and
    ``esc_overall_unhandled``, one arm each, so no estimate of the rows due can turn it into a scan of
    the table (one sub-select of both did, once 50,000 escalations were live: docs/performance.md)."""
    sql, params = _due_locked_sql(now=at(2026, 11, 10, 17, 0), batch_size=200, skip=[])
    with connection.cursor() as cursor:
        # A near-empty table is scanned, or its few rows sorted, whatever the query: forbid what the data
        # set's size would rule out, so that the plan shows what the query allows (the partial indexes,
        # read in their order).
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using esc_stage_unhandled" in plan and "Index Scan using esc_overall_unhandled" in plan
    assert "Sort" not in plan  # read in the index's order, not sorted afterwards


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_advance_once_and_notify_once(raise_escalation, travel):
    """Two workers sweep together on PostgreSQL: rows are claimed FOR UPDATE SKIP LOCKED."""
    travel(at(2026, 11, 10, 9, 0))
    escalations = [raise_escalation("bexley-practitioner", "bexley-internal", risk_level=SIGNIFICANT)
                   for _ in range(24)]
    now = at(2026, 11, 10, 17, 1)
    start = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            start.wait()
            results.append(deadlines_sweep(now=now, batch_size=3))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.counts[ADVANCED] for r in results) == 24
    for esc in escalations:
        esc.refresh_from_db()
        assert (esc.stage_index, esc.times_auto_advanced, clock_actions(esc)) == (2, 1, ["auto_advance"])
    psw_notices = Notification.objects.filter(kind=Kind.AUTO_ADVANCED, recipient__username="bexley-psw")
    assert psw_notices.count() == 24
