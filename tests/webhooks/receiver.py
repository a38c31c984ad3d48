"""A case-management system's webhook receiver on loopback, for the tests: a real HTTP server in a thread.

It verifies every request with ``standardwebhooks.Webhook`` (the package the docs tell integrators to use),
answers as the test asks (200, 500, or too late), and records what it saw: every request raw, the events it
accepted (de-duplicated on ``webhook-id``, as docs/webhooks.md tells receivers to), the duplicates and the
refusals.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

OK, ERROR, SLOW = "ok", "error", "slow"


@dataclass
class Seen:
    """One request as it arrived: its headers, its body and what the receiver answered."""

    headers: dict[str, str]
    body: bytes
    status: int
    reason: str = ""

    @property
    def event_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    """Start it, point an endpoint at ``url``, read ``accepted`` (payloads in the order they arrived)."""

    secrets: list[str]
    port: int = 0
    mode: str = OK
    slow_seconds: float = 0.0
    handle_seconds: float = 0.0  # how long each accepted request takes to handle (to make workers overlap)
    requests: list[Seen] = field(default_factory=list)
    accepted: list[dict] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _in_flight: int = 0

    # --- running ---------------------------------------------------------------------------------------
    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                receiver._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (the port refuses connections until ``start`` again), once requests in hand are done."""
        self.wait_idle()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_idle(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    # --- what it saw -----------------------------------------------------------------------------------
    @property
    def accepted_ids(self) -> list[str]:
        return [payload["id"] for payload in self.accepted]

    @property
    def refused(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.status == 401]

    def answered_ok(self, event_id: str) -> int:
        """How many times it answered 2xx for this event."""
        return sum(1 for seen in self.requests if seen.event_id == event_id and 200 <= seen.status < 300)

    # --- one request -----------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self._in_flight += 1
        try:
            body = handler.rfile.read(int(handler.headers.get("content-length") or 0))
            headers = {key.lower(): value for key, value in handler.headers.items()}
            if self.mode == SLOW:
                time.sleep(self.slow_seconds)  # the sender has given up waiting by now
            status, reason = self._verdict(body, headers)
            with self._lock:
                self.requests.append(Seen(headers, body, status, reason))
            try:
                handler.send_response(status)
                handler.send_header("content-type", "text/plain")
                handler.end_headers()
                handler.wfile.write(reason.encode())
            except OSError:
                pass  # the sender stopped waiting
        finally:
            with self._lock:
                self._in_flight -= 1

    def _verdict(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        payload = None
        for secret in self.secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
                break
            except WebhookVerificationError as exc:
                reason = str(exc)
        if payload is None:
            return 401, reason
        if self.mode == ERROR:
            return 500, "the case-management system is unwell"
        if self.handle_seconds:
            time.sleep(self.handle_seconds)
        with self._lock:
            if payload["id"] in self.accepted_ids:
                self.duplicates.append(payload["id"])
                return 200, "duplicate: already have it"
            self.accepted.append(payload)
        return 200, "thank you"


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST bytes with headers as given (a replay or a forgery); return the status the receiver answered."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def payload_of(seen: Seen) -> dict:
    return json.loads(seen.body)
