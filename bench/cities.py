"""A network the size of a federal state: the catalog's cities grown to 1,101 (Baden-Württemberg's municipalities).

Lists every city through the gateway (pages of 500, from its replica of the catalog) against the raw SELECT of all
cities in the catalog's SQLite file, at 9 (the demo; 50 after the calloffs benchmark), 101 and 1,101 cities. The
cities are made through the API, as an admin would (each write answers once the gateway's replica holds it). The
realm is not grown: Keycloak keeps users and their `city` claim, no record per city, so signing in costs the same
for any number of cities.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

import httpx
from civicpool_cli.demo import NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack
from harness import SERIES, Series, measure_interleaved

SIZES = (9, 101, 1_101)
PAGE = 500


def bench_city_id(number: int) -> str:
    return f"bench-gemeinde-{number:04d}"


async def grow_to(admin: httpx.AsyncClient, count: int) -> list[str]:
    """The catalog's city ids, topped up with generated municipalities to `count`."""
    existing = await all_city_ids(admin)
    held = set(existing)
    gate = asyncio.Semaphore(8)

    async def create(number: int) -> str:
        body = {"id": bench_city_id(number), "name": f"Benchmark-Gemeinde {number}", "ags": f"0899{number:04d}",
                "population": 1_000 + number}  # fmt: skip
        async with gate:
            (await admin.post("/cities", json=body)).raise_for_status()
        return body["id"]

    numbers = [n for n in range(1, count + 1) if bench_city_id(n) not in held][: max(0, count - len(existing))]
    return existing + list(await asyncio.gather(*(create(n) for n in numbers)))


async def all_city_ids(api: httpx.AsyncClient) -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        page = await api.get("/cities", params={"limit": PAGE, "cursor": cursor} if cursor else {"limit": PAGE})
        body = page.raise_for_status().json()
        ids += [city["id"] for city in body["data"]]
        cursor = body.get("next_cursor") or ""
        if not cursor:
            return ids


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    base = f"{stack.gateway_url}/api/v1"
    auth = {"Authorization": f"Bearer {token_for(NETWORK_ADMIN_USER)}"}
    raw_connection = sqlite3.connect(str(stack.data_dir / "catalog.db"), check_same_thread=False)

    async def raw_select() -> object:
        return raw_connection.execute("SELECT * FROM cities ORDER BY id").fetchall()

    lines, counts, ours, raw = (
        [f"every city listed (pages of {PAGE}) vs the raw SELECT of all cities (sqlite3)"],
        [],
        [],
        [],
    )
    async with httpx.AsyncClient(base_url=base, headers=auth, timeout=60) as admin:
        for size in SIZES:
            ids = await grow_to(admin, size)
            assert len(ids) >= size, f"{len(ids)} cities, not {size}"

            async def listing() -> object:
                return await all_city_ids(admin)

            calls: list[tuple[str, Callable[[], Awaitable[object]]]] = [("raw", raw_select), ("gateway", listing)]
            raw_result, gateway = await measure_interleaved(calls, seconds)
            counts.append(len(ids))  # at least `size`: an earlier benchmark (calloffs) may have grown it already
            ours.append(gateway.median / 1000)
            raw.append(raw_result.median / 1000)
            lines.append(f"  {len(ids):5,} cities: gateway p50 {ours[-1]:7.2f} ms, raw {raw[-1]:6.2f} ms "
                         f"(x{ours[-1] / raw[-1]:.1f})")  # fmt: skip
    raw_connection.close()
    SERIES.append(Series("cities: every city listed through the gateway", counts, ours, raw,
                         "gateway GET /cities (all pages)", "raw SELECT (sqlite3)"))  # fmt: skip
    return "\n".join(lines)
