"""The catalog's change feed over gRPC, with gateways that answer catalog reads from their replicas.

A catalog of the test's own (SQLite in its own folder) and two gateways in front of it, as two gateway pods
behind a load balancer would be: a write through one is read through the other within a second; whoever
wrote reads their write at once; the catalog killed (SIGKILL) in the middle of writes and started again,
both replicas catch up with what it reads; and a gateway started while the catalog is away is not ready
until its replica is warm.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool_cli.stack import Stack, free_port
from civicpool_common.catalog_replica import REVISION_HEADER
from civicpool_common.healthcheck import serving
from civicpool_gateway.serde import catalog as serde

from tests.support.processes import python_module
from tests.support.tokens import TokenSource

VISIBLE_WITHIN_SECONDS = 1.0
WRITES = 30


@dataclass
class Network:
    """The test's catalog and gateways, and how to start more of them."""

    stack: Stack
    folder: Path
    catalog_port: int
    admin_token: str

    @property
    def catalog_address(self) -> str:
        return f"127.0.0.1:{self.catalog_port}"

    def catalog_env(self) -> dict[str, str]:
        return {**self.stack.environment("catalog"), "CIVICPOOL_DATA_DIR": str(self.folder),
                "CIVICPOOL_CATALOG_PORT": str(self.catalog_port)}  # fmt: skip

    @contextlib.contextmanager
    def catalog(self, log: str) -> Iterator[subprocess.Popen[bytes]]:
        with python_module("civicpool_catalog", self.catalog_env(), self.folder / log) as process:
            self.stack.wait_for("test catalog", lambda: serving(self.catalog_address), timeout=60)
            yield process

    @contextlib.contextmanager
    def gateway(self, name: str, *, wait_ready: bool = True) -> Iterator[httpx.Client]:
        port = free_port()
        env = {**self.stack.environment("gateway"), "CIVICPOOL_DATA_DIR": str(self.folder),
               "CIVICPOOL_GATEWAY_PORT": str(port), "CIVICPOOL_GATEWAY_METRICS_PORT": "0",
               "CIVICPOOL_GATEWAY_CATALOG_ADDRESS": self.catalog_address}  # fmt: skip
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        with (
            python_module("civicpool_gateway", env, self.folder / f"{name}.log"),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client,
        ):
            if wait_ready:
                self.stack.wait_for(name, lambda: _ready(client), timeout=60)
            yield client

    def catalog_items(self) -> list[dict[str, Any]]:
        """Every item as the catalog service reads it (over gRPC), as the API writes it."""
        metadata = (("authorization", f"Bearer {self.admin_token}"),)
        with grpc.insecure_channel(self.catalog_address) as channel:
            stub = CatalogServiceStub(channel)
            items, cursor = [], ""
            while True:
                reply = stub.ListItems(
                    pb.ListItemsRequest(include_inactive=True, page={"limit": 500, "cursor": cursor}),
                    timeout=10,
                    metadata=metadata,
                )
                items += [serde.item_from_proto(item).model_dump(mode="json") for item in reply.items]
                if not (cursor := reply.next_cursor):
                    return items


def _ready(client: httpx.Client, path: str = "/readyz") -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return client.get(path).status_code == 200
    return False


