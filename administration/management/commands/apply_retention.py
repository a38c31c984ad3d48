from django.core.management.base import BaseCommand

from administration.retention import retention_apply


class Command(BaseCommand):
    help = ("Anonymise the closed escalations, cases and digests past their organisation's retention period "
            "(the same code beat runs daily); each erasure is audited; safe to run twice.")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(retention_apply().summary())
