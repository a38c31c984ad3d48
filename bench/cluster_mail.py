"""The cluster run's e-mail backend: each message becomes a row of a table, in the sender's transaction.

The product sends a notification's e-mail inside the transaction that claims it
(``notifications.emails.notification_emails_send``), so a message and its claim are committed
together or not at all. Writing the message to a table of the same database makes "sent" exactly as
durable as the claim, and lets ``bench/cluster.py verify`` count every e-mail and find any sent twice.
With SMTP the one remaining gap is a worker killed after the mail server accepted a message and
before the claim committed (docs/deployment.md).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.db import connection
from django.utils import timezone

TABLE = "cluster_sent_mail"


class DatabaseEmailBackend(BaseEmailBackend):
    """Record each message's recipient, subject and a digest of its text in ``cluster_sent_mail``.

    The digest tells a message sent twice (the same words to the same person) from two notifications
    that share a subject (a decision recorded at two stages of one escalation).
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with connection.cursor() as cursor:
            for message in email_messages:
                digest = hashlib.sha256(str(message.body).encode()).hexdigest()
                for recipient in message.recipients():
                    cursor.execute(f"INSERT INTO {TABLE} (recipient, subject, digest, sent_at) VALUES (%s, %s, %s, %s)",
                                   [recipient, message.subject, digest, timezone.now().isoformat()])
                sent += 1
        return sent
