"""Deletions of what is never deleted on purpose (an attachment, a systemic issue), whoever makes them and
however (the Django admin, a shell): each is recorded with what it was and who was signed in."""
from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete

from .models import Action
from .services import access_record
from .subjects import describe

WATCHED_DELETIONS = ("escalations.Attachment", "oversight.SystemicIssue")


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    access_record(action=Action.DELETED, obj=describe(instance), detail={"model": sender._meta.label})


for label in WATCHED_DELETIONS:
    post_delete.connect(_deleted, sender=label, dispatch_uid=f"audit-deleted-{label}")
