from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.services import demo_seed

PRODUCTION_FLAG = "--i-know-this-is-not-production"


class Command(BaseCommand):
    help = (
        "Load the ladders, the fictional demo people, cases and escalations (safe to run twice). "
        f"Refused when DEBUG is off unless given {PRODUCTION_FLAG}: the demo people share one known password."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            PRODUCTION_FLAG, action="store_true", dest="not_production",
            help="Load the demo although DEBUG is off (a test or demonstration installation, never production).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: the demo accounts share one published password "
                f"(CONTRACT section 8.6). On an installation that is not production, run it with {PRODUCTION_FLAG}."
            )
        for line in demo_seed():
            self.stdout.write(line)
