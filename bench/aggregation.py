"""Aggregating a round of 10,000, 100,000 and 1,000,000 demand lines (9 cities, 500 items) against the raw GROUP BY.

  raw GROUP BY    the statement that sums a round's lines, run with sqlite3 on the same database
                  file over its covering index (the goal's floor: no ORM, no network, no JSON). The
                  service no longer runs it, so the benchmark creates that index itself.
  raw totals      what the demand service reads instead since issue 21: the totals the database
                  keeps per item and city (demand_totals, kept by triggers), run with sqlite3
  gRPC Aggregate  a direct call to the demand service (token check, SQL, catalog prices over
                  gRPC, proto)
  gateway GET     GET /api/v1/rounds/{id}/aggregate as the lead city: everything a user waits for

The lines are written straight into the demand database (creating 100,000 lines through the
API would measure the writes, not the aggregation); the round and the items go through the API.
The three paths are called in turn (interleaved), so a busy moment of the machine slows all
of them alike. Goal (issue 21): the gateway within 1.5x the raw statement at 100,000 and 1,000,000 lines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import httpx
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool_cli.demo import CITIES, NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack
from harness import SERIES, Result, Series, measure_interleaved

SIZES = (10_000, 100_000, 1_000_000)  # lines per round: one round each
ITEMS = 500
RAW_GROUP_BY = (
    "SELECT item_id, city_id, SUM(quantity), COUNT(*) FROM demand_lines "
    "WHERE round_id = ? AND status = 'submitted' GROUP BY item_id, city_id"
)
COVERING_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_raw_group_by ON demand_lines (round_id, status, item_id, city_id, quantity)"
)
RAW_TOTALS = "SELECT item_id, city_id, quantity, line_count FROM demand_totals WHERE round_id = ? AND line_count > 0"


async def _items(api: httpx.AsyncClient) -> list[str]:
    """Item ids, topped up to ITEMS with generated ones."""
    existing = (await api.get("/items", params={"limit": 500})).json()["data"]
    missing = ITEMS - len(existing)
    gate = asyncio.Semaphore(8)

    async def create(number: int) -> str:
        body = {"sku": f"BENCH-{number:04d}", "name": f"Benchmark-Artikel {number}", "kind": "hardware",
                "cpv_code": "30213100-6", "unit": "Stück", "reference_price_cents": 1_000 + number}  # fmt: skip
        async with gate:
            response = await api.post("/items", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    created = await asyncio.gather(*(create(n) for n in range(missing)))
    return [item["id"] for item in existing] + list(created)


async def _open_round(api: httpx.AsyncClient) -> str:
    now = dt.datetime.now(dt.UTC)
    body = {"title": "Benchmark", "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=1)).isoformat()}  # fmt: skip
    round_id = str((await api.post("/rounds", json=body)).raise_for_status().json()["id"])
    (await api.post(f"/rounds/{round_id}/open")).raise_for_status()
    return round_id


def _write_lines(database: str, round_id: str, item_ids: list[str], lines: int) -> None:
    generator = random.Random(lines)  # one seed per size: the line ids of each round differ
    now = dt.datetime.now(dt.UTC).isoformat(sep=" ")
    rows = [
        (str(uuid.UUID(int=generator.getrandbits(128))), round_id, generator.choice(CITIES).id,
         generator.choice(item_ids), generator.randint(1, 100), "", "normal",
         "withdrawn" if generator.random() < 0.05 else "submitted", 1, "bench", now, "bench", now)
        for _ in range(lines)
    ]  # fmt: skip
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO demand_lines (id, round_id, city_id, item_id, quantity, justification, priority, status, "
            "version, created_by, created_at, updated_by, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        connection.execute(COVERING_INDEX)
        connection.execute("ANALYZE")


def raw(statement: str, database: str, round_id: str) -> Callable[[], Awaitable[list[Any]]]:
    connection = sqlite3.connect(database, check_same_thread=False)

    async def query() -> list[Any]:
        return connection.execute(statement, (round_id,)).fetchall()

    return query


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    base = f"{stack.gateway_url}/api/v1"
    lead_auth = {"Authorization": f"Bearer {token_for('ettlingen.lead')}"}
    admin_auth = {"Authorization": f"Bearer {token_for(NETWORK_ADMIN_USER)}"}
    async with httpx.AsyncClient(base_url=base, headers=admin_auth, timeout=30) as admin:
        item_ids = await _items(admin)
    reports, gateway_ms, raw_ms = [], [], []
    async with httpx.AsyncClient(base_url=base, headers=lead_auth, timeout=120) as lead:
        for lines in SIZES:
            results, check = await _measure_round(stack, lead, lead_auth, item_ids, lines, seconds)
            reports.append(report(results, lines, len(check["items"]), sum(len(i["cities"]) for i in check["items"])))
            by_name = {r.name: r.median / 1000 for r in results}
            gateway_ms.append(by_name["gateway GET /aggregate"])
            raw_ms.append(by_name["raw GROUP BY (sqlite3)"])
    SERIES.append(Series("aggregation: demand lines of a round", list(SIZES), gateway_ms, raw_ms,
                         "gateway GET /aggregate", "raw GROUP BY (sqlite3)"))  # fmt: skip
    return "\n\n".join(reports)


async def _measure_round(
    stack: Stack, lead: httpx.AsyncClient, lead_auth: dict[str, str], item_ids: list[str], lines: int, seconds: float
) -> tuple[list[Result], dict[str, Any]]:
    round_id = await _open_round(lead)
    database = str(stack.data_dir / "demand.db")
    _write_lines(database, round_id, item_ids, lines)
    check = (await lead.get(f"/rounds/{round_id}/aggregate")).raise_for_status().json()
    expected = sorted(await raw(RAW_GROUP_BY, database, round_id)())
    assert sorted(await raw(RAW_TOTALS, database, round_id)()) == expected, "the totals and the lines disagree"
    assert check["total_quantity"] == sum(row[2] for row in expected), "the gateway and the raw statement disagree"
    channel = grpc.aio.insecure_channel(stack.address("demand"), options=[("grpc.max_receive_message_length", -1)])
    stub = DemandServiceStub(channel)
    metadata = (("authorization", lead_auth["Authorization"]),)
    calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("raw GROUP BY (sqlite3)", raw(RAW_GROUP_BY, database, round_id)),
        ("raw totals (sqlite3)", raw(RAW_TOTALS, database, round_id)),
        (
            "gRPC AggregateRound",
            lambda: stub.AggregateRound(pb.AggregateRoundRequest(round_id=round_id), metadata=metadata, timeout=60),
        ),
        ("gateway GET /aggregate", lambda: lead.get(f"/rounds/{round_id}/aggregate")),
    ]
    results = await measure_interleaved(calls, seconds * len(calls))
    await channel.close()
    return results, check


def report(results: list[Result], line_count: int, items: int, groups: int) -> str:
    by_name = {r.name: r for r in results}
    raw, totals, direct, gateway = (
        by_name[n]
        for n in ("raw GROUP BY (sqlite3)", "raw totals (sqlite3)", "gRPC AggregateRound", "gateway GET /aggregate")
    )
    lines = [
        f"Aggregating {line_count:,} lines ({len(CITIES)} cities, {items} items, {groups} item x city groups), SQLite",
        f"{'path':28} {'median ms':>10} {'p95 ms':>10} {'req/s @1':>10}",
    ]
    lines += [f"{r.name:28} {r.median / 1000:10.1f} {r.p95 / 1000:10.1f} {r.throughput:10.1f}" for r in results]
    lines += [
        "",
        f"gRPC AggregateRound / raw GROUP BY  latency x{direct.median / raw.median:.2f}",
        f"gateway / raw GROUP BY              latency x{gateway.median / raw.median:.2f}  (goal: <= 1.5)",
        f"gateway / raw totals                latency x{gateway.median / totals.median:.2f}  (our own floor)",
    ]
    return "\n".join(lines)
