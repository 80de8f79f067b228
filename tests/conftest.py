"""Servers start once per test session: PostgreSQL, and the whole system (Keycloak, services, gateway)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from civicpool_cli.demo_clock import end_standstill
from civicpool_cli.demo_loader import load_demo
from civicpool_cli.stack import STOP_ORDER, Ports, Stack

from tests.support.postgres import PostgresCluster, postgres_cluster
from tests.support.tokens import TokenSource

ApiFactory = Callable[..., httpx.Client]
PROBLEM = "application/problem+json"  # RFC 9457
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole system on free loopback ports, with its own data folder and the demo network."""
    data_dir = tmp_path_factory.mktemp("civicpool-data")
    # The demand and contracts services look for due reminders every 2 s, so the tests see them promptly.
    sweeps = {"CIVICPOOL_DEMAND_CLOSE_INTERVAL_SECONDS": "2", "CIVICPOOL_CONTRACTS_NOTICE_INTERVAL_SECONDS": "2"}
    system = Stack(data_dir, Ports.free(), extra_env=sweeps)
    try:
        system.up()
        tokens = TokenSource(system.keycloak.url)
        load_demo(system.gateway_url, tokens, end_standstill=functools.partial(end_standstill, data_dir))
        yield system
    except Exception:
        for name in reversed(STOP_ORDER):  # every process the stack starts, tenders too
            print(f"--- {name} log ---\n{system.log_tail(name, 60)}")
        raise
    finally:
        system.stop_all()


@pytest.fixture(scope="session")
def tokens(stack: Stack) -> TokenSource:
    return TokenSource(stack.keycloak.url)


@pytest.fixture(scope="session")
def api(stack: Stack, tokens: TokenSource) -> Iterator[ApiFactory]:
    """api("bruchsal.it") is an HTTP client of the gateway signed in as that demo user; api() is anonymous."""
    clients: list[httpx.Client] = []

    def client(username: str | None = None, token: str | None = None) -> httpx.Client:
        headers = {}
        if username is not None:
            headers["Authorization"] = f"Bearer {tokens(username)}"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        http = httpx.Client(base_url=f"{stack.gateway_url}/api/v1", headers=headers, timeout=15.0)
        clients.append(http)
        return http

    yield client
    for http in clients:
        http.close()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # The services log to files in the stack's data folder; keep pytest's own output short.
    os.environ.setdefault("CIVICPOOL_ENV", "local")
