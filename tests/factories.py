"""factory-boy factories for the models tests build by hand."""
import factory

from cases.models import Case
from organisations.models import Organisation, Role, User


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
