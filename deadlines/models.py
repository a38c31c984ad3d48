"""The clock's heartbeat: when the beat-driven sweep last ran to its end (read by ``/readyz``)."""
from django.db import models


class ClockHeartbeat(models.Model):
    """One row per periodic job of the clock, touched each time it finishes; its age says the clock is alive.

    Written by the worker that ran the task beat sent, so a fresh row shows beat, the broker and a
    worker all working. One small row rewritten once a sweep interval: no history is kept.
    """

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "clock heartbeat"

    def __str__(self) -> str:
        return f"{self.name}: {self.at:%Y-%m-%d %H:%M:%S}"
