"""Closed months of the ledger on real databases (SQLite and PostgreSQL): the balance a statement opens with is
the same with months closed as without, whatever the entries and the period; a month closes once, in order,
only after it ended; the carried balances are append-only."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
import sqlalchemy
from civicpool_common.database import create_engine, session_factory, write_transaction
from civicpool_common.timestamps import start_of_network_day
from civicpool_contracts import repository
from civicpool_contracts.closing import close_months
from civicpool_contracts.models import ClosedMonth, LedgerEntry, LedgerTransaction, MonthBalance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.databases import DatabaseFactory

ACCOUNTS = ("city:bruchsal", "city:buehl", "pool:vc")
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 540  # into mid-2026
NOW = dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)

# (account, day offset, seconds into the day, amount): an entry and its counter-entry on the contract's account
entries = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.integers(0, DAYS - 1), st.integers(0, 86_399),
              st.integers(-10**9, 10**9).filter(bool)),
    max_size=40,
)  # fmt: skip


async def _post(sessions: async_sessionmaker[AsyncSession], rows: list[tuple[str, int, int, int]]) -> None:
    """The entries as the ledger keeps them, balanced, at their own past times (as years of postings left them)."""
    async with write_transaction(sessions) as session:
        for account, day, second, cents in rows:
            moment = start_of_network_day(FIRST_DAY + dt.timedelta(days=day)) + dt.timedelta(seconds=second)
            transaction = LedgerTransaction(id=str(uuid.uuid4()), operation_id=str(uuid.uuid4()), kind="shared_cost",
                                            memo="", created_by="test", created_at=moment)  # fmt: skip
            session.add(transaction)
            await session.flush()
            session.add_all([
                LedgerEntry(transaction_id=transaction.id, account=account, amount_cents=cents, posted_at=moment),
                LedgerEntry(transaction_id=transaction.id, account="contract:c", amount_cents=-cents, posted_at=moment),
            ])  # fmt: skip


async def _openings(sessions: async_sessionmaker[AsyncSession], days: list[int]) -> dict[tuple[str, int], int]:
    async with sessions() as session:
        return {
            (account, day): await repository.balance_before(
                session, account, start_of_network_day(FIRST_DAY + dt.timedelta(days=day))
            )
            for account in (*ACCOUNTS, "contract:c")
            for day in days
        }


async def _check(url: str, rows: list[tuple[str, int, int, int]], days: list[int]) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await _post(sessions, rows)
        summed = await _openings(sessions, days)  # nothing closed: the whole history added up
        closed = await close_months(sessions, NOW)
        assert await close_months(sessions, NOW) == []  # each month once
        if rows:  # every month from the first entry's to the last ended one (June 2026), in order
            assert closed[-1] == dt.date(2026, 6, 1) and closed == sorted(closed) and len(set(closed)) == len(closed)
        assert await _openings(sessions, days) == summed
    finally:
        await engine.dispose()


@pytest.fixture
def ledger_url(databases: DatabaseFactory) -> str:
    return databases.fresh("civicpool_contracts:migrations")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=entries, days=st.lists(st.integers(0, DAYS + 20), min_size=1, max_size=6))
def test_a_statement_opens_with_the_same_balance_with_months_closed_as_without(
    databases: DatabaseFactory, rows: list[tuple[str, int, int, int]], days: list[int]
) -> None:
    # A fresh database per example: the append-only ledger cannot be emptied on SQLite.
    asyncio.run(_check(databases.fresh("civicpool_contracts:migrations"), rows, days))


async def _closing_rules(url: str) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await _post(sessions, [("city:bruchsal", 0, 10, -500), ("city:bruchsal", 40, 10, -300)])  # January, February
        end_of_january = start_of_network_day(dt.date(2025, 2, 1))
        assert await close_months(sessions, end_of_january + dt.timedelta(minutes=30)) == []  # too early
        assert await close_months(sessions, end_of_january + dt.timedelta(hours=2)) == [dt.date(2025, 1, 1)]
        assert await close_months(sessions, start_of_network_day(dt.date(2025, 5, 2))) == [
            dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)]  # fmt: skip
        async with sessions() as session:
            carried = dict((await session.execute(
                select(MonthBalance.month, MonthBalance.balance_cents).where(MonthBalance.account == "city:bruchsal")
            )).all())  # fmt: skip
            assert carried == {dt.date(2025, 1, 1): -500, dt.date(2025, 2, 1): -800, dt.date(2025, 3, 1): -800,
                               dt.date(2025, 4, 1): -800}  # fmt: skip
            assert await session.scalar(select(func.count()).select_from(ClosedMonth)) == 4
        for change in ("UPDATE ledger_month_balances SET balance_cents = 0",
                       "DELETE FROM ledger_closed_months"):  # fmt: skip
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(sqlalchemy.text(change))
    finally:
        await engine.dispose()


def test_months_close_once_in_order_after_they_ended_and_stay_as_closed(ledger_url: str) -> None:
    asyncio.run(_closing_rules(ledger_url))
