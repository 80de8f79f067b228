"""Contracts in use on PostgreSQL: call-off throughput and a city's statement over a million ledger entries.

- Call-offs: 50 concurrent clients call off one unit each from one contract through the gateway (JWT,
  gRPC, the guarded UPDATEs, the movement, the balanced posting, the Idempotency-Key), against the
  physical limit: the same two guarded UPDATEs in a transaction, sent by 50 connections straight to
  the same database. Then a small contract is hammered past its ceiling: nothing may be oversold.
- Statement: one city's quarter out of 1,000,000 entries (9 cities, 3 years) through the gateway,
  against pandas.read_sql of the whole ledger (what a report that reads everything would pay).
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

import httpx
import pandas as pd
import psycopg
import sqlalchemy
from civicpool_cli import demo
from civicpool_cli.stack import Stack
from civicpool_common.database import create_engine
from harness import Result, measure, measure_interleaved

from tests.support.contracts import PRICE, awarded_contract, check_invariants, scalar

CLIENTS = 50
CITIES = [c.id for c in demo.CITIES]
ENTRIES = 1_000_000


async def _contract(database: str, ceiling: int, quota: int) -> str:
    """A framework contract with a quota for every city, as an award stores it (setup, not measured)."""
    engine = create_engine(database)
    try:
        return await awarded_contract(engine, ceiling=ceiling, quotas=dict.fromkeys(CITIES, quota))
    finally:
        await engine.dispose()


class RawCallOffs:
    """The physical limit: the two guarded UPDATEs of a call-off, one transaction, straight to the database."""

    def __init__(self, database: str, contract_id: str) -> None:
        self._database, self._contract_id = database, contract_id
        self._idle: asyncio.Queue[psycopg.AsyncConnection[tuple[object, ...]]] = asyncio.Queue()
        self._cities = itertools.cycle(CITIES)

    async def open(self) -> None:
        for _ in range(CLIENTS):
            await self._idle.put(await psycopg.AsyncConnection.connect(self._database))

    async def close(self) -> None:
        while not self._idle.empty():
            await (await self._idle.get()).close()

    async def __call__(self) -> object:
        connection = await self._idle.get()
        try:
            async with connection.transaction():
                done = await connection.execute(
                    "UPDATE contracts SET called_off = called_off + 1 WHERE id = %s "
                    "AND called_off + 1 <= ceiling_quantity", (self._contract_id,)
                )  # fmt: skip
                assert done.rowcount == 1
                done = await connection.execute(
                    "UPDATE contract_quotas SET called_off = called_off + 1 WHERE contract_id = %s AND city_id = %s "
                    "AND called_off + 1 <= quantity", (self._contract_id, next(self._cities))
                )  # fmt: skip
                assert done.rowcount == 1
        finally:
            await self._idle.put(connection)
        return None


def database_of(stack: Stack) -> str:
    return stack.extra_env["CIVICPOOL_CONTRACTS_DATABASE_URL"]


async def run_calloffs(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    database = database_of(stack)
    contract_id = await _contract(database, ceiling=10_000_000, quota=1_000_000)
    raw_contract = await _contract(database, ceiling=10_000_000, quota=1_000_000)
    clients = {city: httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=30,
                                       headers={"Authorization": f"Bearer {token_for(f'{city}.it')}"},
                                       limits=httpx.Limits(max_connections=CLIENTS))
               for city in CITIES}  # fmt: skip
    cities = itertools.cycle(CITIES)

    async def through_gateway() -> object:
        city = next(cities)
        response = await clients[city].post(
            f"/contracts/{contract_id}/allocations", json={"city_id": city, "quantity": 1},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return response

    raw_call_offs = RawCallOffs(database, raw_contract)
    await raw_call_offs.open()
    raw = await measure("raw guarded UPDATEs (psycopg)", raw_call_offs, seconds, concurrency=CLIENTS)
    await raw_call_offs.close()
    gateway = await measure("gateway POST /allocations", through_gateway, seconds, concurrency=CLIENTS)
    oversold = await _hammer_small_contract(database, clients)
    for client in clients.values():
        await client.aclose()
    return _calloff_report(raw, gateway, oversold)


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
    return f"600 call-offs against a ceiling of 300: {accepted} accepted, {codes.count(409)} refused, oversold 0"


def _calloff_report(raw: Result, gateway: Result, oversold: str) -> str:
    ratio = gateway.throughput / raw.throughput
    return "\n".join([
        f"call-offs on PostgreSQL, {CLIENTS} concurrent clients, one contract",
        f"  {raw.name:34} {raw.throughput:8.0f}/s   p50 {raw.median / 1000:6.2f} ms (one at a time)",
        f"  {gateway.name:34} {gateway.throughput:8.0f}/s   p50 {gateway.median / 1000:6.2f} ms (one at a time)",
        f"  throughput ratio gateway / raw: {ratio:.2f}x (goal >= 0.5x)",
        f"  {oversold}",
    ])  # fmt: skip


# -- the statement over a million entries --------------------------------------------------------


def _write_ledger(database: str, contract_id: str) -> None:
    """500,000 call-off postings (two entries each) over three years for the nine cities, by COPY."""
    rng = random.Random(7)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    span = int(dt.timedelta(days=3 * 365).total_seconds())
    transactions, entries = io.StringIO(), io.StringIO()
    for n in range(ENTRIES // 2):
        at = (end - dt.timedelta(seconds=rng.randrange(span))).isoformat()
        transaction_id = f"bench-{n:08d}"
        city, amount = CITIES[n % len(CITIES)], rng.randint(1, 50) * PRICE
        transactions.write(f"{transaction_id}\t{transaction_id}\tcall_off\t{contract_id}\tbench\t\\N\tbench\t{at}\n")
        entries.write(f"{transaction_id}\tcity:{city}\t{-amount}\t{at}\n{transaction_id}\tcontract:{contract_id}\t"
                      f"{amount}\t{at}\n")  # fmt: skip
    with psycopg.connect(database, autocommit=True) as connection:
        columns = "id, operation_id, kind, contract_id, memo, reverses_id, created_by, created_at"
        with connection.cursor().copy(f"COPY ledger_transactions ({columns}) FROM STDIN") as copy:
            copy.write(transactions.getvalue())
        with connection.cursor().copy("COPY ledger_entries (transaction_id, account, amount_cents, posted_at) "
                                      "FROM STDIN") as copy:  # fmt: skip
            copy.write(entries.getvalue())
        connection.execute("ANALYZE ledger_entries")


async def run_statement(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    database = database_of(stack)
    contract_id = await _contract(database, ceiling=10_000_000, quota=1_000_000)
    started = time.monotonic()
    _write_ledger(database, contract_id)
    written = time.monotonic() - started
    today = dt.date.today()
    quarter_start = dt.date(today.year - 1, 7, 1)
    params = {"city": "bruchsal", "from": quarter_start.isoformat(), "to": dt.date(today.year - 1, 9, 30).isoformat()}
    engine = sqlalchemy.create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
    auth = {"Authorization": f"Bearer {token_for('bruchsal.finance')}"}
    async with httpx.AsyncClient(base_url=f"{stack.gateway_url}/api/v1", timeout=120, headers=auth) as finance:
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
    engine.dispose()
    ratio = quarter.median / whole.median
    return "\n".join([
        f"a city's statement for one quarter, ledger of {rows:,} entries (9 cities, 3 years; "
        f"written in {written:.0f} s)",
        f"  {quarter.name:38} p50 {quarter.median / 1000:8.1f} ms   ({len(body['lines']):,} lines)",
        f"  {whole.name:38} p50 {whole.median / 1000:8.1f} ms",
        f"  time ratio statement / read everything: {ratio:.3f}x (goal <= 0.05x)",
    ])  # fmt: skip
