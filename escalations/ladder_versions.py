"""Editing a ladder keeps each escalation on the version it was raised on, and says so on its timeline.

``policies`` copies the stored ladder into a frozen version (``ladder_freeze_version``) and knows
nothing of escalations; re-pointing them is a write on escalations, so it is done here, through the
timeline builder, like every other change to an escalation.
"""
from __future__ import annotations

from django.db import transaction

from organisations.models import User
from policies.models import Ladder
from policies.services import ladder_freeze_version

from . import events
from .models import Escalation


@transaction.atomic
def escalations_ladder_repoint(*, from_ladder: Ladder, to_ladder: Ladder, actor: User) -> int:
    """Move every escalation on ``from_ladder`` to ``to_ladder``, with one timeline entry each.

    ``to_ladder`` is the frozen copy of the version the escalations were raised on; ``from_ladder``
    is the ladder being edited, already numbered as its next version. Returns how many moved.
    """
    escalations = list(Escalation.objects.select_for_update().filter(ladder=from_ladder).order_by("pk"))
    if not escalations:
        return 0
    Escalation.objects.filter(ladder=from_ladder).update(ladder=to_ladder)  # the rows locked above
    for escalation in escalations:
        escalation.ladder = to_ladder
    events.timeline_add_many([
        events.ladder_version_changed(escalation, actor=actor, ladder_name=to_ladder.name,
                                      kept_version=to_ladder.version, new_version=from_ladder.version)
        for escalation in escalations
    ])
    return len(escalations)


@transaction.atomic
def ladder_freeze_for_edit(*, ladder_id: int, actor: User) -> Ladder:
    """Before a ladder is edited: freeze what is stored as a version of its own and keep the
    escalations raised on it there, on the record. Returns the frozen copy."""
    frozen = ladder_freeze_version(ladder_id=ladder_id)
    escalations_ladder_repoint(from_ladder=Ladder.objects.get(pk=ladder_id), to_ladder=frozen, actor=actor)
    return frozen
