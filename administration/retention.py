"""The retention run: anonymise what each organisation's retention period has passed, and audit each erasure.

Beat sends ``administration.tasks.apply_retention`` once a day (``deadlines.schedules``); the command
``apply_retention`` runs the same code. The erasures are ``escalations.retention``'s; this module adds the
audit row of each, in the same transaction, in the administration audit log of every organisation that
held the escalation (its administrator reads it; it names the escalation and case by number only).
Safe to run twice: a second run finds nothing due and writes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.services import Action, access_record_many
from cases.models import Case
from escalations import retention
from escalations.models import Escalation
from organisations.models import Organisation

from . import events


@dataclass
class RetentionReport:
    escalations: int = 0
    cases: int = 0
    digests: int = 0

    def summary(self) -> str:
        return (f"retention: {self.escalations} escalation(s) anonymised, {self.cases} case(s) anonymised, "
                f"{self.digests} digest(s) erased")


def retention_apply(*, now: dt.datetime | None = None) -> RetentionReport:
    """Anonymise every closed escalation, case and digest past its retention period; audit each."""
    now = now or timezone.now()
    report = RetentionReport()
    for batch in retention.in_batches(retention.escalations_due_for_anonymisation(now=now)):
        with transaction.atomic():
            entries = []
            anonymised = []
            for escalation_id in batch:
                erased = retention.escalation_anonymise(escalation_id=escalation_id, now=now)
                if erased is None:
                    continue
                report.escalations += 1
                anonymised.append(escalation_id)
                params = erased.as_params()
                entries += [events.escalation_anonymised(organisation_id=organisation_id, erased=params, at=now)
                            for organisation_id in erased.organisation_ids]
                if erased.case_anonymised:
                    report.cases += 1
                    entries.append(events.case_anonymised(organisation_id=erased.case_organisation_id,
                                                          case_id=erased.case_id, at=now))
            events.audit_add_many(entries)
            # Each anonymised escalation is in its organisations' access log too, where the PSW reads it.
            access_record_many(action=Action.ANONYMISED, objs=Escalation.objects.filter(pk__in=anonymised),
                               detail={"via": "retention"})
    # Cases that never had an escalation, and any whose last escalation was anonymised by an earlier run.
    for batch in retention.in_batches(retention.cases_due_for_anonymisation(now=now)):
        with transaction.atomic():
            entries = []
            owners = dict(Case.objects.filter(pk__in=batch).values_list("pk", "organisation_id"))
            for case_id in batch:
                if retention.case_anonymise(case_id=case_id, now=now):
                    report.cases += 1
                    entries.append(events.case_anonymised(organisation_id=owners[case_id], case_id=case_id, at=now))
            events.audit_add_many(entries)
    for organisation in Organisation.objects.filter(pk__in=retention.organisations_with_digests_due(now=now)):
        with transaction.atomic():
            count = retention.digests_erase(organisation=organisation, now=now)
            if count:
                report.digests += count
                events.audit_add(events.digests_erased(organisation=organisation, count=count,
                                                       retention_days=organisation.retention_days, at=now))
    return report
