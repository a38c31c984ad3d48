"""Property-based run over every operation of the OpenAPI schema (schemathesis), with the demo data.

For each of the schema's operations, schemathesis generates valid and invalid requests from the
schema and sends them to the application in-process, each with a token (``Authorization: Token``),
as a demo raiser, a holder, a PSW and an organisation's administrator. Every response must be
something other than a server error and must match the schema's description of that operation's
responses (status code and JSON body: 400 with the fields, 401, 403, 404, 409 with ``detail``).
The number of requests sent is printed at the end of the module (``-s``), for docs/security.md.

The demo data is loaded once for the module, inside a transaction rolled back at the end.
"""
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

# The module's demo data sits in an outer transaction; each test runs in a savepoint inside it.
pytestmark = pytest.mark.django_db

# Enough examples per operation to find the edges of each field, few enough to keep the run short.
MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# As the raiser: the coverage phase (each field's boundary values, wrong types, missing and unknown
# fields, unexpected methods) and then random valid and invalid requests.
THOROUGH = schemathesis.Config.from_dict({
    "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
    "phases": {"coverage": {"enabled": True}, "stateful": {"enabled": False}},
})
# As the holder and the PSW: random requests only, so that the actions (and the reports) are tried
# by people who may take them.
QUICK = schemathesis.Config.from_dict({
    "generation": {"max-examples": 15, "database": "none"},
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})


@pytest.fixture(scope="module")
def demo_tokens(django_db_setup, django_db_blocker):
    """The demo data and a token for each demo user used here; rolled back after the module."""
    from demo.services import demo_seed
    from organisations.models import User
    from organisations.tokens import token_issue

    # A real WSGI request would close the test's connection (and its transaction) at its start
    # and end; Django's own test client disconnects these handlers the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as patch:
            from rest_framework.settings import api_settings

            # The run sends hundreds of requests a minute as one user; the throttles are tested elsewhere.
            patch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "user", "100000/minute")
            patch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "100000/minute")
            demo_seed()
            users = User.objects.filter(username__in=["bexley-practitioner", "bexley-team-manager", "bexley-psw",
                                                      "bexley-org-admin"])
            yield {user.username: token_issue(user=user) for user in users}
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _load_schema(config):
    """The schema as the application serves it, read in-process (it needs no database)."""
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=config)


thorough, quick = _load_schema(THOROUGH), _load_schema(QUICK)
HYPOTHESIS = settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))

# Requests sent, by status code, over the module's run.
SENT: dict[int, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _count_requests():
    SENT.clear()
    yield
    total = sum(SENT.values())
    operations = sum(1 for _ in thorough.get_all_operations())
    print(f"\nschemathesis: {total} requests over {operations} operations; "
          + ", ".join(f"{code}: {count}" for code, count in sorted(SENT.items())))
    assert total and 500 not in SENT


def _call(case, token: str) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
    SENT[response.status_code] = SENT.get(response.status_code, 0) + 1


@thorough.parametrize()
@HYPOTHESIS
def test_every_operation_as_a_raiser(case, demo_tokens):
    _call(case, demo_tokens["bexley-practitioner"])


@quick.parametrize()
@HYPOTHESIS
def test_every_operation_as_a_holder(case, demo_tokens):
    _call(case, demo_tokens["bexley-team-manager"])


@quick.parametrize()
@HYPOTHESIS
def test_every_operation_as_a_principal_social_worker(case, demo_tokens):
    _call(case, demo_tokens["bexley-psw"])


@quick.parametrize()
@HYPOTHESIS
def test_every_operation_as_an_organisation_administrator(case, demo_tokens):
    """The administration endpoints' own users; every other endpoint refuses them or shows them nothing."""
    _call(case, demo_tokens["bexley-org-admin"])
