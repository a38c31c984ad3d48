from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    """The deadline clock: the sweep for missed deadlines, the reminders, beat's schedules and their tasks."""

    name = "deadlines"
    verbose_name = "Deadline clock"
