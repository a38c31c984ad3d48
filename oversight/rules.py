"""Who may read and who may change an organisation's systemic issues register (Bexley 4.4)."""
from __future__ import annotations

from organisations.models import ADMIN_ROLES, BOARD_ROLES, Role, User


def systemic_issue_can_view_register(user: User) -> bool:
    """Staff of an organisation may read its register; partnership roles, administrators (who run the organisation,
    never its cases: the register names escalations) and platform staff have none (CONTRACT 8.6)."""
    return bool(getattr(user, "is_authenticated", False) and user.organisation_id
                and user.role not in (*BOARD_ROLES, *ADMIN_ROLES) and not user.is_platform_staff)


def systemic_issue_can_manage(user: User, organisation_id: int | None = None) -> bool:
    """Only the organisation's PSW records and updates its systemic issues (never a platform account, 8.6)."""
    if (not getattr(user, "is_authenticated", False) or user.role != Role.PSW or not user.organisation_id
            or user.is_platform_staff):
        return False
    return organisation_id is None or organisation_id == user.organisation_id
