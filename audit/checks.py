"""E-mails carry case references: they must never reach the logs.

Django's console backend writes each whole e-mail to the process's output, which a container platform
collects as its log. Outside development (``DEBUG`` off) it is an error; in development the default is the
file backend (``var/mail/``), which keeps e-mails out of the output.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"


@checks.register(checks.Tags.security, deploy=True)
def email_not_in_logs(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.EMAIL_BACKEND == CONSOLE_BACKEND and not settings.DEBUG:
        return [checks.Error(
            "EMAIL_BACKEND is the console backend: every e-mail, with its case reference, would be written to "
            "the process's output, which is collected as the log.",
            hint="Use the SMTP backend (django.core.mail.backends.smtp.EmailBackend) or, in development, the "
                 "file backend (django.core.mail.backends.filebased.EmailBackend).",
            id="audit.E001",
        )]
    return []