def _all_items(client: httpx.Client) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"include_inactive": True, "limit": 500}
    while True:
        page = client.get("/api/v1/items", params=params).json()
        items += page["data"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


def _item(sku: str) -> dict[str, Any]:
    return {"sku": sku, "name": f"Feed {sku}", "kind": "hardware", "cpv_code": "30213000-5", "unit": "Stück",
            "reference_price_cents": 49_900}  # fmt: skip


@pytest.fixture(scope="module")
def network(stack: Stack, tokens: TokenSource, tmp_path_factory: pytest.TempPathFactory) -> Network:
    return Network(stack, tmp_path_factory.mktemp("feed"), free_port(), tokens("network.admin"))


def _visible(client: httpx.Client, path: str, version: int, timeout: float = 5.0) -> float:
    """Seconds until `client` reads version `version` (or later) of the record at `path`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        answer = client.get(f"/api/v1{path}")
        if answer.status_code == 200 and answer.json()["version"] >= version:
            return time.monotonic() - started
        time.sleep(0.002)
    return float("inf")


def test_a_write_through_one_gateway_is_read_through_the_other_within_a_second(network: Network) -> None:
    with network.catalog("catalog-visible.log"), network.gateway("a") as a, network.gateway("b") as b:
        delays = []
        for n in range(WRITES):
            created = a.post("/api/v1/items", json=_item(f"VISIBLE-{n}"))
            assert created.status_code == 201, created.text
            path, record = f"/items/{created.json()['id']}", created.json()
            # Whoever wrote reads their write at once: the gateway answered only once its replica held it.
            assert a.get(f"/api/v1{path}").json() == record
            delays.append(_visible(b, path, record["version"]))
            changed = a.patch(f"/api/v1{path}", json={"reference_price_cents": 50_000 + n},
                              headers={"If-Match": created.headers["etag"]})  # fmt: skip
            assert changed.status_code == 200, changed.text
            revision = int(changed.headers[REVISION_HEADER])
            assert revision > int(created.headers[REVISION_HEADER])
            # Naming the revision, a read through the other gateway waits until it holds it: never stale.
            through_b = b.get(f"/api/v1{path}", headers={REVISION_HEADER: str(revision)})
            assert through_b.json() == changed.json()
        assert max(delays) <= VISIBLE_WITHIN_SECONDS, f"median {statistics.median(delays):.3f} s, max {max(delays)}"
        assert _all_items(a) == _all_items(b) == network.catalog_items()


def test_the_replicas_catch_up_after_the_catalog_is_killed_during_writes(network: Network) -> None:
    answers: dict[str, list[int]] = {"before": [], "away": [], "back": []}  # by the catalog's phase
    phase = ["before"]
    stop = threading.Event()

    def write(client: httpx.Client) -> None:
        n = 0
        while not stop.is_set():
            now = phase[0]
            with contextlib.suppress(httpx.HTTPError):
                answers[now].append(client.post("/api/v1/items", json=_item(f"KILLED-{n}")).status_code)
            n += 1
            time.sleep(0.02)

    def written(now: str, count: int) -> Callable[[], bool]:
        return lambda: answers[now].count(201) >= count

    with network.catalog("catalog-before.log") as catalog, network.gateway("c") as c, network.gateway("d") as d:
        writer = threading.Thread(target=write, args=(c,))
        writer.start()
        try:
            network.stack.wait_for("writes", written("before", 10), timeout=30)
            catalog.kill()  # SIGKILL, in the middle of writes
            catalog.wait()
            phase[0] = "away"
            network.stack.wait_for("writes", lambda: 503 in answers["away"], timeout=30)
            # Reads go on from the replicas, which say that the feed is lost; a new gateway is not ready yet.
            assert d.get("/api/v1/items").status_code == 200
            ready = d.get("/readyz").json()
            assert (ready["status"], ready["catalog_replica"]["feed"]) == ("ready", "lost")
            with network.gateway("newcomer", wait_ready=False) as newcomer:
                network.stack.wait_for("newcomer", lambda: _ready(newcomer, "/healthz"), timeout=60)
                not_ready = newcomer.get("/readyz")
                assert (not_ready.status_code, not_ready.json()["checks"]["catalog_replica"]) == (503, "warming")
                with network.catalog("catalog-after.log"):
                    phase[0] = "back"
                    network.stack.wait_for("writes", written("back", 10), timeout=30)  # more writes, after the restart
                    stop.set()
                    writer.join()
                    network.stack.wait_for("newcomer", lambda: _ready(newcomer), timeout=30)
                    truth = network.catalog_items()
                    for client in (c, d, newcomer):
                        network.stack.wait_for("replica", lambda client=client: _all_items(client) == truth, timeout=10)
        finally:
            stop.set()
            writer.join()
    every = [status for statuses in answers.values() for status in statuses]
    assert set(every) <= {201, 503}, answers  # a write while the catalog is away is a clear 503
    assert len(truth) >= every.count(201)
