"""The example receiver of docs/webhooks.md, run as its own process: it verifies, prints and refuses as it says."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from escalations import services
from tests.webhooks.conftest import endpoint_create
from tests.webhooks.receiver import post_raw
from webhooks.delivery import deliveries_send
from webhooks.signing import secret_generate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_receiver.py"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_the_example_receiver_prints_each_event_once_and_refuses_a_forgery(people, raise_escalation):
    # Real time throughout: the receiver is another process, with the machine's clock.
    secret, port = secret_generate(), free_port()
    process = subprocess.Popen([sys.executable, str(EXAMPLE), "--port", str(port), "--secret", secret],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout.readline().startswith(f"Listening on http://127.0.0.1:{port}/events")
        endpoint_create("bexley", f"http://127.0.0.1:{port}/events", secrets=[secret])
        esc = raise_escalation("bexley-practitioner", "bexley-internal", reference="LCS-310001")
        services.escalation_add_note(escalation=esc, actor=people["bexley-practitioner"], note="Phoned the school.")
        run = deliveries_send()
        assert run.counts["delivered"] == 2
        assert post_raw(f"http://127.0.0.1:{port}/events", b'{"forged": true}',
                        {"webhook-id": "msg_x", "webhook-timestamp": str(int(time.time())),
                         "webhook-signature": "v1,Zm9yZ2Vk"}) == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert output.count("escalation.raise") == 1 and output.count("escalation.note") == 1
    assert f"escalation {esc.pk} on bexley-internal, case LCS-310001" in output
    assert "note: Phoned the school." in output
    assert "refused: No matching signature found" in output
