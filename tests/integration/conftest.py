"""Integration tests run against the whole system, started once for the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from civicpool_cli.stack import Stack
from civicpool_client import ApiClient, Configuration

from tests.support.tokens import TokenSource

Client = Callable[[str], ApiClient]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.stack)


@pytest.fixture
def client(stack: Stack, tokens: TokenSource) -> Iterator[Client]:
    """client("bruchsal.it"): the generated SDK's ApiClient signed in as that demo user (a Keycloak token)."""
    with ExitStack() as opened:

        def signed_in(username: str) -> ApiClient:
            configuration = Configuration(host=stack.gateway_url, access_token=tokens(username))
            return opened.enter_context(ApiClient(configuration))

        yield signed_in
