"""Contracts in use on PostgreSQL: call-off throughput, and a city's statement over 1M and 10M ledger entries.

- Call-offs: 50 concurrent clients call off one unit each through the gateway (JWT, gRPC, the one statement of
  usage.py: the Idempotency-Key, the number, the movement, the balanced posting, the guarded UPDATEs), against the
  physical limit: the two guarded UPDATEs of a call-off (quota row, contract row) in a transaction, sent by 50
  connections straight to the same database. On one contract from 9 cities (the goal), from 1, 9 and 50 cities
  (the hot contract row), and spread over 1, 100 and 1,000 contracts. Then a small contract is hammered past its
  ceiling: nothing may be oversold.
- Statement: one city's quarter through the gateway, against pandas.read_sql of the whole ledger (what a report
  that reads everything would pay): 1,000,000 entries (9 cities, 3 years), then 10,000,000 (81 more cities in the
  same years: the city's quarter has the same lines, the ledger ten times more). The months are closed as the
  contracts service's hourly job closes them (closing.close_months).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import itertools
import random
import time
import uuid
from collections.abc import Callable

import cities as city_growth
import httpx
import pandas as pd
import psycopg
import sqlalchemy
from civicpool_cli import demo
from civicpool_cli.demo import NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_contracts.closing import close_months
from harness import SERIES, Result, Series, measure, measure_interleaved

from tests.support.contracts import PRICE, awarded_contract, check_invariants, scalar

CLIENTS = 50
CITIES = [c.id for c in demo.CITIES]
CITY_COUNTS = (1, 9, 50)  # cities calling off one contract at once
CONTRACT_COUNTS = (1, 100, 1_000)  # contracts the call-offs are spread over
LEDGER_SIZES = (1_000_000, 10_000_000)


async def _contract(database: str, ceiling: int, quota: int, cities: list[str] = CITIES) -> str:
    """A framework contract with a quota for every city, as an award stores it (setup, not measured)."""
    return (await _contracts(database, 1, ceiling, quota, cities))[0]


async def _contracts(database: str, count: int, ceiling: int, quota: int, cities: list[str] = CITIES) -> list[str]:
    engine = create_engine(database)
    try:
        return [await awarded_contract(engine, ceiling=ceiling, quotas=dict.fromkeys(cities, quota))
                for _ in range(count)]  # fmt: skip
    finally:
        await engine.dispose()


class RawCallOffs:
    """The physical limit: the two guarded UPDATEs of a call-off, one transaction, straight to the database."""

    def __init__(self, database: str, contract_ids: list[str], cities: list[str] = CITIES) -> None:
        self._database = database
        self._idle: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()
        self._targets = itertools.cycle(_targets(contract_ids, cities))

    async def open(self) -> None:
        for _ in range(CLIENTS):
            await self._idle.put(await psycopg.AsyncConnection.connect(self._database))

    async def close(self) -> None:
        while not self._idle.empty():
            await (await self._idle.get()).close()

    async def __call__(self) -> object:
        connection = await self._idle.get()
        contract_id, city = next(self._targets)
        try:
            async with connection.transaction():
                done = await connection.execute(
                    "UPDATE contracts SET called_off = called_off + 1 WHERE id = %s "
                    "AND called_off + 1 <= ceiling_quantity", (contract_id,)
                )  # fmt: skip
                assert done.rowcount == 1
                done = await connection.execute(
                    "UPDATE contract_quotas SET called_off = called_off + 1 WHERE contract_id = %s AND city_id = %s "
                    "AND called_off + 1 <= quantity", (contract_id, city)
                )  # fmt: skip
                assert done.rowcount == 1
        finally:
            await self._idle.put(connection)
        return None


def database_of(stack: Stack) -> str:
    return stack.extra_env["CIVICPOOL_CONTRACTS_DATABASE_URL"]


def _targets(contract_ids: list[str], cities: list[str]) -> list[tuple[str, str]]:
    """(contract, city) in turn: every contract, each from the cities in turn."""
    return [(contract_ids[n % len(contract_ids)], cities[n % len(cities)])
            for n in range(len(contract_ids) * len(cities))]  # fmt: skip


async def _gateway_vs_raw(
    database: str, seconds: float, clients: dict[str, httpx.AsyncClient], count: int, cities: list[str], name: str,
) -> tuple[Result, Result]:  # fmt: skip
    """Call-offs through the gateway and the raw guarded UPDATEs, 50 clients each, over `count` fresh contracts of
    `cities` (`clients`: the HTTP client of each city: its IT's or a lead's)."""
    contract_ids = await _contracts(database, count, ceiling=10_000_000, quota=1_000_000, cities=cities)
    raw_ids = await _contracts(database, count, ceiling=10_000_000, quota=1_000_000, cities=cities)
    targets = itertools.cycle(_targets(contract_ids, cities))

    async def through_gateway() -> object:
        contract_id, city = next(targets)
        response = await clients[city].post(
            f"/contracts/{contract_id}/allocations", json={"city_id": city, "quantity": 1},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return response

    raw_call_offs = RawCallOffs(database, raw_ids, cities)
    await raw_call_offs.open()
    raw = await measure(f"raw guarded UPDATEs, {name}", raw_call_offs, seconds, concurrency=CLIENTS)
    await raw_call_offs.close()
    gateway = await measure(f"gateway POST /allocations, {name}", through_gateway, seconds, concurrency=CLIENTS)
    return raw, gateway


async def run_calloffs(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    database = database_of(stack)
    base = f"{stack.gateway_url}/api/v1"

    def client(username: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token_for(username)}"},
                                 limits=httpx.Limits(max_connections=CLIENTS))  # fmt: skip

    city_it = {city: client(f"{city}.it") for city in CITIES}
    async with client(NETWORK_ADMIN_USER) as admin:
        members = await city_growth.grow_to(admin, max(CITY_COUNTS))
    # A lead of the lead city calls off for any party; a client per city, as for the cities' IT (one client's pool
    # of 50 connections costs the bench itself more than 9 pools do).
    lead_token = token_for("ettlingen.lead")
    lead = {city: httpx.AsyncClient(base_url=base, timeout=30, headers={"Authorization": f"Bearer {lead_token}"})
            for city in members}  # fmt: skip
    raw, gateway = await _gateway_vs_raw(database, seconds, city_it, 1, CITIES, "one contract, 9 cities' IT")
    lines = [_calloff_report(raw, gateway)]
    by_cities: list[tuple[Result, Result]] = []
    for count in CITY_COUNTS:
        cities = ["ettlingen"] if count == 1 else (CITIES if count == len(CITIES) else members[:count])
        by_cities.append(await _gateway_vs_raw(database, seconds, lead, 1, cities, f"one contract, {count} cities"))
    by_contracts: list[tuple[Result, Result]] = []
    for count in CONTRACT_COUNTS:
        by_contracts.append(await _gateway_vs_raw(database, seconds, lead, count, CITIES, f"{count} contracts"))
    growths = [("cities calling off one contract", CITY_COUNTS, by_cities),
               ("contracts the call-offs are spread over", CONTRACT_COUNTS, by_contracts)]  # fmt: skip
    for title, sizes, results in growths:
        lines.append(f"call-offs, {CLIENTS} clients (a lead), by {title}")
        for size, (r, g) in zip(sizes, results, strict=True):
            ratio = g.throughput / r.throughput
            lines.append(f"  {size:5,}: gateway {g.throughput:6.0f}/s, raw {r.throughput:6.0f}/s, ratio {ratio:.2f}x")
        SERIES.append(Series(f"call-offs (50 clients): {title}", list(sizes),
                             [1000 / g.throughput for _, g in results], [1000 / r.throughput for r, _ in results],
                             "gateway, ms per call-off", "raw guarded UPDATEs, ms per call-off"))  # fmt: skip
    lines.append(await _hammer_small_contract(database, city_it))
    for http in [*city_it.values(), *lead.values()]:
        await http.aclose()
    return "\n".join(lines)


async def _hammer_small_contract(database: str, clients: dict[str, httpx.AsyncClient]) -> str:
    """600 concurrent call-offs of 1 against a ceiling of 300 (quotas 9 x 50): exactly 300 may pass."""
    contract_id = await _contract(database, ceiling=300, quota=50)
    semaphore = asyncio.Semaphore(CLIENTS)

    async def one(city: str) -> int:
        async with semaphore:
            response = await clients[city].post(f"/contracts/{contract_id}/allocations",
                                                json={"city_id": city, "quantity": 1})  # fmt: skip
            return response.status_code

    codes = await asyncio.gather(*(one(CITIES[n % len(CITIES)]) for n in range(600)))
    accepted = codes.count(201)
    engine = create_engine(database)
    try:
        await check_invariants(engine, contract_id)  # within every quota and the ceiling; postings balanced
        postings = await scalar(engine, "SELECT count(*) FROM ledger_transactions WHERE contract_id = :id",
                                id=contract_id)  # fmt: skip
    finally:
        await engine.dispose()
    assert accepted == postings == 300, f"{accepted} accepted, {postings} posted: the ceiling is 300"
    return f"  600 call-offs against a ceiling of 300: {accepted} accepted, {codes.count(409)} refused, oversold 0"


def _calloff_report(raw: Result, gateway: Result) -> str:
    ratio = gateway.throughput / raw.throughput
    return "\n".join([
        f"call-offs on PostgreSQL, {CLIENTS} concurrent clients, one contract, 9 cities",
        f"  {raw.name:34} {raw.throughput:8.0f}/s   p50 {raw.median / 1000:6.2f} ms (one at a time)",
        f"  {gateway.name:34} {gateway.throughput:8.0f}/s   p50 {gateway.median / 1000:6.2f} ms (one at a time)",
        f"  throughput ratio gateway / raw: {ratio:.2f}x (goal >= 0.5x)",
    ])  # fmt: skip


# -- the statement over 1M and 10M entries -------------------------------------------------------


def _write_ledger(database: str, contract_id: str, postings: int, cities: list[str], seed: int) -> None:
    """Call-offs over three years for these cities, by COPY: each a posting, its two entries and its movement."""
    rng = random.Random(seed)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    span = int(dt.timedelta(days=3 * 365).total_seconds())
    columns = "id, operation_id, kind, contract_id, memo, reverses_id, created_by, created_at"
    with psycopg.connect(database, autocommit=True) as connection:
        for chunk_start in range(0, postings, 500_000):  # a chunk at a time: 10M entries as text would be 1 GB
            transactions, entries, movements = io.StringIO(), io.StringIO(), io.StringIO()
            for n in range(chunk_start, min(postings, chunk_start + 500_000)):
                at = (end - dt.timedelta(seconds=rng.randrange(span))).isoformat()
                transaction_id = f"bench-{seed}-{n:08d}"
                city, quantity = cities[n % len(cities)], rng.randint(1, 50)
                amount = quantity * PRICE
                movements.write(f"{transaction_id}\t{contract_id}\t{city}\tcall_off\t{quantity}\t{amount}\t"
                                f"{transaction_id}\tbench\t{at}\n")  # fmt: skip
                transactions.write(
                    f"{transaction_id}\t{transaction_id}\tcall_off\t{contract_id}\tbench\t\\N\tbench\t{at}\n"
                )
                entries.write(f"{transaction_id}\tcity:{city}\t{-amount}\t{at}\n{transaction_id}\tcontract:{contract_id}\t"
                              f"{amount}\t{at}\n")  # fmt: skip
            with connection.cursor().copy(f"COPY ledger_transactions ({columns}) FROM STDIN") as copy:
                copy.write(transactions.getvalue())
            with connection.cursor().copy("COPY ledger_entries (transaction_id, account, amount_cents, posted_at) "
                                          "FROM STDIN") as copy:  # fmt: skip
                copy.write(entries.getvalue())
            moved = (
                "operation_id, contract_id, city_id, kind, quantity, amount_cents, transaction_id, created_by, "
                "created_at"
            )
            with connection.cursor().copy(f"COPY movements ({moved}) FROM STDIN") as copy:
                copy.write(movements.getvalue())
        connection.execute("ANALYZE")


async def _close_months_again(database: str) -> int:
    """Close the ledger's months as the hourly job does. The ledger grew into months closed before (only a bench
    writes into the past): their carried balances are dropped first, which only a superuser can do (the tables
    are append-only by trigger; session_replication_role turns triggers off for this session)."""
    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute("DELETE FROM ledger_month_balances")
        connection.execute("DELETE FROM ledger_closed_months")
    engine = create_engine(database)
    try:
        return len(await close_months(session_factory(engine), utc_now()))
    finally:
        await engine.dispose()


async def run_statement(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    database = database_of(stack)
    contract_id = await _contract(database, ceiling=10_000_000, quota=1_000_000)
    today = dt.date.today()
    params = {"city": "bruchsal", "from": dt.date(today.year - 1, 7, 1).isoformat(),
              "to": dt.date(today.year - 1, 9, 30).isoformat()}  # fmt: skip
    engine = sqlalchemy.create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    auth = {"Authorization": f"Bearer {token_for('bruchsal.finance')}"}
    lines, ours, raw, written = [], [], [], 0
    more_cities = [f"bench-gemeinde-{n:04d}" for n in range(1, 82)]  # the network grown to 90 cities
    # No kept-alive connections: the gateway closes idle ones after 5 s, and reading the whole ledger takes longer.
    no_keepalive = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=120, headers=auth,
                                 limits=no_keepalive) as finance:  # fmt: skip
        for size in LEDGER_SIZES:
            started = time.monotonic()
            _write_ledger(database, contract_id, (size - written) // 2, CITIES if not written else more_cities, size)
            written = size
            closed = await _close_months_again(database)
            prepared = time.monotonic() - started
            body = (await finance.get("/reports/statement", params=params)).raise_for_status().json()

            async def statement() -> object:
                return (await finance.get("/reports/statement", params=params)).raise_for_status()

            async def read_everything() -> object:
                return await asyncio.to_thread(pd.read_sql, "SELECT * FROM ledger_entries", engine)

            quarter, whole = await measure_interleaved([("gateway GET /reports/statement", statement),
                                                        ("pandas.read_sql of the whole ledger", read_everything)],
                                                       seconds, warmup=1)  # fmt: skip
            with engine.connect() as connection:
                rows = connection.scalar(sqlalchemy.text("SELECT count(*) FROM ledger_entries"))
            ours.append(quarter.median / 1000)
            raw.append(whole.median / 1000)
            lines += [
                f"a city's statement for one quarter, ledger of {rows:,} entries (written and {closed} months closed "
                f"in {prepared:.0f} s)",
                f"  {quarter.name:38} p50 {quarter.median / 1000:8.1f} ms   ({len(body['lines']):,} lines)",
                f"  {whole.name:38} p50 {whole.median / 1000:8.1f} ms",
                f"  time ratio statement / read everything: {quarter.median / whole.median:.4f}x (goal <= 0.05x)",
            ]
    engine.dispose()
    SERIES.append(Series("statement of a quarter (the same lines): ledger entries", list(LEDGER_SIZES), ours, raw,
                         "gateway GET /reports/statement", "pandas.read_sql of the whole ledger"))  # fmt: skip
    return "\n".join(lines)
