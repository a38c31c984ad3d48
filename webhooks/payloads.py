"""What one endpoint is sent of a stored event: the child's display name only where the endpoint allows it.

The outbox stores one payload per event and organisation (schema: docs/webhooks.md). Where the organisation
owns the case and the case has a display name, the stored payload holds it at ``data.case.display_name``;
each try builds the body for its endpoint from the stored payload: an endpoint without
``include_display_name`` gets the payload without that key, and with the name replaced by "[name withheld]"
wherever it stands as a word in the note or in a text of the details. So a change of the endpoint's choice
applies to every try after it, replays included.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from notifications.texts import redact


def payload_for_endpoint(payload: dict[str, Any], *, include_display_name: bool) -> dict[str, Any]:
    """The payload as this endpoint may receive it."""
    data = payload.get("data")
    case = data.get("case") if isinstance(data, dict) else None
    if include_display_name or not isinstance(case, dict) or "display_name" not in case:
        return payload
    shown = copy.deepcopy(payload)
    data = shown["data"]
    name = data["case"].pop("display_name") or ""
    if name:
        if isinstance(data.get("note"), str):
            data["note"] = redact(data["note"], display_name=name)
        if isinstance(data.get("details"), dict):
            data["details"] = {key: redact(value, display_name=name) if isinstance(value, str) else value
                               for key, value in data["details"].items()}
    return shown


def body_of(payload: dict[str, Any]) -> str:
    """The request body: compact JSON in UTF-8 (the exact text is what the signature covers)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
