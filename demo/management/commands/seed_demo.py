from django.core.management.base import BaseCommand

from demo.services import demo_seed


class Command(BaseCommand):
    help = "Load the ladders, the fictional demo people, cases and escalations (safe to run twice)."

    def handle(self, *args, **options):
        for line in demo_seed():
            self.stdout.write(line)
