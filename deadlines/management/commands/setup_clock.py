from django.core.management.base import BaseCommand

from deadlines.schedules import clock_schedules_sync


class Command(BaseCommand):
    help = ("Create or update the deadline clock's beat schedules (the sweep every DEADLINE_SWEEP_SECONDS, "
            "the deadline reminders, the daily digests, retention, the webhooks' deliveries every minute); safe to run "
            "at every start.")

    def handle(self, *args: object, **options: object) -> None:
        for line in clock_schedules_sync():
            self.stdout.write(line)
