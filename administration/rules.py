"""Who administers what: an organisation's administrator its organisation, a partnership's its partnership."""
from __future__ import annotations

from typing import Any

from organisations.models import Role


def administers_organisation(user: Any) -> bool:
    """An active organisation administrator with an organisation."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.ORG_ADMIN
                and user.organisation_id)


def administers_partnership(user: Any) -> bool:
    """An active partnership administrator with a partnership."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role == Role.PARTNERSHIP_ADMIN
                and user.partnership_id)


def administers(user: Any) -> bool:
    return administers_organisation(user) or administers_partnership(user)
