import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from administration.token_services import organisation_service_token_issue, organisation_service_token_revoke
from core import text
from core.errors import ServiceError
from identity.models import Scope, ServiceToken
from organisations.models import Organisation


class Command(BaseCommand):
    help = ("Make an API token for an organisation's case-management system (printed once; only its hash is kept), "
            "list its tokens with --list, or revoke one with --revoke <prefix>. Each change is in the "
            "organisation's audit log. Its administrator does the same on Administration → API tokens.")

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's slug, e.g. bexley.")
        parser.add_argument("--name", default="Case-management system", help="What will use the token.")
        parser.add_argument("--scope", action="append", choices=Scope.values, dest="scopes",
                            help="What it may do; repeat for several. By default cases:create and escalations:read.")
        parser.add_argument("--days", type=int, default=90, help="How many days from today it works (at most 365).")
        parser.add_argument("--list", action="store_true", help="List the organisation's tokens instead.")
        parser.add_argument("--revoke", metavar="PREFIX", help="Revoke the organisation's token that starts so.")

    def handle(self, *args, **options):
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.")
        tokens = ServiceToken.objects.of_organisation(organisation.pk).order_by("-created_at", "-pk")
        if options["list"]:
            for token in tokens:
                self.stdout.write(f"{token.prefix}  {token.state()}  until the end of "
                                  f"{text.day_words(token.last_day)}  {','.join(token.scopes)}  {token.name}")
            return
        if options["revoke"]:
            matching = list(tokens.filter(prefix__startswith=options["revoke"])[:2])
            if len(matching) != 1:
                raise CommandError(f"{len(matching) or 'No'} token(s) of {organisation.name} start with "
                                   f"{options['revoke']!r}: give the prefix the list shows.")
            try:
                organisation_service_token_revoke(token=matching[0], actor=None, source="command")
            except ServiceError as error:
                raise CommandError(error.message) from error
            self.stdout.write(f"Revoked {matching[0].prefix} ({matching[0].name}) of {organisation.name}.")
            return
        scopes = options["scopes"] or [Scope.CASES_CREATE, Scope.ESCALATIONS_READ]
        last_day = timezone.localdate() + dt.timedelta(days=options["days"])
        try:
            token, key = organisation_service_token_issue(
                organisation=organisation, actor=None, name=options["name"], scopes=scopes, last_day=last_day,
                source="command")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"API token for {organisation.name}, {', '.join(token.scopes)}, until the end of "
                          f"{text.day_words(token.last_day)} (shown once; keep it in the case-management system):")
        self.stdout.write(key)
