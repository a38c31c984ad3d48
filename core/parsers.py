"""The API's request bodies: JSON only, bounded in length and in depth.

Its own module, not ``core.api``: DRF reads ``DEFAULT_PARSER_CLASSES`` when its ``APIView`` is first
imported, which ``core.api`` does.
"""
from __future__ import annotations

import codecs
import json
from typing import Any

from rest_framework import exceptions, parsers

# The largest body the API reads: a staff import's CSV (1 MiB) written as a JSON string, with room for
# its escapes. A longer body is refused before it is read.
MAX_BODY_BYTES = 2 * 1024 * 1024
# The deepest nesting a body may have. Every request body here is an object of plain values and lists
# (depth 2); a body nested deeper is refused before any serializer walks it.
MAX_JSON_DEPTH = 20
BODY_TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB."
BODY_TOO_DEEP = f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects and arrays more than ``limit`` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies, bounded: at most ``MAX_BODY_BYTES`` long and ``MAX_JSON_DEPTH`` deep.

    A body over either bound, or one the decoder cannot take (a number of more digits than Python
    converts, an invalid encoding), answers 400 under ``non_field_errors`` like any malformed body,
    never a server error: Python's decoder recurses once per level, so 5,000 nested brackets would
    otherwise end in a RecursionError.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        meta = getattr(request, "META", {})
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except (TypeError, ValueError):
            declared = 0
        if declared > MAX_BODY_BYTES:
            raise exceptions.ParseError(BODY_TOO_LARGE)
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise exceptions.ParseError(BODY_TOO_LARGE)
        encoding = parser_context.get("encoding") or "utf-8"
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text, parse_constant=_refuse_constant if self.strict else None)
        except RecursionError:
            raise exceptions.ParseError(BODY_TOO_DEEP) from None
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if _json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(BODY_TOO_DEEP)
        return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")
