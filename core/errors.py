"""The refusals a service can answer with, mapped to HTTP statuses by ``core.api`` and the pages.

Bad input is Django's ``ValidationError`` (400, with the field and the reason); these are the rest.
"""
from __future__ import annotations


class ServiceError(Exception):
    """A refused action; ``status`` is the HTTP answer the API gives."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ActionNotPermitted(ServiceError):
    """The person may not do this (403)."""

    status = 403


class ActionConflict(ServiceError):
    """Not allowed in the object's state or by its rules, or it changed meanwhile (409)."""

    status = 409


# The name the escalation services have always used for the base class.
EscalationError = ServiceError
