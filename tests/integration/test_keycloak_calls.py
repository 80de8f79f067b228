"""After warm-up, an authenticated request costs Keycloak nothing: tokens are verified with cached keys.

Counted by Keycloak itself (its HTTP server metrics: responses written on its
public port), not inferred: before and after a burst of API calls through the
gateway to each service.
"""

from __future__ import annotations

import re

import httpx
from civicpool_cli.demo import DEMO_PASSWORD
from civicpool_cli.stack import Stack
from civicpool_cli.tokens import password_token

from tests.conftest import ApiFactory

BURST = 30


def served_by_keycloak(stack: Stack) -> float:
    """Responses Keycloak wrote on its public port so far (its metrics are on the management port)."""
    text = httpx.get(stack.keycloak.metrics_url, timeout=10).text
    pattern = rf'^http_server_bytes_written_count{{server_port="{stack.ports.keycloak}"}} ([0-9.eE+]+)$'
    found = re.search(pattern, text, re.M)
    assert found, "Keycloak publishes no response count for its public port"
    return float(found.group(1))


def test_authenticated_requests_make_no_calls_to_keycloak(api: ApiFactory, stack: Stack) -> None:
    client = api("bruchsal.it")  # its token is issued here, before the count starts
    paths = ("/items", "/rounds", "/tenders", "/contracts", "/me")
    for path in paths:  # warm-up: every service has fetched the signing keys once
        assert client.get(path).status_code == 200
    before = served_by_keycloak(stack)
    for index in range(BURST):
        assert client.get(paths[index % len(paths)]).status_code == 200
    assert served_by_keycloak(stack) - before == 0
    # The count is real: a sign-in is a call to Keycloak.
    password_token(stack.keycloak.url, "bruchsal.finance", DEMO_PASSWORD)
    assert served_by_keycloak(stack) - before >= 1
