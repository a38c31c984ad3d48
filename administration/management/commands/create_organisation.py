from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from administration.services import organisation_create
from organisations.models import OrganisationKind


class Command(BaseCommand):
    help = ("Set up a new organisation and invite its first administrator, who runs everything else from the "
            "administration pages.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Short name in addresses, e.g. bexley")
        parser.add_argument("name", help="The organisation's full name")
        parser.add_argument("--kind", default=OrganisationKind.LOCAL_AUTHORITY, choices=OrganisationKind.values)
        parser.add_argument("--admin-name", required=True, help="The first administrator's full name")
        parser.add_argument("--admin-email", required=True, help="The first administrator's e-mail address")

    def handle(self, *args, **options):
        try:
            organisation, administrator = organisation_create(
                slug=options["slug"], name=options["name"], kind=options["kind"],
                administrator_name=options["admin_name"], administrator_email=options["admin_email"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{field}: {' '.join(reasons)}"
                                         for field, reasons in error.message_dict.items())) from error
        self.stdout.write(f"organisation {organisation.slug}: created; administrator {administrator.username} "
                          "invited (a set-password e-mail is on its way)")
