"""Call-offs through the real servers, on SQLite and on PostgreSQL (there: one statement per call-off, usage.py):
no oversell under 500 concurrent call-offs with retries, and nothing acknowledged lost when the contracts service
is killed (kill -9) in the middle of a stream of them.

On SQLite: the session's system. On PostgreSQL: a contracts service and a gateway of their own
(Keycloak, catalog and demand are the session's). The contract is stored as an award would store it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from civicpool_cli.stack import Stack, free_port
from civicpool_common.database import create_engine

from tests.conftest import PROBLEM
from tests.support.contracts import awarded_contract, check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.postgres import PostgresCluster
from tests.support.tokens import TokenSource

CALL_OFFS, RETRY_SHARE, IN_FLIGHT, ATTEMPTS = 500, 0.1, 60, 6
CEILING, QUOTAS = 120, {"bruchsal": 60, "buehl": 50, "ettlingen": 40}


@dataclasses.dataclass(frozen=True)
class System:
    gateway_url: str
    database_url: str
    stack: Stack  # whose contracts service is killed


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def system(
    request: pytest.FixtureRequest, stack: Stack, postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    if request.param == "sqlite":  # the session's contracts service keeps its SQLite file in the data folder
        yield System(stack.gateway_url, f"sqlite:///{stack.data_dir / 'contracts.db'}", stack)
        return
    data_dir = tmp_path_factory.mktemp("oversell-postgresql")
    database_url = DatabaseFactory("postgresql", data_dir, postgres).empty()
    ports = dataclasses.replace(stack.ports, contracts=free_port(), gateway=free_port(), gateway_metrics=free_port())
    own = Stack(data_dir, ports, extra_env={"CIVICPOOL_CONTRACTS_DATABASE_URL": database_url})  # migrates on start
    own.keycloak = stack.keycloak  # the session's: its realm and the client secrets (the gateway reads the catalog)
    try:
        own.start("contracts")
        own.wait_for("contracts", lambda: own.service_serving("contracts"), timeout=60)
        own.start("gateway")
        own.wait_for("gateway", own.gateway_ready, timeout=60)
        yield System(own.gateway_url, database_url, own)
    finally:
        own.stop("gateway")
        own.stop("contracts")


@pytest.mark.parametrize("seed", [1, 2])
def test_no_oversell_under_500_concurrent_call_offs_with_retries(
    system: System, tokens: TokenSource, seed: int
) -> None:
    asyncio.run(_hammer(system, tokens, seed))


async def _hammer(system: System, tokens: TokenSource, seed: int) -> None:
    engine = create_engine(system.database_url)
    try:
        contract_id = await awarded_contract(engine, ceiling=CEILING, quotas=QUOTAS)
        rng = random.Random(seed)
        requests: list[tuple[str, str, int]] = []  # (Idempotency-Key, city, quantity)
        while len(requests) < CALL_OFFS:
            if requests and rng.random() < RETRY_SHARE:
                requests.append(rng.choice(requests))  # a retry: the same key, the same body
            else:
                requests.append((str(uuid.uuid4()), rng.choice(sorted(QUOTAS)), rng.randint(1, 4)))

        limits = httpx.Limits(max_connections=IN_FLIGHT)
        clients = {city: httpx.AsyncClient(base_url=f"{system.gateway_url}/api/v1", timeout=60, limits=limits,
                                           headers={"Authorization": f"Bearer {tokens(f'{city}.it')}"})
                   for city in QUOTAS}  # fmt: skip

        async def send(key: str, city: str, quantity: int) -> httpx.Response:
            # A lost connection, a 503 (too busy to take it: 500 calls queue on two cores) or
            # a 504 (the contracts service did not answer within the gateway's deadline: done or not, the
            # client cannot know) is sent again with its key, as a real client would: done at most once.
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    response = await clients[city].post(f"/contracts/{contract_id}/allocations", json={
                        "city_id": city, "quantity": quantity}, headers={"Idempotency-Key": key})  # fmt: skip
                except httpx.TransportError:
                    if attempt == ATTEMPTS:
                        raise
                else:
                    if response.status_code not in (503, 504) or attempt == ATTEMPTS:
                        return response
                await asyncio.sleep(0.5 * attempt)
            raise AssertionError("unreachable")

        try:
            responses = await asyncio.gather(*(send(*r) for r in requests))
        finally:
            for client in clients.values():
                await client.aclose()

        answered_by_key: dict[str, set[str]] = {}
        quantity_by_key = {key: quantity for key, _, quantity in requests}
        for (key, _, _), response in zip(requests, responses, strict=True):
            assert response.status_code in (201, 409), response.text
            if response.status_code == 409:
                assert response.headers["content-type"] == PROBLEM
                assert "left" in response.json()["detail"] or "cannot" in response.json()["detail"]
            else:
                answered_by_key.setdefault(key, set()).add(response.json()["transaction"]["id"])
        assert all(len(ids) == 1 for ids in answered_by_key.values())  # a retry answers the first result
        accepted = {next(iter(ids)): key for key, ids in answered_by_key.items()}
        postings = "SELECT count(*) FROM ledger_transactions WHERE contract_id = :id"
        assert await scalar(engine, postings, id=contract_id) == len(accepted)  # refused ones posted nothing
        called_off = await scalar(engine, "SELECT called_off FROM contracts WHERE id = :id", id=contract_id)
        assert called_off == sum(quantity_by_key[key] for key in accepted.values()) == CEILING  # sold out, not over
        await check_invariants(engine, contract_id)  # and each city within its quota
    finally:
        await engine.dispose()


STREAMS, PER_STREAM = 4, 15


def test_a_crash_loses_no_acknowledged_call_off(system: System, tokens: TokenSource) -> None:
    """kill -9 the contracts service during four streams of call-offs: nothing acknowledged is lost, nothing is
    half-written, and each key, sent again, is done exactly once."""
    engine = create_engine(system.database_url)
    try:
        contract_id = asyncio.run(awarded_contract(engine, ceiling=1000, quotas={"rheinstetten": 500}))
    finally:
        asyncio.run(engine.dispose())
    path = f"/contracts/{contract_id}/allocations"
    body = {"city_id": "rheinstetten", "quantity": 1}
    keys = [[str(uuid.uuid4()) for _ in range(PER_STREAM)] for _ in range(STREAMS)]
    acknowledged: dict[str, str] = {}  # key -> transaction id
    lock = threading.Lock()

    def client(username: str) -> httpx.Client:
        return httpx.Client(base_url=f"{system.gateway_url}/api/v1", timeout=30,
                            headers={"Authorization": f"Bearer {tokens(username)}"})  # fmt: skip

    def stream(own_keys: list[str], http: httpx.Client) -> None:
        for key in own_keys:
            try:
                response = http.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                continue
            if response.status_code == 201:
                with lock:
                    acknowledged[key] = response.json()["transaction"]["id"]
            time.sleep(0.02)

    # Clients (and the token) made here: a thread that failed to sign in would just send nothing.
    threads = [threading.Thread(target=stream, args=(k, client("rheinstetten.it"))) for k in keys]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    system.stack.kill("contracts")  # mid-stream: some requests are in flight
    try:
        for thread in threads:
            thread.join(timeout=60)
    finally:
        system.stack.start("contracts")
        system.stack.wait_for("contracts", lambda: system.stack.service_serving("contracts"), timeout=60)
    assert 10 <= len(acknowledged) < STREAMS * PER_STREAM  # the crash cut the stream

    # Retries with the same keys: acknowledged ones answer their first result; the others now happen once.
    city_it = client("rheinstetten.it")
    for key in [k for own in keys for k in own]:
        for _ in range(50):
            response = city_it.post(path, json=body, headers={"Idempotency-Key": key})
            if response.status_code != 503:
                break
            time.sleep(0.2)
        assert response.status_code == 201, response.text
        if key in acknowledged:
            assert response.json()["transaction"]["id"] == acknowledged[key]
            assert response.headers.get("Idempotent-Replayed") == "true"

    lead = client("ettlingen.lead")
    postings: list[dict[str, Any]] = lead.get(
        "/ledger/transactions", params={"contract_id": contract_id, "city_id": "rheinstetten", "limit": 500}
    ).json()["data"]
    ids = {p["id"] for p in postings}
    assert set(acknowledged.values()) <= ids  # nothing acknowledged is lost
    assert all(sum(e["amount_cents"] for e in p["entries"]) == 0 for p in postings)  # nothing half-written
    call_offs = [p for p in postings if p["kind"] == "call_off"]
    use = {c["city_id"]: c for c in lead.get(f"/contracts/{contract_id}/utilisation").json()["cities"]}
    assert use["rheinstetten"]["called_off"] == len(call_offs) == STREAMS * PER_STREAM  # each key exactly once
