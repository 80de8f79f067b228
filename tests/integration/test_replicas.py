"""Two replicas of a service on loopback: every channel spreads its calls over both, and reads survive one.

What a headless Kubernetes Service and `dns:///catalog:50051` give in a cluster (the name resolves to
every pod), proved natively: two catalog processes on 127.0.0.2 and 127.0.0.3, one channel as every
service and the gateway open it (open_channel) to the target naming both. Calls go round robin; when one
replica is killed, reads keep answering (they are retried on the other, writes are not).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from civicpool.catalog.v1 import catalog_pb2 as catalog
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool_cli.stack import Stack, free_port
from civicpool_common.grpc_client import open_channel
from civicpool_common.healthcheck import serving

from tests.support.processes import python_module
from tests.support.tokens import TokenSource

HOSTS = ("127.0.0.2", "127.0.0.3")
LIST_ITEMS = "/civicpool.catalog.v1.CatalogService/ListItems"


def _metrics_of(metrics_port: int, host: str) -> int:
    """ListItems calls a replica answered OK, from its own metrics."""
    text = httpx.get(f"http://{host}:{metrics_port}/metrics", timeout=5).text
    match = re.search(rf'civicpool_grpc_server_handled_total{{code="OK",method="{LIST_ITEMS}"}} ([0-9.]+)', text)
    return int(float(match[1])) if match else 0


async def test_calls_go_round_robin_and_reads_survive_a_replica(
    stack: Stack, tokens: TokenSource, tmp_path: Path
) -> None:
    port, a_metrics, b_metrics = free_port(), free_port(), free_port()
    env = {**stack.environment("catalog"), "CIVICPOOL_DATA_DIR": str(tmp_path), "CIVICPOOL_CATALOG_PORT": str(port)}
    metadata = (("authorization", f"Bearer {tokens('bruchsal.it')}"),)
    with python_module("civicpool_catalog", {**env, "CIVICPOOL_CATALOG_HOST": HOSTS[0],
                                             "CIVICPOOL_CATALOG_METRICS_PORT": str(a_metrics)},
                       tmp_path / "a.log") as first:  # fmt: skip
        stack.wait_for("replica a", lambda: serving(f"{HOSTS[0]}:{port}"), timeout=60)  # it migrates the database
        with python_module("civicpool_catalog", {**env, "CIVICPOOL_CATALOG_HOST": HOSTS[1],
                                                 "CIVICPOOL_CATALOG_METRICS_PORT": str(b_metrics)},
                           tmp_path / "b.log"):  # fmt: skip
            stack.wait_for("replica b", lambda: serving(f"{HOSTS[1]}:{port}"), timeout=60)
            channel = open_channel(f"ipv4:{HOSTS[0]}:{port},{HOSTS[1]}:{port}", "catalog")
            try:
                stub = CatalogServiceStub(channel)
                for _ in range(20):
                    await stub.ListItems(catalog.ListItemsRequest(), timeout=5, metadata=metadata)
                served = (_metrics_of(a_metrics, HOSTS[0]), _metrics_of(b_metrics, HOSTS[1]))
                # Round robin: each replica about half of the calls (the first ones go to whichever connected
                # first); with one long-lived connection to one address, one replica would have all 20.
                assert sum(served) == 20 and min(served) >= 7, served

                first.kill()  # one replica crashes (SIGKILL)
                first.wait()
                for _ in range(20):  # every read is answered: by the other replica
                    await stub.ListItems(catalog.ListItemsRequest(), timeout=5, metadata=metadata)
                assert _metrics_of(b_metrics, HOSTS[1]) == served[1] + 20
            finally:
                await channel.close()
