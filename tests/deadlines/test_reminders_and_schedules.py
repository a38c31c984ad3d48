"""Reminders before a deadline, beat's schedules (setup_clock) and the clock's Celery tasks."""
from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.db import DatabaseError, OperationalError
from django_celery_beat.models import PeriodicTask

from deadlines import schedules, tasks
from deadlines.sweep import deadline_reminders_send
from escalation_tracker.celery import app
from escalations import services
from notifications.models import Kind, Notification
from tests.conftest import LONDON, at

pytestmark = pytest.mark.django_db

FOUR_HOURS = dt.timedelta(hours=4)


def reminders(esc) -> list[tuple[str, str]]:
    """(recipient, key discriminator) of each reminder of this escalation."""
    rows = Notification.objects.filter(escalation=esc, kind=Kind.DEADLINE_REMINDER)
    return sorted((n.recipient.username, n.dedupe_key.rsplit(":", 1)[1]) for n in rows)


@pytest.fixture
def due_tuesday(raise_escalation, travel):
    """A Bexley escalation raised on Monday 9 November 2026, due Tuesday 10 November at 17:00."""
    travel(at(2026, 11, 9, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    assert esc.stage_deadline == at(2026, 11, 10, 17, 0)
    return esc


# --- reminders -----------------------------------------------------------------------------------------
def test_the_holder_is_reminded_once_on_the_morning_the_deadline_falls(due_tuesday):
    deadline_reminders_send(which="morning", now=at(2026, 11, 9, 8, 0))  # Monday: not due today
    assert reminders(due_tuesday) == []
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 8, 0))
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 8, 0, 30))  # beat fired twice
    assert reminders(due_tuesday) == [("bexley-team-manager", "morning")]


def test_a_late_morning_run_still_reminds_of_a_deadline_to_come_today(due_tuesday):
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 11, 0))
    assert reminders(due_tuesday) == [("bexley-team-manager", "morning")]


def test_the_holder_is_reminded_once_the_lead_time_before_the_deadline(due_tuesday):
    deadline_reminders_send(which="lead", now=at(2026, 11, 10, 12, 59), lead=FOUR_HOURS)
    assert reminders(due_tuesday) == []
    deadline_reminders_send(which="lead", now=at(2026, 11, 10, 13, 0), lead=FOUR_HOURS)
    deadline_reminders_send(which="lead", now=at(2026, 11, 10, 13, 15), lead=FOUR_HOURS)
    assert reminders(due_tuesday) == [("bexley-team-manager", "lead")]


def test_morning_and_lead_reminders_are_two_reminders_of_one_deadline(due_tuesday):
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 8, 0))
    deadline_reminders_send(which="lead", now=at(2026, 11, 10, 13, 0), lead=FOUR_HOURS)
    assert reminders(due_tuesday) == [("bexley-team-manager", "lead"), ("bexley-team-manager", "morning")]


def test_the_lead_time_comes_from_the_settings(due_tuesday, settings):
    settings.DEADLINE_REMINDER_HOURS = 24
    deadline_reminders_send(which="lead", now=at(2026, 11, 9, 17, 0))
    assert reminders(due_tuesday) == [("bexley-team-manager", "lead")]


def test_no_reminder_once_the_holder_has_responded_or_the_deadline_has_passed(due_tuesday, people):
    deadline_reminders_send(which="lead", now=at(2026, 11, 10, 17, 30), lead=FOUR_HOURS)
    assert reminders(due_tuesday) == []
    services.escalation_respond(escalation=due_tuesday, actor=people["bexley-team-manager"], decision="agree",
                                rationale="Reassessment booked.")
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 8, 0))
    assert reminders(due_tuesday) == []


