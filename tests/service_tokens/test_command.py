"""``manage.py service_token``: the platform's operators make, list and revoke an organisation's API tokens, each
change in the organisation's audit log (with no actor: the command)."""
import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from administration.models import AuditEntry, AuditKind
from identity.models import ServiceToken

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("service_token", *args, stdout=out)
    return out.getvalue()


def test_the_command_makes_lists_and_revokes_a_token(people):
    printed = run("bexley", "--name", "Liquid Logic", "--scope", "escalations:read", "--days", "30")
    key = printed.strip().splitlines()[-1]
    token = ServiceToken.objects.get()
    assert key.startswith("etcms_") and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.scopes == ["escalations:read"] and token.created_by is None
    assert token.prefix in run("bexley", "--list")
    run("bexley", "--revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None
    entries = list(AuditEntry.objects.filter(organisation=token.organisation).order_by("pk"))
    assert [(e.kind, e.actor, e.after["source"]) for e in entries] == [
        (AuditKind.SERVICE_TOKEN_ISSUED, None, "command"), (AuditKind.SERVICE_TOKEN_REVOKED, None, "command")]


def test_the_command_refuses_an_unknown_organisation_a_long_life_and_an_unknown_prefix(people):
    with pytest.raises(CommandError):
        run("nowhere")
    with pytest.raises(CommandError, match="365"):
        run("bexley", "--days", "400")
    with pytest.raises(CommandError):
        run("bexley", "--revoke", "etcms_nothing")
    assert not ServiceToken.objects.exists()
