"""A ladder about to be edited is frozen as a version of its own: a copy of the ladder only."""
import pytest

from policies.models import Ladder
from policies.services import ladder_freeze_version

pytestmark = pytest.mark.django_db


def test_freezing_copies_the_stored_ladder_and_numbers_the_edited_one_next(ladders):
    ladder = ladders["bexley-internal"]
    stages = list(ladder.stages.values_list("index", "name", "working_days"))

    frozen = ladder_freeze_version(ladder_id=ladder.pk)

    edited = Ladder.objects.get(pk=ladder.pk)
    assert (edited.version, edited.is_current) == (2, True)
    assert (frozen.version, frozen.is_current, frozen.slug, frozen.name) == (1, False, ladder.slug, ladder.name)
    assert list(frozen.stages.values_list("index", "name", "working_days")) == stages
    assert frozen.categories.count() == ladder.categories.count() > 0
    assert frozen.risk_rules.count() == ladder.risk_rules.count() > 0
    assert Ladder.objects.current().get(slug="bexley-internal").pk == ladder.pk


def test_freezing_twice_numbers_the_versions_on(ladders):
    ladder = ladders["stoke-crm"]
    ladder_freeze_version(ladder_id=ladder.pk)
    ladder_freeze_version(ladder_id=ladder.pk)
    assert sorted(Ladder.objects.filter(slug="stoke-crm").values_list("version", "is_current")) == [
        (1, False), (2, False), (3, True)]
