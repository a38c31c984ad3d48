from django.core.management.base import BaseCommand

from policies.services import policies_seed


class Command(BaseCommand):
    help = "Load the organisations, partnerships and the six ladders of CONTRACT section 3 (safe to run twice)."

    def handle(self, *args, **options):
        for line in policies_seed():
            self.stdout.write(line)
