"""The Celery settings that make a killed worker's job re-run without doubling (docs/deployment.md)."""
import importlib
import os
from unittest import mock

from celery import current_app


def _settings_with(**environ):
    """The settings module as read with this environment (None: the variable unset)."""
    with mock.patch.dict(os.environ, {key: value for key, value in environ.items() if value is not None}):
        for key in [key for key, value in environ.items() if value is None]:
            os.environ.pop(key, None)
        import escalation_tracker.settings as module

        try:
            return importlib.reload(module)
        finally:
            importlib.reload(module)


def test_tasks_are_acknowledged_when_they_end_and_requeued_when_their_worker_is_lost():
    from deadlines.tasks import send_deadline_reminders, sweep_deadlines
    from notifications.tasks import send_daily_digests, send_notification_emails

    assert current_app.conf.task_acks_late and current_app.conf.task_reject_on_worker_lost
    assert current_app.conf.worker_prefetch_multiplier == 1
    for task in (sweep_deadlines, send_deadline_reminders, send_notification_emails, send_daily_digests):
        assert task.acks_late, task.name


def test_the_visibility_timeout_is_one_sweep_interval_unless_set():
    configured = _settings_with(REDIS_URL="redis://127.0.0.1:6379/0", DEADLINE_SWEEP_SECONDS="90",
                                CELERY_VISIBILITY_TIMEOUT=None)
    assert configured.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 90
    # A message left by a dead worker is looked for often enough to come back within the timeout.
    assert configured.CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] * 6 <= 90
    assert configured.CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] == 1
    own = _settings_with(REDIS_URL="redis://127.0.0.1:6379/0", CELERY_VISIBILITY_TIMEOUT="300")
    assert own.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 300


def test_no_retry_waits_longer_than_the_visibility_timeout():
    """A retry waits unacknowledged in its worker: a longer wait would be handed out again meanwhile."""
    from django.conf import settings

    from deadlines.tasks import send_deadline_reminders, sweep_deadlines
    from notifications.tasks import send_daily_digests, send_notification_emails

    for task in (sweep_deadlines, send_deadline_reminders, send_notification_emails, send_daily_digests):
        assert task.retry_backoff_max <= max(60, settings.CELERY_VISIBILITY_TIMEOUT), task.name
    # Still about a day of retries for a mail server that is down.
    assert send_notification_emails.max_retries * send_notification_emails.retry_backoff_max >= 23 * 3600
