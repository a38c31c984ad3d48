"""Signing to the Standard Webhooks specification, with the ``standardwebhooks`` package the receivers use too.

Each request carries ``webhook-id`` (the event's id, the same on every try), ``webhook-timestamp`` (the try's
time, in whole seconds since the epoch: receivers refuse one more than five minutes old or ahead) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` for each valid secret of the
endpoint, separated by spaces. During a rotation two secrets are valid, so a receiver that knows either one
accepts the request.
"""
from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # 256 bits, as long as the HMAC-SHA256 key it becomes
USER_AGENT = "EscalationTracker-Webhooks/1"


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64 (what the receiver is given)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signature_header(*, msg_id: str, at: dt.datetime, body: str, secrets_valid: Sequence[str]) -> str:
    """The ``webhook-signature`` value: one ``v1,`` signature per secret, space-separated."""
    # The package reads the moment's fields as UTC (it replaces the zone): give it UTC.
    moment = at.astimezone(dt.UTC)
    return " ".join(Webhook(secret).sign(msg_id, moment, body) for secret in secrets_valid)


def headers_signed(*, msg_id: str, at: dt.datetime, body: str, secrets_valid: Sequence[str]) -> dict[str, str]:
    """Every header of one try: the three of the specification, the content type and who sends it."""
    if not secrets_valid:
        raise ValueError("An endpoint with no valid secret cannot sign its events.")
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(msg_id=msg_id, at=at, body=body, secrets_valid=secrets_valid),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
