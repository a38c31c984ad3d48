"""Limits on free text, shared by services, forms and API serializers."""
from __future__ import annotations

TEXT_LIMIT = 10_000  # characters in a free-text field: a long e-mail's worth, no more