def test_a_new_stage_deadline_gets_its_own_reminder(raise_escalation, people, travel):
    travel(at(2026, 11, 9, 10, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal")
    deadline_reminders_send(which="morning", now=at(2026, 11, 10, 8, 0))
    services.escalation_respond(escalation=esc, actor=people["bexley-team-manager"], decision="uphold",
                                rationale="Threshold not met.")
    travel(at(2026, 11, 10, 9, 0))
    services.escalation_escalate(escalation=esc, actor=people["bexley-practitioner"], reason="Still unsafe.")
    deadline_reminders_send(which="morning", now=at(2026, 11, 11, 8, 0))
    assert reminders(esc) == [("bexley-service-manager", "morning"), ("bexley-team-manager", "morning")]


def test_an_unknown_kind_of_reminder_is_refused(ladders):
    with pytest.raises(ValueError, match="which must be"):
        deadline_reminders_send(which="evening")


# --- beat's schedules ----------------------------------------------------------------------------------
def beat_rows() -> dict[str, PeriodicTask]:
    return {t.name: t for t in PeriodicTask.objects.select_related("interval", "crontab")}


def test_setup_clock_creates_the_sweep_reminders_and_digest_schedules(settings):
    settings.DEADLINE_SWEEP_SECONDS = 5
    out = StringIO()
    call_command("setup_clock", stdout=out)
    rows = beat_rows()
    sweep = rows[schedules.SWEEP_NAME]
    assert (sweep.task, sweep.interval.every, sweep.interval.period) == ("deadlines.tasks.sweep_deadlines", 5,
                                                                         "seconds")
    assert sweep.expire_seconds == 5  # a stale sweep is dropped, never queued up behind the next one
    morning = rows[schedules.MORNING_NAME]
    assert (morning.crontab.hour, morning.crontab.minute, str(morning.crontab.timezone)) == ("8", "0",
                                                                                             "Europe/London")
    assert morning.kwargs == '{"which": "morning"}'
    assert rows[schedules.LEAD_NAME].kwargs == '{"which": "lead"}'
    digest = rows[schedules.DIGEST_NAME]
    assert (digest.task, digest.crontab.hour, digest.crontab.minute) == ("notifications.tasks.send_daily_digests",
                                                                         "7", "30")
    psw_digest = rows[schedules.PSW_DIGEST_NAME]
    assert (psw_digest.task, psw_digest.crontab.hour, psw_digest.crontab.minute) == (
        "oversight.tasks.send_psw_digests", "7", "30")
    retention = rows[schedules.RETENTION_NAME]
    assert (retention.task, retention.crontab.hour, retention.crontab.minute) == (
        "administration.tasks.apply_retention", "2", "30")
    webhooks = rows[schedules.WEBHOOK_NAME]
    assert (webhooks.task, webhooks.interval.every, webhooks.interval.period, webhooks.expire_seconds) == (
        "webhooks.tasks.deliver_webhooks", 60, "seconds", 60)
    assert out.getvalue().count("created:") == 7


def test_setup_clock_twice_changes_nothing_and_keeps_a_pause_made_in_the_admin(settings):
    call_command("setup_clock", stdout=StringIO())
    PeriodicTask.objects.filter(name=schedules.LEAD_NAME).update(enabled=False)
    out = StringIO()
    call_command("setup_clock", stdout=out)
    assert PeriodicTask.objects.count() == 7
    assert out.getvalue().count("unchanged") == 7
    assert not beat_rows()[schedules.LEAD_NAME].enabled


def test_setup_clock_follows_a_changed_sweep_interval(settings):
    settings.DEADLINE_SWEEP_SECONDS = 60
    call_command("setup_clock", stdout=StringIO())
    settings.DEADLINE_SWEEP_SECONDS = 30
    out = StringIO()
    call_command("setup_clock", stdout=out)
    assert beat_rows()[schedules.SWEEP_NAME].interval.every == 30
    assert f"updated (interval, expire_seconds, description): {schedules.SWEEP_NAME}" in out.getvalue()


def test_setup_clock_moves_schedules_made_with_the_old_task_names_to_the_new_ones():
    """Rows made when the clock's tasks lived in ``escalations.tasks``: found by name, brought up to date."""
    call_command("setup_clock", stdout=StringIO())
    PeriodicTask.objects.filter(name=schedules.SWEEP_NAME).update(task="escalations.tasks.sweep_deadlines")
    PeriodicTask.objects.filter(name__in=[schedules.MORNING_NAME, schedules.LEAD_NAME]).update(
        task="escalations.tasks.send_deadline_reminders")
    PeriodicTask.objects.filter(name=schedules.LEAD_NAME).update(enabled=False)
    out = StringIO()
    call_command("setup_clock", stdout=out)
    rows = beat_rows()
    assert rows[schedules.SWEEP_NAME].task == "deadlines.tasks.sweep_deadlines"
    assert rows[schedules.MORNING_NAME].task == "deadlines.tasks.send_deadline_reminders"
    assert rows[schedules.LEAD_NAME].task == "deadlines.tasks.send_deadline_reminders"
    assert rows[schedules.DIGEST_NAME].task == "notifications.tasks.send_daily_digests"
    assert not rows[schedules.LEAD_NAME].enabled  # the pause made in the admin is kept
    assert PeriodicTask.objects.count() == 7
    for name in (schedules.SWEEP_NAME, schedules.MORNING_NAME, schedules.LEAD_NAME):
        assert f"updated (task): {name}" in out.getvalue()
    assert f"unchanged: {schedules.DIGEST_NAME}" in out.getvalue()


def test_every_scheduled_task_is_one_the_worker_knows():
    schedules.clock_schedules_sync()
    app.loader.import_default_modules()
    assert {t.task for t in PeriodicTask.objects.all()} <= set(app.tasks)


# --- the tasks -----------------------------------------------------------------------------------------
def test_the_beat_task_runs_the_sweep(raise_escalation, travel):
    travel(at(2026, 11, 10, 9, 0))
    esc = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm")
    travel(at(2026, 11, 10, 17, 0, 5))
    summary = tasks.sweep_deadlines.delay().get()
    esc.refresh_from_db()
    assert esc.stage_index == 2
    assert summary.startswith("advanced to the next stage: 1")


def test_the_reminder_task_sends_the_morning_reminders(due_tuesday, travel):
    travel(dt.datetime(2026, 11, 10, 8, 0, tzinfo=LONDON))
    tasks.send_deadline_reminders.delay("morning").get()
    assert reminders(due_tuesday) == [("bexley-team-manager", "morning")]


def test_the_clock_tasks_are_acked_late_and_retried_soon_with_backoff():
    for task in (tasks.sweep_deadlines, tasks.send_deadline_reminders):
        assert task.acks_late is True
        assert task.autoretry_for == (DatabaseError,)
        assert task.retry_backoff and task.retry_backoff_max <= 60  # no long ETA messages


def test_a_database_error_asks_for_a_retry_within_seconds(ladders):
    with (
        mock.patch.object(tasks, "deadlines_sweep", side_effect=OperationalError("database is locked")),
        pytest.raises(Retry) as retried,
    ):
        tasks.sweep_deadlines.apply()
    assert isinstance(retried.value.exc, OperationalError)
    assert retried.value.when <= 5  # the first backoff step: seconds, not a long ETA


def test_setup_clock_renames_the_digest_row_made_under_its_former_name():
    """The digest row once also sent the PSWs' lists; it keeps its pause and is not duplicated."""
    call_command("setup_clock", stdout=StringIO())
    former = next(iter(schedules.FORMER_NAMES))
    PeriodicTask.objects.filter(name=schedules.DIGEST_NAME).update(name=former, enabled=False)
    call_command("setup_clock", stdout=StringIO())
    rows = beat_rows()
    assert former not in rows
    assert not rows[schedules.DIGEST_NAME].enabled
    assert PeriodicTask.objects.count() == 7
