"""Reference numbers (ETT-2026-003) and booking texts on real databases (SQLite and PostgreSQL).

Numbers are given in the transaction that makes the record: gap-free and unique per kind, city prefix and
year, also under concurrency, and a creation that is rolled back takes its number with it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator

import pytest
from civicpool_catalog.service import CatalogService
from civicpool_common import numbering
from civicpool_common.database import create_engine, session_factory, utc_now, write_transaction
from civicpool_common.lifecycle import StateConflict
from civicpool_common.timestamps import network_today
from civicpool_contracts.booking import bookings
from civicpool_contracts.models import ReferenceCounters
from civicpool_contracts.reports import ReportService
from civicpool_contracts.service import AwardedItem, AwardOrder, ContractsService
from civicpool_contracts.usage import UsageService
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import LEAD, add_member_cities, city_it, finance
from tests.support.contracts import awarded_contract
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

YEAR = numbering.network_year(utc_now())
BRUCHSAL = city_it("bruchsal")


@pytest.fixture
async def engine(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[AsyncEngine]:
    await add_member_cities(catalog)
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    yield engine
    await engine.dispose()


def usage_of(engine: AsyncEngine, catalog: CatalogService) -> UsageService:
    return UsageService(session_factory(engine), InProcessCatalog(catalog))


def award(tender: str, items: int) -> AwardOrder:
    today = network_today()
    return AwardOrder(
        tender_id=tender, lead_city_id="ettlingen", awarded_by="ettlingen.lead", awarded_at=utc_now(),
        starts_on=today, ends_on=today + dt.timedelta(days=700), renewal_notice_on=today + dt.timedelta(days=600),
        items=[AwardedItem(f"{tender}-c{n}", f"{tender}-lot", f"{tender}-bid{n}", "rheintal", f"item-{n}", f"SKU-{n}",
                           f"Notebook {n}", "Stück", "hardware", 100_000, 50, {"bruchsal": 40, "buehl": 10})
               for n in range(items)],
    )  # fmt: skip


async def numbers(engine: AsyncEngine, query: str) -> list[str]:
    async with engine.connect() as connection:
        return sorted(str(row[0]) for row in await connection.execute(text(query)))


def sequence(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{YEAR}-{n:03d}" for n in range(1, count + 1)]


def test_the_prefix_year_and_format() -> None:
    assert [numbering.city_prefix(c) for c in ("ettlingen", "baden-baden", "buehl", "rheinstetten", "ab")] == [
        "ETT", "BAD", "BUE", "RHE", "ABX",
    ]  # fmt: skip
    # 23:30 UTC on New Year's Eve is already the new year in Berlin.
    assert numbering.network_year(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)) == 2027
    assert numbering.network_year(dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.UTC)) == 2026
    assert numbering.format_reference("ETT", 2026, 7) == "ETT-2026-007"
    assert numbering.format_reference("ETT", 2026, 1234) == "ETT-2026-1234"
    assert numbering.normalised(" ett-2026-007 ") == "ETT-2026-007"


async def test_numbers_are_gap_free_and_unique_under_concurrency(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)

    async def one(kind: str, prefix: str) -> int:
        async with write_transaction(sessions) as session:
            return await numbering.next_number(await session.connection(), ReferenceCounters, kind, prefix, YEAR)

    asked = [("contract", "ETT")] * 25 + [("contract", "RAS")] * 10 + [("call_off", "ETT")] * 15
    random.Random(18).shuffle(asked)
    given = await asyncio.gather(*(one(kind, prefix) for kind, prefix in asked))
    by_sequence: dict[tuple[str, str], list[int]] = {}
    for (kind, prefix), number in zip(asked, given, strict=True):
        by_sequence.setdefault((kind, prefix), []).append(number)
    assert {key: sorted(found) for key, found in by_sequence.items()} == {
        ("contract", "ETT"): list(range(1, 26)), ("contract", "RAS"): list(range(1, 11)),
        ("call_off", "ETT"): list(range(1, 16)),
    }  # fmt: skip


async def test_a_rolled_back_creation_leaves_no_gap(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)

    class Refused(Exception):
        pass

    async def number(prefix: str, *, fail: bool = False) -> int:
        async with write_transaction(sessions) as session:
            given = await numbering.next_number(await session.connection(), ReferenceCounters, "tender", prefix, YEAR)
            if fail:  # the creation fails after its number was counted: rolled back with it
                raise Refused
            return given

    assert await number("BRU") == 1
    with pytest.raises(Refused):
        await number("BRU", fail=True)
    with pytest.raises(Refused):  # the very first number of a sequence, rolled back with its counter row
        await number("GAG", fail=True)
    assert await number("BRU") == 2
    assert await number("GAG") == 1


async def test_an_awards_contracts_are_numbered_per_lead_city_and_found_by_number(engine: AsyncEngine) -> None:
    contracts = ContractsService(session_factory(engine))
    first = await contracts.create_award_contracts(award("t1", 2))
    again = await contracts.create_award_contracts(award("t1", 2))  # a delivery again: the same contracts
    second = await contracts.create_award_contracts(award("t2", 1))
    assert [v.contract.reference for v in first] == [v.contract.reference for v in again]
    assert sorted(v.contract.reference for v in first + second) == sequence("ETT", 3)
    assert [v.contract.reference for v in second] == [f"ETT-{YEAR}-003"]

    found = await contracts.list_contracts(LEAD, 50, "", "", "", f"ett-{YEAR}-003")
    assert [v.contract.id for v in found.records] == [second[0].contract.id]
    assert (await contracts.list_contracts(LEAD, 50, "", "", "", f"ETT-{YEAR}-999")).records == []


async def test_call_offs_are_numbered_per_calling_city_without_gaps(
    engine: AsyncEngine, catalog: CatalogService
) -> None:
    usage = usage_of(engine, catalog)
    contract_id = await awarded_contract(engine, "hardware", 100, {"bruchsal": 30, "buehl": 30, "ettlingen": 10})
    # Twelve call-offs of 3 at once against a quota of 30: ten go through, two are refused and leave no gap.
    results = await asyncio.gather(
        *(usage.call_off(BRUCHSAL, contract_id, "bruchsal", 3, from_pool=False, key="") for _ in range(12)),
        return_exceptions=True,
    )
    done = [r for r in results if not isinstance(r, BaseException)]
    assert len(done) == 10 and all(isinstance(r, StateConflict) for r in results if isinstance(r, BaseException))
    assert sorted(op.booking.reference for op in done if op.booking) == sequence("BRU", 10)
    buehl = await usage.call_off(city_it("buehl"), contract_id, "buehl", 2, from_pool=False, key="")
    assert buehl.booking is not None and buehl.booking.reference == f"BUE-{YEAR}-001"
    assert await numbers(engine, "SELECT reference FROM call_offs") == sorted([*sequence("BRU", 10), f"BUE-{YEAR}-001"])

    page = await usage.transactions(LEAD, contract_id="", city_id="", limit=50, cursor="", reference=f"bru-{YEAR}-004")
    assert [p.booking.reference for p in page.records if p.booking] == [f"BRU-{YEAR}-004"]


async def test_booking_texts_read_in_the_readers_language(engine: AsyncEngine, catalog: CatalogService) -> None:
    usage = usage_of(engine, catalog)
    contract_id = await awarded_contract(engine, "license", 100)
    contract_reference = f"ETT-{YEAR}-001"
    call_off = await usage.call_off(BRUCHSAL, contract_id, "bruchsal", 40, from_pool=False, key="k-40")
    replayed = await usage.call_off(BRUCHSAL, contract_id, "bruchsal", 40, from_pool=False, key="k-40")
    assert replayed.replayed and replayed.booking == call_off.booking  # as made, and as read back from the database
    returned = await usage.return_seats(BRUCHSAL, contract_id, "bruchsal", 5, key="")
    mistaken = await usage.call_off(BRUCHSAL, contract_id, "bruchsal", 2, from_pool=False, key="")
    reversal = await usage.reverse(LEAD, mistaken.transaction.id, "falsch erfasst", key="")
    assert call_off.booking is not None and returned.booking is not None and reversal.booking is not None
    assert call_off.booking.text().render("de") == f"Abruf 40 × VPN, Vertrag {contract_reference}"
    assert call_off.booking.text().render("en") == f"Call-off 40 × VPN, contract {contract_reference}"
    assert returned.booking.text().render("de") == f"Rückgabe 5 × VPN an den Pool, Vertrag {contract_reference}"
    assert reversal.booking.text().render("de") == (
        f"Storno Abruf BRU-{YEAR}-002: falsch erfasst, Vertrag {contract_reference}"
    )
    assert reversal.booking.reference == ""  # a reversal is no call-off: it has no number of its own

    today = network_today()
    statement = await ReportService(session_factory(engine), InProcessCatalog(catalog)).statement(
        finance("bruchsal"), "bruchsal", today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    )
    texts = [line.booking.text().render("de") for line in statement.lines if line.booking]
    assert texts[0] == f"Abruf 40 × VPN, Vertrag {contract_reference}"
    assert next(line.booking.reference for line in statement.lines if line.booking) == f"BRU-{YEAR}-001"
    assert [t.contract_reference for t in statement.by_contract] == [contract_reference]
    async with session_factory(engine)() as session:  # the same facts read for every posting at once
        facts = await bookings(session, [call_off.transaction.id, returned.transaction.id], "bruchsal")
    assert {f.kind: f.quantity for f in facts.values()} == {"call_off": 40, "return": 5}
