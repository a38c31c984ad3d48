#!/usr/bin/env python3
"""A webhook receiver for Escalation Tracker's events: verifies each request, drops repeats, prints each event.

It needs Python 3.9 or later and the ``standardwebhooks`` package (``pip install standardwebhooks``), nothing
else. Give it the endpoint's signing secret, shown on the tracker's administration pages:

    WEBHOOK_SECRET='whsec_...' python examples/webhook_receiver.py --port 8800

and point the endpoint at ``http://127.0.0.1:8800/events``. During a secret rotation give both secrets,
separated by a space. ``--fail`` answers 500 to every event, to watch the tracker retry. See docs/webhooks.md.

A real receiver stores each event on the child's file before it answers 2xx, and keeps the ids it has stored
in its database rather than in memory.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

MAX_BODY = 1024 * 1024  # an event is a few kilobytes


class Receiver:
    """Verification under any of the secrets, and the ids already seen."""

    def __init__(self, secrets: list[str], fail: bool = False) -> None:
        self.webhooks = [Webhook(secret) for secret in secrets]
        self.fail = fail
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def verify(self, body: bytes, headers: dict[str, str]) -> dict:
        """The event, if one of the secrets signed it and its timestamp is within five minutes; else raise."""
        error: Exception = WebhookVerificationError("No secret")
        for webhook in self.webhooks:
            try:
                return webhook.verify(body, headers)
            except WebhookVerificationError as exc:
                error = exc
        raise error

    def receive(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """Answer one request: 401 if it is not from the tracker, 200 for a repeat, else print it."""
        try:
            event = self.verify(body, headers)
        except WebhookVerificationError as exc:
            print(f"refused: {exc}", file=sys.stderr, flush=True)
            return 401, "not verified"
        if self.fail:
            print(f"answered 500 to {event['id']} (--fail)", flush=True)
            return 500, "failing on purpose"
        with self.lock:
            if event["id"] in self.seen:
                print(f"repeat of {event['id']}: already stored", flush=True)
                return 200, "already stored"
            self.seen.add(event["id"])
        print(describe(event), flush=True)
        return 200, "stored"


def describe(event: dict) -> str:
    """One event in a few lines, as a case-management system might file it."""
    data = event["data"]
    actor = data["actor"]["name"] if data["actor"] else "the deadline clock"
    state = data["state"]
    case = data["case"]
    child = f" ({case['display_name']})" if "display_name" in case else ""
    lines = [
        f"{event['timestamp']}  {event['type']}  [{event['id']}]",
        f"  escalation {data['escalation']['id']} on {data['escalation']['ladder']}, case {case['reference']}{child}",
        f"  {actor}: {state['before'] or '-'} -> {state['after']} at stage {data['stage']['index']} "
        f"({data['stage']['name']})",
    ]
    if data["note"]:
        lines.append(f"  note: {data['note']}")
    if data["details"]:
        lines.append(f"  details: {json.dumps(data['details'], ensure_ascii=False)}")
    return "\n".join(lines)


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length)  # the raw bytes: the signature covers them exactly
            status, text = receiver.receive(body, {key: value for key, value in self.headers.items()})
            self.send_response(status)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args: object) -> None:
            pass  # each event is printed above

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET", ""),
                        help="the endpoint's secret(s), space-separated (default: $WEBHOOK_SECRET)")
    parser.add_argument("--fail", action="store_true", help="answer 500 to every event, to watch the retries")
    args = parser.parse_args(argv)
    secrets = args.secret.split()
    if not secrets:
        parser.error("give the endpoint's secret with --secret or WEBHOOK_SECRET")
    server = ThreadingHTTPServer((args.host, args.port), handler_for(Receiver(secrets, fail=args.fail)))
    print(f"Listening on http://{args.host}:{server.server_address[1]}/events; Ctrl-C stops.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
