"""factory-boy factories for the models tests build by hand, and a short way to raise an escalation."""
import itertools

import factory

from cases.models import Case
from cases.services import case_get_or_create
from escalations.services import escalation_raise
from organisations.models import Organisation, Role, User
from policies.models import Ladder


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.slug}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.SOCIAL_WORKER
    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "demo-pass-2026")
        if create:
            self.save(update_fields=["password"])


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"LCS-{100000 + n}")
    organisation = factory.SubFactory(OrganisationFactory)


_refs = itertools.count(1)


def raise_for_test(*, people: dict, username: str, ladder_slug: str, risk_level: str = "standard",
                   receiving: str | None = None, category: str | None = None, reference: str | None = None,
                   holder: str | None = None, now=None):
    """Raise an escalation through the real service, with plausible texts and a fresh case.

    ``holder``: the username of the person named to hold it; on ``stoke-crm-concerns``, where the raiser
    must name the CRM the concern is about, ``stoke-crm`` unless another is named.
    """
    user = people[username]
    ladder = Ladder.objects.current().get(slug=ladder_slug)
    case, _ = case_get_or_create(organisation=user.organisation, reference=reference or f"TEST-{next(_refs):05d}")
    return escalation_raise(
        raised_by=user, case=case, ladder=ladder, risk_level=risk_level,
        category=category or ladder.categories.first().slug,
        decision_challenged="Case closed to early help.", concern="Risk not reassessed.",
        basis="professional_judgement", desired_outcome="Reassess before closing.",
        receiving_organisation=Organisation.objects.get(slug=receiving) if receiving else None,
        holder=_named_holder(ladder, holder), now=now,
    )


def administrator_create(*, username: str, organisation: str | None = None, partnership: str | None = None):
    """An organisation's administrator (``organisation``) or a partnership's (``partnership``), by slug.

    The demo's ``bexley-org-admin`` is ``administrator_create(username="bexley-org-admin", organisation="bexley")``.
    """
    from organisations.models import Partnership

    if organisation is not None:
        return UserFactory(username=username, first_name="Ada", last_name="Admin", role=Role.ORG_ADMIN,
                           organisation=Organisation.objects.get(slug=organisation))
    return UserFactory(username=username, first_name="Pat", last_name="Admin", role=Role.PARTNERSHIP_ADMIN,
                       organisation=None, partnership=Partnership.objects.get(slug=partnership))


def _named_holder(ladder: Ladder, username: str | None):
    if username is None and ladder.holder_named_on_raise:
        username = "stoke-crm"
    return User.objects.get(username=username) if username else None


def bristol_third_agency() -> dict[str, User]:
    """A third agency in the Bristol partnership (its three tiers) and the partnership's QA&P chair, where the
    data has none yet: what a resolution panel of three agencies needs (CONTRACT 8.2, 8.8)."""
    from organisations.models import Partnership, TierMapping

    partnership = Partnership.objects.get(slug="bristol-partnership")
    third = partnership.members.exclude(slug__in=["bs3", "bristol"]).order_by("pk").first()
    if third is None:
        third = OrganisationFactory(slug="test-health", name="Test Health Trust", kind="health")
        partnership.members.add(third)
    for role, tier in ((Role.PRACTITIONER, "practitioner"), (Role.DESIGNATED_SAFEGUARDING_LEAD, "manager")):
        TierMapping.objects.get_or_create(organisation=third, role=role, defaults={"tier": tier})
    staff = {
        "third-practitioner": User.objects.filter(organisation=third, role=Role.PRACTITIONER, is_active=True).first()
        or UserFactory(username="test-health-practitioner", organisation=third, role=Role.PRACTITIONER),
        "third-lead": User.objects.filter(organisation=third, role=Role.DESIGNATED_SAFEGUARDING_LEAD,
                                          is_active=True).first()
        or UserFactory(username="test-health-lead", organisation=third, role=Role.DESIGNATED_SAFEGUARDING_LEAD),
    }
    staff["chair"] = (User.objects.filter(partnership=partnership, role=Role.QAP_CHAIR, is_active=True).order_by("pk")
                      .first() or UserFactory(username="test-bristol-qap-chair", organisation=None,
                                              partnership=partnership, role=Role.QAP_CHAIR))
    return staff


def resolution_panel_for_test(*, raiser: str = "bs3-designated-safeguarding-lead", now=None):
    """A bs3 nursery's disagreement with Bristol children's social care, taken straight to the Resolution Panel
    (a skip, with its reason): open at stage 3, held by the partnership's QA&P chair."""
    from escalations.services import escalation_skip

    bristol_third_agency()
    user = User.objects.get(username=raiser)
    escalation = raise_for_test(people={raiser: user}, username=raiser, ladder_slug="multi-agency-resolution-panel",
                                receiving="bristol", now=now)
    return escalation_skip(escalation=escalation, actor=user, to_stage=3,
                           reason="Senior managers met last month without agreement.")
