"""Writes on ladders: seeding from the procedures, and versioning on edit."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from organisations.models import DEFAULT_TIERS, Organisation, Partnership, TierMapping

from .ladders import LADDERS, ORGANISATIONS, PARTNERSHIPS
from .models import Category, Ladder, RiskRule, Stage


def organisation_seed(*, slug: str, name: str, kind: str, emergency_contacts: str = "",
                      out_of_hours_contacts: str = "") -> tuple[Organisation, bool]:
    """Create the organisation with its default role -> tier mapping, if it is new.

    An organisation that exists keeps what it has, but contacts it never had are filled in, so that no
    page shows an organisation with none where the procedures give them.
    """
    organisation, created = Organisation.objects.get_or_create(
        slug=slug, defaults={"name": name, "kind": kind, "emergency_contacts": emergency_contacts,
                             "out_of_hours_contacts": out_of_hours_contacts},
    )
    missing = {field: value for field, value in (("emergency_contacts", emergency_contacts),
                                                 ("out_of_hours_contacts", out_of_hours_contacts))
               if value and not getattr(organisation, field)}
    if missing and not created:
        Organisation.objects.filter(pk=organisation.pk).update(**missing)
        for field, value in missing.items():
            setattr(organisation, field, value)
    # One read and one insert instead of a query a role: the test suite seeds before every test.
    mapped = set(organisation.tier_mappings.values_list("role", flat=True))
    TierMapping.objects.bulk_create([
        TierMapping(organisation=organisation, role=role, tier=tier)
        for role, tier in DEFAULT_TIERS.get(organisation.kind, {}).items() if role not in mapped
    ])
    return organisation, created


@transaction.atomic
def ladder_create(*, definition: dict) -> Ladder:
    organisation = Organisation.objects.get(slug=definition["organisation"]) if definition.get("organisation") else None
    partnership = Partnership.objects.get(slug=definition["partnership"]) if definition.get("partnership") else None
    ladder = Ladder.objects.create(
        slug=definition["slug"], version=1, is_current=True, name=definition["name"],
        organisation=organisation, partnership=partnership,
        source=definition.get("source", ""), description=definition.get("description", ""),
        raiser_roles=definition.get("raiser_roles", []),
        skip_allowed=definition.get("skip_allowed", False),
        skip_by=definition.get("skip_by", "raiser"),
        skip_to_next=definition.get("skip_to_next", False),
        skip_to_stages=definition.get("skip_to_stages", []),
        allocated_worker_is_party=definition.get("allocated_worker_is_party", False),
        holder_named_on_raise=definition.get("holder_named_on_raise", False),
        mediation_allowed=definition.get("mediation_allowed", False),
        board_logging_allowed=definition.get("board_logging_allowed", False),
        overall_working_days=definition.get("overall_working_days"),
        overall_from_stage=definition.get("overall_from_stage", 1),
        emergency_instruction=definition.get("emergency_instruction", ""),
    )
    in_receiving = definition.get("in_receiving_organisation", False)
    Stage.objects.bulk_create([
        Stage(
            ladder=ladder, index=i, name=s["name"], role=s.get("role", ""), tier=s.get("tier", ""),
            in_receiving_organisation=s.get("in_receiving_organisation", in_receiving),
            working_days=s["working_days"], final=s.get("final", False), exceptional=s.get("exceptional", False),
            timescale_editable=s.get("timescale_editable", definition.get("timescales_editable", False)),
            allocated_worker_acts=s.get("allocated_worker_acts", False),
        )
        for i, s in enumerate(definition["stages"])
    ])
    Category.objects.bulk_create([
        Category(ladder=ladder, slug=slug, label=label, group=group, position=i,
                 route=options.get("route", []), raiser_roles=options.get("raiser_roles", []))
        for i, (slug, label, group, *more) in enumerate(definition["categories"])
        for options in [more[0] if more else {}]
    ])
    RiskRule.objects.bulk_create([
        RiskRule(ladder=ladder, risk_level=level, **values) for level, values in definition["rules"].items()
    ])
    return ladder


def policies_seed() -> list[str]:
    """Load the organisations, partnerships and ladders of CONTRACT section 3; safe to run twice.

    A ladder that exists already is left as it is: edits made in the admin are kept.
    """
    report = []
    with transaction.atomic():
        for org in ORGANISATIONS:
            _, created = organisation_seed(**org)
            report.append(f"organisation {org['slug']}: {'created' if created else 'unchanged'}")
        for p in PARTNERSHIPS:
            partnership, created = Partnership.objects.get_or_create(slug=p["slug"], defaults={"name": p["name"]})
            partnership.members.add(*Organisation.objects.filter(slug__in=p["members"]))
            report.append(f"partnership {p['slug']}: {'created' if created else 'unchanged'}")
        for definition in LADDERS:
            if Ladder.objects.filter(slug=definition["slug"]).exists():
                report.append(f"ladder {definition['slug']}: unchanged")
                continue
            ladder_create(definition=definition)
            report.append(f"ladder {definition['slug']}: created (version 1)")
    return report


@transaction.atomic
def ladder_freeze_version(*, ladder_id: int) -> Ladder:
    """Before a ladder is edited: copy what is stored now into a frozen version and give the ladder
    being edited the next number.

    The edited row keeps its primary key (so the admin's inline forms still apply to it) and
    becomes the new current version. Returns the frozen copy. Escalations are not touched here:
    ``escalations.ladder_versions.ladder_freeze_for_edit`` freezes and keeps them on the copy.
    """
    stored = Ladder.objects.select_for_update().get(pk=ladder_id)
    next_version = (Ladder.objects.filter(slug=stored.slug).aggregate(Max("version"))["version__max"] or 0) + 1
    stages = list(stored.stages.all())
    categories = list(stored.categories.all())
    risk_rules = list(stored.risk_rules.all())
    old_version = stored.version
    Ladder.objects.filter(pk=stored.pk).update(version=next_version, is_current=False)

    frozen = stored
    frozen.pk = None
    frozen.id = None
    frozen._state.adding = True
    frozen.version = old_version
    frozen.is_current = False
    frozen.save()
    for group in (stages, categories, risk_rules):
        for row in group:
            row.pk = None
            row.id = None
            row.ladder = frozen
            row._state.adding = True
    Stage.objects.bulk_create(stages)
    Category.objects.bulk_create(categories)
    RiskRule.objects.bulk_create(risk_rules)
    Ladder.objects.filter(pk=ladder_id).update(is_current=True)
    return frozen
