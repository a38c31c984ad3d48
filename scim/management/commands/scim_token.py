from django.core.management.base import BaseCommand, CommandError

from organisations.models import Organisation
from scim.services import scim_token_create, scim_tokens_revoke


class Command(BaseCommand):
    help = ("Make a SCIM bearer token for an organisation's identity provider (printed once; only its hash is "
            "kept), or revoke its tokens with --revoke.")

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's slug, e.g. bexley.")
        parser.add_argument("--name", default="Entra ID provisioning", help="What will use the token.")
        parser.add_argument("--revoke", action="store_true", help="Revoke every token of the organisation instead.")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
        if options["revoke"]:
            count = scim_tokens_revoke(organisation=organisation)
            self.stdout.write(f"Revoked {count} token(s) of {organisation.name}.")
            return
        _, key = scim_token_create(organisation=organisation, name=options["name"])
        self.stdout.write(f"SCIM token for {organisation.name} (shown once; keep it in the identity provider):")
        self.stdout.write(key)
