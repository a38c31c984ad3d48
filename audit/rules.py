"""Who may read the access log: the principal social worker, for her organisation's escalations only.

Platform staff are not parties (CONTRACT 8.6): ``User.has_perm`` refuses them every ``rules`` permission.
"""
import rules

from organisations.models import Role


@rules.predicate
def is_psw_of_an_organisation(user) -> bool:
    return user.role == Role.PSW and user.organisation_id is not None


rules.add_perm("audit.read_access_log", rules.is_authenticated & rules.is_active & is_psw_of_an_organisation)
