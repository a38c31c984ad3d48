"""Who is away on a day (CONTRACT section 8.5)."""
import datetime as dt

import pytest
from django.db import IntegrityError

from organisations.models import Absence
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_absence_counts_both_its_first_and_its_last_day():
    org = OrganisationFactory()
    away, other = UserFactory(organisation=org), UserFactory(organisation=org)
    Absence.objects.create(person=away, starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 3), recorded_by=away)

    assert Absence.objects.absent_ids(dt.date(2026, 11, 30)) == set()
    assert Absence.objects.absent_ids(dt.date(2026, 12, 1)) == {away.pk}
    assert Absence.objects.absent_ids(dt.date(2026, 12, 3)) == {away.pk}
    assert Absence.objects.absent_ids(dt.date(2026, 12, 4)) == set()
    assert other.pk not in Absence.objects.absent_ids(dt.date(2026, 12, 2))


def test_an_absence_cannot_end_before_it_starts():
    person = UserFactory(organisation=OrganisationFactory())
    with pytest.raises(IntegrityError):
        Absence.objects.create(person=person, starts_on=dt.date(2026, 12, 3), ends_on=dt.date(2026, 12, 1),
                               recorded_by=person)
