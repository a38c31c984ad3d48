"""CONTRACT 8.2: the resolution panel's stage is held by the partnership's QA&P chair (role ``qap_chair``).

Ladders seeded before the amendment named the tier ``senior_leader``; ``seed_policies`` leaves a stored
ladder as it is, so the stage is corrected here, in every version of the ladder.
"""
from django.db import migrations

SLUG = "multi-agency-resolution-panel"


def chair_holds_the_panel(apps, schema_editor):
    Stage = apps.get_model("policies", "Stage")
    Stage.objects.filter(ladder__slug=SLUG, final=True, tier="senior_leader", role="").update(
        role="qap_chair", tier="")


def senior_leaders_hold_it_again(apps, schema_editor):
    Stage = apps.get_model("policies", "Stage")
    Stage.objects.filter(ladder__slug=SLUG, final=True, role="qap_chair", tier="").update(
        role="", tier="senior_leader")


class Migration(migrations.Migration):

    dependencies = [
        ("policies", "0004_ladder_skips_routes_and_named_holders"),
    ]

    operations = [
        migrations.RunPython(chair_holds_the_panel, senior_leaders_hold_it_again),
    ]
