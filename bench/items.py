"""Reading one catalog item, each path against its physical limit.

  raw SQL         SELECT of the row from the catalog's SQLite file (the floor)
  gRPC health     the catalog's health Check: a bare gRPC round trip (the RPC floor)
  gRPC GetItem    a direct call to the catalog service (token verified, ORM, proto)
  bare FastAPI    uvicorn + FastAPI returning a fixed item (the HTTP floor)
  gateway GET     GET /api/v1/items/{id}: token check, gRPC call, JSON

Sequentially (latency) and with 16 in flight (throughput).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool_cli.demo import NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack, free_port, http_ok
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import Result, measure


def sqlite_reader(path: Path, item_id: str) -> Callable[[], Awaitable[object]]:
    connection = sqlite3.connect(path, check_same_thread=False)

    async def read() -> object:
        return connection.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()

    return read


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    token = token_for(NETWORK_ADMIN_USER)
    bare_port = free_port()
    bare = None
    auth = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=stack.gateway_url, headers=auth, timeout=10) as gateway:
            items = (await gateway.get("/api/v1/items")).json()["data"]
            laptop = next(i for i in items if i["sku"] == "LAPTOP-14")
            # A one-time server start before measuring, not a blocking call on a hot path.
            bare_command = [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)]
            bare = subprocess.Popen([*bare_command, json.dumps(laptop)])  # noqa: ASYNC220
            stack.wait_for("bare", lambda: http_ok(f"http://127.0.0.1:{bare_port}/items/x"), timeout=30)
            channel = grpc.aio.insecure_channel(stack.address("catalog"))
            stub = CatalogServiceStub(channel)
            health: Any = health_pb2_grpc.HealthStub(channel)
            metadata = (("authorization", f"Bearer {token}"),)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_port}") as bare_client:
                calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                    ("raw SQL (SQLite row)", sqlite_reader(stack.data_dir / "catalog.db", laptop["id"])),
                    ("gRPC health Check", lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=5)),
                    (
                        "gRPC GetItem",
                        lambda: stub.GetItem(pb.GetItemRequest(id=laptop["id"]), metadata=metadata, timeout=5),
                    ),
                    ("bare FastAPI GET", lambda: bare_client.get(f"/items/{laptop['id']}")),
                    ("gateway GET /items/{id}", lambda: gateway.get(f"/api/v1/items/{laptop['id']}")),
                ]
                results = [await measure(name, call, seconds) for name, call in calls]
            await channel.close()
    finally:
        if bare is not None:
            bare.terminate()
            bare.wait()
    return report(results)


def report(results: list[Result]) -> str:
    by_name = {r.name: r for r in results}
    lines = ["Reading one catalog item", f"{'path':28} {'median µs':>10} {'p95 µs':>10} {'req/s @16':>10}"]
    lines += [f"{r.name:28} {r.median:10.0f} {r.p95:10.0f} {r.throughput:10.0f}" for r in results]
    raw, grpc_call = by_name["raw SQL (SQLite row)"], by_name["gRPC GetItem"]
    grpc_floor = by_name["gRPC health Check"]
    bare, gateway = by_name["bare FastAPI GET"], by_name["gateway GET /items/{id}"]
    lines += [
        "",
        f"gRPC GetItem / raw SQL           latency x{grpc_call.median / raw.median:.0f}",
        f"gRPC GetItem / gRPC health Check latency x{grpc_call.median / grpc_floor.median:.1f}, "
        f"throughput {grpc_call.throughput / grpc_floor.throughput:.0%} of the bare RPC",
        f"gateway / bare FastAPI           latency x{gateway.median / bare.median:.1f}, "
        f"throughput {gateway.throughput / bare.throughput:.0%} of bare",
        f"gateway / (bare FastAPI + gRPC)  latency x{gateway.median / (bare.median + grpc_call.median):.2f}",
    ]
    return "\n".join(lines)
