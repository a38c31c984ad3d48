"""Export everything held about one case as JSON, for the server's operator answering a subject-access request
in writing on behalf of the case's organisation (the PSW downloads the same document from the product)."""
import json
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from cases.models import Case
from escalations.subject_access import subject_access_document, subject_access_recorded


class Command(BaseCommand):
    help = ("Write everything held about one case (its escalations, timelines, notes, confirmations, debriefs, "
            "attachments' metadata and notifications) as one JSON document.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True, help="The slug of the organisation that owns the case.")
        parser.add_argument("--reference", required=True, help="The case's reference in the case-management system.")
        parser.add_argument("--output",
                            help="Write to this file (created, never overwritten); default: standard output.")

    def handle(self, *args: object, **options: str) -> None:
        case = Case.objects.select_related("organisation", "allocated_worker").filter(
            organisation__slug=options["organisation"], reference=options["reference"].strip()
        ).first()
        if case is None:
            raise CommandError(f"{options['organisation']} holds no case with the reference {options['reference']!r}.")
        document = subject_access_document(case=case, actor=None)
        body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        if options.get("output"):
            path = Path(options["output"])
            try:  # readable by the operator only, from the moment it exists
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError as exc:
                raise CommandError(f"{path} exists: choose another file.") from exc
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(body + "\n")
        else:
            self.stdout.write(body)
        subject_access_recorded(case=case, actor=None, via="command", escalations=len(document["escalations"]))
