"""Listing 50 catalog items, the gateway against a bare FastAPI endpoint, both driven by wrk.

  bare FastAPI    uvicorn + FastAPI answering the same page from memory through the
                  gateway's response_model, Page[Item] (the HTTP + pydantic floor)
  gateway GET     GET /api/v1/items?limit=50: token check, gRPC ListItems, SQLite, JSON
  gRPC ListItems  a direct call to the catalog service with as many in flight (the hop's cost)

One uvicorn worker each, as `python -m civicpool_gateway` runs it. wrk (Debian's package,
installed by `scripts/setup.sh --test`) drives both with the same settings, one after the
other for ROUNDS rounds; each path keeps its best round, so a neighbour's burst of work
on this machine hits one round, not the ratio. Loopback only, bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from civicpool.common.v1 import paging_pb2
from civicpool_cli.demo import NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack, free_port, http_ok
from harness import CONCURRENCY

PAGE_SIZE = 50
ROUNDS = 2
PATH = f"/api/v1/items?limit={PAGE_SIZE}"
UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class WrkResult:
    name: str
    requests_per_second: float
    percentiles_us: dict[int, float]  # 50, 75, 90, 99
    requests: int
    cpu_us_per_request: float = 0.0  # of the server processes of the path (not wrk's)

    @property
    def p50(self) -> float:
        return self.percentiles_us[50]


def wrk_command(url: str, token: str, seconds: float, connections: int = CONCURRENCY) -> list[str]:
    """The same settings for every path: one thread, `connections` in flight, the caller's token."""
    return [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s",
        "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip


def _us(value: str, unit: str) -> float:
    return float(value) * UNITS_US[unit]


def parse_wrk(name: str, output: str) -> WrkResult:
    """Requests/sec and the latency distribution from wrk's report; an error on failed requests."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", output)
    if bad:
        raise RuntimeError(f"wrk against {name}: {bad.group(0)}\n{output}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    percentiles = {
        int(p): _us(value, unit) for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    if rate is None or total is None or 50 not in percentiles:
        raise RuntimeError(f"wrk against {name}: no result in its output\n{output}")
    return WrkResult(name, float(rate.group(1)), percentiles, int(total.group(1)))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


async def run_wrk(
    name: str, url: str, token: str, seconds: float, pids: list[int], connections: int = CONCURRENCY
) -> tuple[WrkResult, str]:
    """wrk against `url`, and the CPU time the processes `pids` spent per request meanwhile."""
    cpu_before = cpu_seconds(pids)
    process = await asyncio.create_subprocess_exec(
        *wrk_command(url, token, seconds, connections),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    text = output.decode()
    result = parse_wrk(name, text)
    result.cpu_us_per_request = (cpu_seconds(pids) - cpu_before) * 1e6 / max(1, result.requests)
    return result, text


async def grpc_latencies(
    stub: Any, token: str, seconds: float, concurrency: int = CONCURRENCY
) -> tuple[list[float], float]:
    """ListItems latencies (µs) with `concurrency` calls in flight, and the calls per second.

    `stub` is an aio CatalogServiceStub (its type stubs declare the sync calls).
    """
    request = pb.ListItemsRequest(page=paging_pb2.PageRequest(limit=PAGE_SIZE))
    metadata = (("authorization", f"Bearer {token}"),)
    for _ in range(50):  # warm up the connection and the service's caches
        await stub.ListItems(request, metadata=metadata, timeout=5)
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < end:
            started = time.perf_counter()
            reply = await stub.ListItems(request, metadata=metadata, timeout=5)
            latencies.append((time.perf_counter() - started) * 1e6)
            assert len(reply.items) == PAGE_SIZE

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, len(latencies) / (time.monotonic() - started)


async def ensure_items(api: httpx.AsyncClient, count: int) -> int:
    """Top the active catalog items up to `count` (the demo has 10), through the API; how many were made."""
    existing = (await api.get("/api/v1/items", params={"limit": 500})).raise_for_status().json()["data"]
    missing = max(0, count - len(existing))
    for number in range(missing):
        body = {"sku": f"LIST-BENCH-{number:03d}", "name": f"Listen-Artikel {number}", "kind": "license",
                "cpv_code": "48000000-8", "unit": "Nutzer/Jahr", "reference_price_cents": 2_000 + number,
                "license_model": "per_user", "license_term_months": 12, "hosting_region": "DE",
                "dpa_available": True, "description": "Ein Artikel, den der Listen-Benchmark anlegt."}  # fmt: skip
        (await api.post("/api/v1/items", json=body)).raise_for_status()
    return missing


def _pid(stack: Stack, name: str) -> int:
    pid = stack.pid(name)
    if pid is None:
        raise RuntimeError(f"the {name} is not running")
    return pid


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: scripts/setup.sh --test (make bench) installs it")
    token = token_for(NETWORK_ADMIN_USER)
    auth = {"Authorization": f"Bearer {token}"}
    bare_port = free_port()
    bare = None
    with tempfile.TemporaryDirectory(prefix="civicpool-bench-list-") as tmp:
        try:
            async with httpx.AsyncClient(base_url=stack.gateway_url, headers=auth, timeout=10) as gateway:
                created = await ensure_items(gateway, PAGE_SIZE)
                page = (await gateway.get(PATH)).raise_for_status().json()
            if len(page["data"]) != PAGE_SIZE:
                raise RuntimeError(f"the gateway listed {len(page['data'])} items, not {PAGE_SIZE}")
            page_file = Path(tmp) / "page.json"
            page_file.write_text(json.dumps(page))
            # A one-time server start before measuring, not a blocking call on a hot path.
            bare_command = [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(bare_port)]
            bare = subprocess.Popen([*bare_command, json.dumps(page["data"][0]), str(page_file)])  # noqa: ASYNC220
            bare_url = f"http://127.0.0.1:{bare_port}"
            stack.wait_for("bare", lambda: http_ok(f"{bare_url}{PATH}"), timeout=30)
            async with httpx.AsyncClient(base_url=bare_url) as client:
                if (await client.get(PATH)).json() != page:
                    raise RuntimeError("the bare endpoint does not answer the gateway's JSON")

            # A fresh token for the measured part, so none expires during it.
            token = token_for(NETWORK_ADMIN_USER)
            urls = {"bare FastAPI": f"{bare_url}{PATH}", "gateway": f"{stack.gateway_url}{PATH}"}
            servers = {"bare FastAPI": [bare.pid], "gateway": [_pid(stack, "gateway"), _pid(stack, "catalog")]}
            rounds: dict[str, list[WrkResult]] = {name: [] for name in urls}
            outputs: dict[str, str] = {}
            for _ in range(ROUNDS):
                for name, url in urls.items():
                    await run_wrk(name, url, token, 1, servers[name])  # warm-up: connections, caches, lazy paths
                    result, output = await run_wrk(name, url, token, seconds, servers[name])
                    rounds[name].append(result)
                    if result is max(rounds[name], key=lambda r: r.requests_per_second):
                        outputs[name] = output
            # The hop, one request at a time: nothing queues, so each p50 is the path's own time.
            single = {
                name: (await run_wrk(name, url, token, seconds, servers[name], 1))[0] for name, url in urls.items()
            }
            channel = grpc.aio.insecure_channel(stack.address("catalog"))
            try:
                stub = CatalogServiceStub(channel)
                latencies, grpc_rate = await grpc_latencies(stub, token, seconds)
                single_grpc, _ = await grpc_latencies(stub, token, seconds, concurrency=1)
            finally:
                await channel.close()
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait()
    best = {name: max(results, key=lambda r: r.requests_per_second) for name, results in rounds.items()}
    return report(best, rounds, latencies, grpc_rate, created, outputs) + "\n\n" + report_hop(single, single_grpc)


def report_hop(single: dict[str, WrkResult], grpc_us: list[float]) -> str:
    """One request in flight (wrk -c1). Since issue 21 the gateway answers from its replica of the catalog: no
    gRPC hop is left in the path; what a ListItems call alone costs is shown beside it."""
    bare, gateway, grpc_p50 = single["bare FastAPI"], single["gateway"], statistics.median(grpc_us)
    return (
        f"one in flight (wrk -t1 -c1): bare p50 {bare.p50:.0f} µs, gateway p50 {gateway.p50:.0f} µs "
        f"({(gateway.p50 - bare.p50) / 1000:+.2f} ms; a gRPC ListItems call alone: p50 {grpc_p50:.0f} µs)"
    )


def report(
    best: dict[str, WrkResult],
    rounds: dict[str, list[WrkResult]],
    grpc_us: list[float],
    grpc_rate: float,
    created: int,
    outputs: dict[str, str],
) -> str:
    bare, gateway = best["bare FastAPI"], best["gateway"]
    grpc_p50 = statistics.median(grpc_us)
    grpc_p99 = statistics.quantiles(grpc_us, n=100)[98]
    lines = [
        f"Listing {PAGE_SIZE} catalog items, GET {PATH}, {CONCURRENCY} in flight (wrk -t1 -c{CONCURRENCY}; "
        f"best of {ROUNDS} rounds; {created} items created for it)",
        f"{'path':30} {'p50 µs':>8} {'p90 µs':>8} {'p99 µs':>8} {'req/s':>8} {'CPU µs/req':>11}   rounds req/s",
    ]
    for result in (bare, gateway):
        each = " ".join(f"{r.requests_per_second:.0f}" for r in rounds[result.name])
        name = f"{result.name} GET"
        lines.append(
            f"{name[:30]:30} {result.p50:8.0f} {result.percentiles_us[90]:8.0f} "
            f"{result.percentiles_us[99]:8.0f} {result.requests_per_second:8.0f} "
            f"{result.cpu_us_per_request:11.0f}   {each}"
        )
    lines.append(f"{'gRPC ListItems (Python client)':30} {grpc_p50:8.0f} {'':>8} {grpc_p99:8.0f} {grpc_rate:8.0f}")
    lines += [
        "",
        f"gateway / bare FastAPI throughput   {gateway.requests_per_second / bare.requests_per_second:.2f}x "
        f"(goal >= 0.8x)",
        f"CPU per request, bare / (gateway + catalog service)   {bare.cpu_us_per_request:.0f} / "
        f"{gateway.cpu_us_per_request:.0f} µs = {bare.cpu_us_per_request / gateway.cpu_us_per_request:.2f}x "
        "(the throughput ratio if each path had one core of its own)",
        "",
        "wrk, the kept rounds:",
    ]
    for name in ("bare FastAPI", "gateway"):
        lines += [f"  [{name}]", *(f"  {line}" for line in outputs[name].strip().splitlines())]
    return "\n".join(lines)
