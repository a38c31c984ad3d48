from django.core.management.base import BaseCommand

from deadlines.sweep import deadlines_sweep


class Command(BaseCommand):
    help = "Run one sweep of the deadline engine (the same code as the beat task) and print what it did."

    def handle(self, *args: object, **options: object) -> None:
        result = deadlines_sweep()
        for line in result.lines():
            self.stdout.write(line)
        self.stdout.write(result.summary())
