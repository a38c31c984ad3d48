"""Log records as one JSON object a line (settings ``LOG_FORMAT=json``), for a log collector to index.

Each line has the time (UTC, ISO 8601), the level, the logger and the message, then whatever the code
passed in ``extra=`` (the request log's method, path, status, duration and user id; a task's name, id,
state and duration). Only those fields are written: a record's arguments are formatted into the
message by the code that logs, never dumped whole.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.http import HttpRequest

# Liveness and readiness probes come every second or two from each load balancer and monitor.
PROBE_PATHS = frozenset({"/healthz/", "/readyz/"})

# The attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


_SEPARATORS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, HttpRequest):
        # Django's own request logger passes the request: its method and path, never the query string,
        # which may carry a case reference (a search, a subject-access request).
        return f"{value.method} {value.path}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message, the extra fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _plain(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # One record, one line: json.dumps escapes "\n" but leaves the Unicode line and paragraph separators
        # (and NEL), which some collectors split on; they are escaped too.
        return json.dumps(entry, ensure_ascii=False).translate(_SEPARATORS)


class ProbeAnswerFilter(logging.Filter):
    """Keep Django's ``django.request`` error line out of the log for a probe's answer.

    ``/readyz/`` answers 503 by design while something is missing (before the first sweep of a new
    deployment, say), and logs its own warning naming what; Django would add an error line for each poll.
    Any other request's line is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return getattr(request, "path", None) not in PROBE_PATHS

