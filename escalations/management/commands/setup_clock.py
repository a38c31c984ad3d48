from django.core.management.base import BaseCommand

from escalations.deadlines import clock_schedules_sync


class Command(BaseCommand):
    help = ("Create or update the deadline clock's beat schedules (the sweep every DEADLINE_SWEEP_SECONDS, "
            "the deadline reminders, the daily digests); safe to run at every start.")

    def handle(self, *args, **options):
        for line in clock_schedules_sync():
            self.stdout.write(line)
