"""Board logs by kind and the chair-held Resolution Panel keep what was stored before them.

The database goes back to before the board logs' table (escalations.0003) and before the panel's stage was
the QA&P chair's (policies.0002); forward again, an escalation logged once reads back as one serious-concern
log by the person who logged it, at the moment it was logged, and the panel stage is the chair's.
"""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from escalations import services
from escalations.models import BoardLog, Escalation
from policies.models import Ladder

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("escalations", "0003_systemicissue_moved_to_oversight"), ("policies", "0002_stage_roles")]
AFTER = [("escalations", "0004_board_logs_panels_debriefs"), ("policies", "0005_resolution_panel_held_by_qap_chair")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_a_case_logged_before_kinds_is_one_serious_concern_and_the_panel_stage_is_the_chair_s(
        people, raise_escalation, back_to_latest):
    esc = raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire")
    services.escalation_log_with_board(escalation=esc, actor=people["puddleducks-practitioner"], reason="Third one.")
    logged_at = Escalation.objects.get(pk=esc.pk).board_logged_at

    old = migrate(BEFORE)
    old_stage = old.get_model("policies", "Stage").objects.get(ladder__slug="multi-agency-resolution-panel", index=3)
    assert (old_stage.role, old_stage.tier) == ("", "senior_leader")

    migrate(AFTER)
    log = BoardLog.objects.get(escalation_id=esc.pk)
    assert (log.kind, log.at, log.by_id, log.reason) == ("serious_concern", logged_at,
                                                         people["puddleducks-practitioner"].pk, "Third one.")
    stage = Ladder.objects.current().get(slug="multi-agency-resolution-panel").stage(3)
    assert (stage.role, stage.tier, stage.panel) == ("qap_chair", "", True)
