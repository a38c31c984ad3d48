"""A short way to raise an escalation in tests, benchmarks and scripts, through the real service."""
from __future__ import annotations

import itertools

from cases.services import case_get_or_create
from organisations.models import Organisation
from policies.models import Ladder

from .services import escalation_raise

_refs = itertools.count(1)


def raise_for_test(*, people: dict, username: str, ladder_slug: str, risk_level: str = "standard",
                   receiving: str | None = None, category: str | None = None, reference: str | None = None,
                   now=None):
    user = people[username]
    ladder = Ladder.objects.current().get(slug=ladder_slug)
    case, _ = case_get_or_create(organisation=user.organisation, reference=reference or f"TEST-{next(_refs):05d}")
    return escalation_raise(
        raised_by=user, case=case, ladder=ladder, risk_level=risk_level,
        category=category or ladder.categories.first().slug,
        decision_challenged="Case closed to early help.", concern="Risk not reassessed.",
        basis="professional_judgement", desired_outcome="Reassess before closing.",
        receiving_organisation=Organisation.objects.get(slug=receiving) if receiving else None,
        now=now,
    )
