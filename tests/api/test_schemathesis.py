"""The API against its own OpenAPI schema, in process: schemathesis generates requests for every
operation (seeded, derandomized, bounded) and checks that none is a server error and that every
status, content type and body is the documented one. A longer run is bench/schemathesis_run.py.

Vendors are faked at the HTTP layer (any outbound call answers 503): generated provider URLs must
never reach a network, and the point here is Pulse's own answers."""

import os

import pytest
import respx
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis import checks

from pulse.core.api_tokens import api_token_create
from tests.ai.factories import local_embedding
from tests.etl.factories import make_commits
from tests.factories import make_client, make_user

SENT: list[tuple[str, str]] = []
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def _wsgi_app():
    django_app = get_wsgi_application()

    def app(environ, start_response):
        # Django closes "old" connections around each request; inside a test's transaction that
        # would close the transaction, so skip it as django.test.Client does.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            SENT.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
            return django_app(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)

    return app


def _schema():
    raw = SchemaGenerator().get_schema(request=None, public=True)  # exactly what /api/v1/schema/ serves
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {
            "seed": 20261202,
            "generation": {"max-examples": int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", 12))},
            # The coverage phase sends every boundary case of every parameter: the bench run keeps it.
            "phases": {"coverage": {"enabled": bool(os.environ.get("SCHEMATHESIS_COVERAGE"))}},
        }
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = _wsgi_app()
    return loaded


# Loaded at import: schemathesis' lazy fixture loading writes a pytest attribute that pytest 9 removed.
schema = _schema()


@pytest.fixture
def token(db):
    tenant = make_client("Fuzz tenant")
    local_embedding(tenant)
    make_commits(tenant, ["Fix the parser for closures", "Speed up the build"])
    _, value = api_token_create(user=make_user(tenant, "fuzz-admin", role="admin"))
    with respx.mock(assert_all_called=False) as vendors:
        vendors.route().respond(503, json={"error": {"message": "not reachable from the tests"}})
        yield value


@schema.parametrize()
@settings(derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_zz_the_run_sent_requests_to_every_operation():
    operations = [result.ok() for result in schema.get_all_operations()]
    reached = {(method, path) for method, path in SENT}
    print(f"\nschemathesis sent {len(SENT)} requests to {len(operations)} operations")
    assert len(SENT) >= 5 * len(operations) and len(reached) >= len(operations)
