"""Who manages an organisation's webhook endpoints: its own organisation administrator, nobody else.

Platform staff hold none of these (``User.has_perm`` refuses them every ``rules`` permission, CONTRACT 8.6).
"""
from __future__ import annotations

from typing import Any

import rules

from organisations.models import Role


@rules.predicate
def is_organisation_administrator(user: Any) -> bool:
    return bool(user.role == Role.ORG_ADMIN and user.organisation_id)


@rules.predicate
def administers_its_organisation(user: Any, endpoint: Any) -> bool:
    """The endpoint (or a delivery's endpoint) belongs to the administrator's own organisation."""
    if endpoint is None:
        return False
    endpoint = getattr(endpoint, "endpoint", endpoint)
    return bool(user.organisation_id and endpoint.organisation_id == user.organisation_id)


# Adding an endpoint: any organisation administrator (to their own organisation).
rules.add_perm("webhooks.add_endpoint", rules.is_authenticated & rules.is_active & is_organisation_administrator)
# Changing, rotating, reading the log and replaying: the administrator of the endpoint's organisation.
rules.add_perm("webhooks.manage_endpoint", rules.is_authenticated & rules.is_active & is_organisation_administrator
               & administers_its_organisation)
