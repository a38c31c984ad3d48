"""The states an escalation moves through and the decisions a holder records.

Apart from the model so that the action specs (``escalations.actions``), which the model inherits its
transitions from, can name them; ``escalations.models`` re-exports them.
"""
from __future__ import annotations

from django.db import models


class State(models.TextChoices):
    OPEN = "open", "Open"
    MEETING_ARRANGED = "meeting_arranged", "Meeting arranged"
    RESPONDED = "responded", "Responded"
    IN_MEDIATION = "in_mediation", "In mediation"
    RESOLVED = "resolved", "Resolved"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_STATES = (State.OPEN, State.MEETING_ARRANGED, State.RESPONDED, State.IN_MEDIATION)
AWAITING_HOLDER = (State.OPEN, State.MEETING_ARRANGED)


class Decision(models.TextChoices):
    AGREE = "agree", "Agree with the challenge: the decision changes"
    UPHOLD = "uphold", "Uphold the original decision"
