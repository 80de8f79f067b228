"""When a part is down: clear 503s within the deadline, honest readiness, recovery, graceful stops."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from civicpool_cli.stack import Stack, free_port
from civicpool_common.healthcheck import status

from tests.conftest import ApiFactory
from tests.support.postgres import PostgresCluster


@pytest.fixture
def catalog_stopped(stack: Stack) -> Iterator[Stack]:
    stack.stop("catalog")
    try:
        yield stack
    finally:
        stack.start("catalog")
        stack.wait_for("catalog", lambda: stack.service_serving("catalog"), timeout=60)
        stack.wait_for("gateway", stack.gateway_ready, timeout=30)


def test_a_stopped_service_is_a_503_problem_and_readyz_says_which(catalog_stopped: Stack, api: ApiFactory) -> None:
    started = time.monotonic()
    response = api("bruchsal.it").get("/items")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/service-unavailable"
    assert "catalog" in response.json()["detail"]
    assert elapsed < 3.0 + 2.0  # the gateway's gRPC deadline, plus slack: it does not hang

    ready = httpx.get(f"{catalog_stopped.gateway_url}/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["catalog"] == "UNREACHABLE"
    assert (checks["demand"], checks["contracts"], checks["keycloak_jwks"]) == ("SERVING", "SERVING", "ok")
    assert api("bruchsal.it").get("/tenders").status_code == 200  # the rest keeps working


def test_the_gateway_recovers_when_the_service_is_back(stack: Stack, api: ApiFactory) -> None:
    stack.stop("catalog")
    assert api("bruchsal.it").get("/items").status_code == 503
    stack.start("catalog")
    stack.wait_for("catalog", lambda: stack.service_serving("catalog"), timeout=60)
    deadline = time.monotonic() + 10
    while api("bruchsal.it").get("/items").status_code != 200:
        assert time.monotonic() < deadline, "the gateway did not reconnect"
        time.sleep(0.2)
    assert httpx.get(f"{stack.gateway_url}/readyz").status_code == 200


def _wait_health(port: int, wanted: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while (current := status(f"127.0.0.1:{port}")) != wanted:
        assert time.monotonic() < deadline, f"health stayed {current}, never became {wanted}"
        time.sleep(0.2)


def test_health_follows_the_database_and_sigterm_stops_gracefully(
    stack: Stack, postgres: PostgresCluster, tmp_path: Any
) -> None:
    """A catalog on PostgreSQL: NOT_SERVING while its database refuses connections, SERVING after."""
    database = "catalog_health_probe"
    with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
    port = free_port()
    env = {
        **stack.environment(),
        "CIVICPOOL_CATALOG_PORT": str(port),
        "CIVICPOOL_CATALOG_DATABASE_URL": postgres.url(database),
        "CIVICPOOL_CATALOG_HEALTH_INTERVAL_SECONDS": "0.3",
    }
    log = (tmp_path / "catalog.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "civicpool_catalog"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_health(port, "SERVING", seconds=60)
        with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')  # type: ignore[arg-type]
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (database,))
        _wait_health(port, "NOT_SERVING")
        with psycopg.connect(postgres.admin_url(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')  # type: ignore[arg-type]
        _wait_health(port, "SERVING")
    finally:
        process.terminate()  # SIGTERM
        exit_code = process.wait(timeout=30)
        log.close()
    assert exit_code == 0, (tmp_path / "catalog.log").read_text()
    assert "catalog service stopped" in (tmp_path / "catalog.log").read_text()
    assert os.path.exists(tmp_path / "catalog.log")
