"""The renewal notice sweep on real databases (SQLite and PostgreSQL): which contracts, which step, once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest
from civicpool_common.database import create_engine, session_factory
from civicpool_common.timestamps import network_today
from civicpool_contracts.models import Contract, NotificationOrder
from civicpool_contracts.renewals import remind_notice_dates
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.contracts import awarded_contract
from tests.support.databases import DatabaseFactory


@pytest.fixture
async def engine(databases: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    yield engine
    await engine.dispose()


async def _notice_in(engine: AsyncEngine, days: int, **changes: object) -> str:
    """A contract (Ettlingen leads; Bruchsal, Bühl and Ettlingen are parties) whose notice date is `days` away."""
    contract_id = await awarded_contract(engine)
    async with engine.begin() as connection:
        await connection.execute(update(Contract).where(Contract.id == contract_id).values(
            renewal_notice_on=network_today() + dt.timedelta(days=days), version=Contract.version + 1,
            **changes))  # fmt: skip
    return contract_id


async def _outbox(engine: AsyncEngine) -> dict[str, dict[str, object]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(select(NotificationOrder.event_key, NotificationOrder.request))).all()
    return {key: json.loads(request) for key, request in rows}


async def test_notices_go_90_and_30_days_ahead_a_missed_day_is_made_up_and_nothing_twice(engine: AsyncEngine) -> None:
    sessions, today = session_factory(engine), network_today()
    ids = {days: await _notice_in(engine, days) for days in (120, 91, 90, 60, 31, 30, 10, 0, -1)}
    ended = await _notice_in(engine, 30, status="terminated")
    renewing = await _notice_in(engine, 30, renewal_round_id="round-1")  # its renewal has started
    assert await remind_notice_dates(sessions, today) == 6
    expected = {f"contracts/renewal-90/{ids[d]}" for d in (90, 60, 31)} | {
        f"contracts/renewal-30/{ids[d]}" for d in (30, 10, 0)
    }
    outbox = await _outbox(engine)
    assert set(outbox) == expected
    assert not [key for key in outbox if ended in key or renewing in key]
    assert await remind_notice_dates(sessions, today) == 0  # the sweep again: nothing new

    notice = outbox[f"contracts/renewal-90/{ids[60]}"]
    assert notice["kind"] == "renewal_notice"
    assert notice["audiences"] == [{"role": "finance", "cityId": city} for city in ("bruchsal", "buehl", "ettlingen")] \
        + [{"role": "procurement-lead", "cityId": "ettlingen"}]  # fmt: skip
    values = notice["values"]
    assert isinstance(values, dict)
    assert (values["days"], values["notice_date"]) == ("60", (today + dt.timedelta(days=60)).isoformat())
    assert values["path"] == f"contracts/{ids[60]}" and values["contract_title"].startswith("ETT-")

    # 30 days later: 120 and 91 are 90 and 61 days away, 60 and 31 now 30 and 1; nothing else is repeated.
    assert await remind_notice_dates(sessions, today + dt.timedelta(days=30)) == 4
    later = set(await _outbox(engine)) - expected
    assert later == {f"contracts/renewal-90/{ids[120]}", f"contracts/renewal-90/{ids[91]}",
                     f"contracts/renewal-30/{ids[60]}", f"contracts/renewal-30/{ids[31]}"}  # fmt: skip
