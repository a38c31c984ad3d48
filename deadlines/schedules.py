"""Beat's schedules for the deadline clock, the daily digests, retention and the webhooks' deliveries: rows of
django-celery-beat, editable in the admin."""
from __future__ import annotations

import datetime as dt
import json

from django.conf import settings

from policies import clock

from .sweep import LEAD, MORNING, MORNING_REMINDER_TIME

SWEEP_TASK = "deadlines.tasks.sweep_deadlines"
REMINDER_TASK = "deadlines.tasks.send_deadline_reminders"
DIGEST_TASK = "notifications.tasks.send_daily_digests"  # each person's digest of what waited for it
PSW_DIGEST_TASK = "oversight.tasks.send_psw_digests"  # each PSW's list of what is overdue
RETENTION_TASK = "administration.tasks.apply_retention"  # anonymise what the retention periods have passed
WEBHOOK_TASK = "webhooks.tasks.deliver_webhooks"  # send the events due to case-management systems

# A lead-time reminder is looked for this often: it reaches the holder between the lead time and a
# quarter of an hour less before the deadline, close enough for a reminder hours ahead.
LEAD_REMINDER_EVERY_MINUTES = 15
DIGEST_TIME = dt.time(7, 30)  # before the morning reminders, so a PSW starts the day with the list
RETENTION_TIME = dt.time(2, 30)  # at night, when nobody works on a case (and clear of the 01:00-02:00 BST change)
# Each change queues a delivery run when it commits; beat's run every minute sends the retries whose wait is over
# (the first wait is 30 s: webhooks.delivery.BACKOFF_FIRST) and anything whose queued run was lost.
WEBHOOK_EVERY_SECONDS = 60

SWEEP_NAME = "Deadline clock: sweep for missed deadlines"
MORNING_NAME = "Deadline clock: reminders on the morning of the due day"
LEAD_NAME = "Deadline clock: reminders ahead of a deadline"
DIGEST_NAME = "Daily digests (each person's notifications that waited for the digest)"
PSW_DIGEST_NAME = "PSW daily digest (each PSW's list of what is overdue)"
RETENTION_NAME = "Retention: anonymise closed escalations past their organisation's retention period"
WEBHOOK_NAME = "Webhooks: send the events due to case-management systems, retries included"
# Rows made under an earlier name are renamed, not left behind beside the new one.
FORMER_NAMES = {"Daily digests (each person's, and each PSW's list of what is overdue)": DIGEST_NAME}


def clock_schedules_sync(*, sweep_seconds: int | None = None) -> list[str]:
    """Create or update beat's schedules (django-celery-beat rows, editable in the admin).

    The sweep runs every ``sweep_seconds`` (``settings.DEADLINE_SWEEP_SECONDS``), the morning
    reminders at 08:00 and the daily digests (each person's, each PSW's) at 07:30 Europe/London, the
    lead-time reminders every quarter of an hour, the retention run at 02:30, the webhooks' deliveries every
    minute. Safe to run at every start:
    each row is found by its name and brought up to date (its task too, so a row that names a task by an
    older module path follows it); an administrator's choice to pause one (``enabled``) is kept. Returns
    one line per row.
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    sweep_seconds = settings.DEADLINE_SWEEP_SECONDS if sweep_seconds is None else sweep_seconds
    if sweep_seconds < 1:
        raise ValueError("DEADLINE_SWEEP_SECONDS must be 1 or more")

    def interval(every: int, period: str) -> IntervalSchedule:
        return IntervalSchedule.objects.get_or_create(every=every, period=period)[0]

    def daily(at: dt.time) -> CrontabSchedule:
        return CrontabSchedule.objects.get_or_create(
            minute=str(at.minute), hour=str(at.hour), day_of_week="*", day_of_month="*", month_of_year="*",
            timezone=clock.LONDON,
        )[0]

    hours = settings.DEADLINE_REMINDER_HOURS
    rows = [
        # A sweep message still queued one interval later is dropped: the next one does the same work.
        (SWEEP_NAME, SWEEP_TASK, {"interval": interval(sweep_seconds, IntervalSchedule.SECONDS)}, {},
         sweep_seconds, f"Every {sweep_seconds} s: advance or notify each escalation whose deadline has passed."),
        (MORNING_NAME, REMINDER_TASK, {"crontab": daily(MORNING_REMINDER_TIME)}, {"which": MORNING},
         8 * 3600, "08:00 Europe/London: remind each holder of a deadline that falls today."),
        (LEAD_NAME, REMINDER_TASK, {"interval": interval(LEAD_REMINDER_EVERY_MINUTES, IntervalSchedule.MINUTES)},
         {"which": LEAD}, LEAD_REMINDER_EVERY_MINUTES * 60,
         f"Remind each holder {hours} hours before their deadline (DEADLINE_REMINDER_HOURS)."),
        (DIGEST_NAME, DIGEST_TASK, {"crontab": daily(DIGEST_TIME)}, {}, 12 * 3600,
         "07:30 Europe/London: the daily digest e-mails."),
        (PSW_DIGEST_NAME, PSW_DIGEST_TASK, {"crontab": daily(DIGEST_TIME)}, {}, 12 * 3600,
         "07:30 Europe/London: each PSW's list of what is overdue in their organisation."),
        (RETENTION_NAME, RETENTION_TASK, {"crontab": daily(RETENTION_TIME)}, {}, 12 * 3600,
         "02:30 Europe/London: erase the free text and attachments of closed escalations past the retention "
         "period, keeping their timelines; each erasure audited."),
        (WEBHOOK_NAME, WEBHOOK_TASK, {"interval": interval(WEBHOOK_EVERY_SECONDS, IntervalSchedule.SECONDS)}, {},
         WEBHOOK_EVERY_SECONDS, f"Every {WEBHOOK_EVERY_SECONDS} s: send each webhook event that is due, and retry "
         "those whose wait is over."),
    ]
    for former, name in FORMER_NAMES.items():
        if not PeriodicTask.objects.filter(name=name).exists():
            PeriodicTask.objects.filter(name=former).update(name=name)
    report = []
    for name, task, schedule, kwargs, expire_seconds, description in rows:
        values = {
            "task": task, "interval": None, "crontab": None, **schedule, "kwargs": json.dumps(kwargs),
            "expire_seconds": expire_seconds, "description": description,
        }
        row = PeriodicTask.objects.filter(name=name).first()
        if row is None:
            PeriodicTask.objects.create(name=name, enabled=True, **values)
            report.append(f"created: {name}")
            continue
        changed = [key for key, value in values.items() if getattr(row, key) != value]
        if changed:
            for key in changed:
                setattr(row, key, values[key])
            row.save()
            report.append(f"updated ({', '.join(changed)}): {name}")
        else:
            report.append(f"unchanged{'' if row.enabled else ' (paused in the admin)'}: {name}")
    return report
