"""schemathesis against the running gateway: generated requests of every operation, as several roles.

Each answer must be no server error (5xx), a status the operation documents,
a documented media type and a body that fits its schema. Bounded: a few
examples per operation and role, so it fits CI.
"""

from __future__ import annotations

import pytest
import schemathesis
from civicpool_cli.stack import Stack
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.openapi import OPENAPI_PATH
from tests.support.tokens import TokenSource

EXAMPLES_PER_OPERATION = 3  # the client side (generating, validating) is the cost: ~50 ms per request
ROLES = ("network.admin", "bruchsal.it", "ettlingen.lead", "rastatt.finance", "vendor.rheintal")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="session")
def role_tokens(tokens: TokenSource) -> list[str]:
    return [tokens(username) for username in ROLES]


# The committed document (test_generated_fresh holds it to the app's own); the server's address comes per call.
schema = schemathesis.openapi.from_path(OPENAPI_PATH)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case, stack: Stack, role_tokens: list[str]) -> None:
    for token in role_tokens:  # the same request from each role: admin, city IT, lead, finance, vendor
        headers = {"Authorization": f"Bearer {token}"}
        case.call_and_validate(base_url=stack.gateway_url, headers=headers, checks=CHECKS, timeout=15)
