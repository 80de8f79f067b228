"""The catalog's change feed and the replicas it keeps, on real databases (SQLite and PostgreSQL).

The feed (civicpool_catalog.feed) and the replica (civicpool_common.catalog_replica) run as in the services,
in process: the replica takes the feed's events as the gRPC servicer builds them (grpc_api.catalog_event).
The stack tests (tests/integration/test_catalog_feed.py) run the same over gRPC, with gateways.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool_catalog import feed as feed_module
from civicpool_catalog import repository
from civicpool_catalog.feed import CatalogFeed
from civicpool_catalog.grpc_api import catalog_event, city_to_proto, cost_key_to_proto, item_to_proto, vendor_to_proto
from civicpool_catalog.models import Item
from civicpool_catalog.repository import ItemFilter
from civicpool_catalog.service import CITIES, COST_KEYS, ITEMS, VENDORS, CatalogService
from civicpool_cli import demo
from civicpool_common.catalog_replica import CatalogReplica, following
from civicpool_common.database import create_engine, session_factory
from civicpool_common.errors import DomainError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.service.conftest import ADMIN
from tests.support.databases import DatabaseFactory

KEEP_AS_SENT = {kind: (lambda message: message) for kind in ("items", "cities", "vendors", "cost_keys")}
CONVERGE_SECONDS = 10.0


@dataclass
class Catalog:
    service: CatalogService
    feed: CatalogFeed
    sessions: async_sessionmaker[AsyncSession]

    def replica(self, holder: str) -> CatalogReplica:
        async def events(since_revision: int) -> AsyncIterator[pb.CatalogEvent]:
            async for part in self.feed.watch(since_revision):
                yield catalog_event(part)

        return CatalogReplica(holder, events, KEEP_AS_SENT)

    async def revision(self) -> int:
        async with self.sessions() as session:
            return await repository.current_revision(session)

    async def read(self) -> dict[str, dict[str, Any]]:
        """Every record as the catalog service reads it (inactive ones too), as the feed sends it."""
        items, cursor = [], ""
        while True:
            page = await self.service.items_page(ItemFilter(), 500, cursor)
            items += page.records
            if not (cursor := page.next_cursor):
                break
        read: dict[str, dict[str, Any]] = {"items": {row.id: item_to_proto(row) for row in items}}
        for name, kind, to_proto in (("cities", CITIES, city_to_proto), ("vendors", VENDORS, vendor_to_proto),
                                     ("cost_keys", COST_KEYS, cost_key_to_proto)):  # fmt: skip
            listed = await self.service.list_page(kind, 500, "", include_inactive=True)
            read[name] = {record.id: to_proto(record) for record in listed.records}
        return read

    async def converged(self, replica: CatalogReplica) -> None:
        """Wait until the replica holds the catalog's revision; then it must hold what the catalog reads."""
        revision = await self.revision()
        assert await replica.wait_for(revision, CONVERGE_SECONDS), (replica.revision, revision, replica.status())
        read = await self.read()
        held = {kind: dict(replica.all(kind)) for kind in read}
        assert held == read


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Catalog]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    feed = CatalogFeed(sessions, poll_seconds=0.05)
    try:
        async with feed.polling():
            yield Catalog(CatalogService(sessions), feed, sessions)
    finally:
        await engine.dispose()


@pytest.fixture
def catalog_url(databases: DatabaseFactory) -> str:
    url = databases.fresh("civicpool_catalog:migrations")

    async def members() -> None:
        async with opened(url) as catalog:
            for city in demo.CITIES:
                await catalog.service.create(
                    ADMIN, CITIES, demo.city_payload(city) | {"joined_on": dt.date(2020, 6, 1)}
                )

    asyncio.run(members())
    return url


def _item(sku: str, price: int) -> dict[str, Any]:
    return {"sku": sku, "name": f"Gerät {sku}", "description": "", "kind": "hardware", "cpv_code": "30213100-6",
            "unit": "Stück", "reference_price_cents": price, "vat_rate_bps": 1900, "license_model": None,
            "license_term_months": None, "hosting_region": None, "dpa_available": False,
            "open_source": False}  # fmt: skip


def _vendor(vendor_id: str) -> dict[str, Any]:
    return {"id": vendor_id, "name": f"Vendor {vendor_id}", "vat_id": None, "country": "DE", "contact_name": "",
            "contact_email": "", "contact_phone": ""}  # fmt: skip


# One catalog write: what, which record (an index into those made so far), a value.
operations = st.lists(
    st.tuples(
        st.sampled_from(["item", "price", "toggle_item", "vendor", "rename_vendor", "toggle_city", "cost_key"]),
        st.integers(0, 20),
        st.integers(1, 99_999),
    ),
    min_size=1,
    max_size=12,
)


async def _apply(catalog: Catalog, operation: tuple[str, int, int], made: dict[str, list[str]]) -> None:
    """One write; one the catalog refuses (a taken SKU, a stale version) changes nothing, as always."""
    what, index, value = operation
    service = catalog.service
    with contextlib.suppress(DomainError):
        if what == "item":
            made["items"].append((await service.create(ADMIN, ITEMS, _item(f"P-{value}", value))).id)
        elif what == "vendor":
            made["vendors"].append((await service.create(ADMIN, VENDORS, _vendor(f"v-{value}"))).id)
        elif what == "cost_key":
            key = {"id": f"k-{value}", "name": f"Schlüssel {value}", "description": "", "method": "equal"}
            await service.create(ADMIN, COST_KEYS, key)
        elif what == "toggle_city":
            city = demo.CITIES[index % len(demo.CITIES)].id
            record = await service.get(CITIES, city)
            await service.set_active(ADMIN, CITIES, city, not record.active, record.version)
        elif made["items"] and what in ("price", "toggle_item"):
            item = await service.get(ITEMS, made["items"][index % len(made["items"])])
            if what == "price":
                await service.update(ADMIN, ITEMS, item.id, {"reference_price_cents": value}, item.version)
            else:
                await service.set_active(ADMIN, ITEMS, item.id, not item.active, item.version)
        elif made["vendors"] and what == "rename_vendor":
            vendor = await service.get(VENDORS, made["vendors"][index % len(made["vendors"])])
            await service.update(ADMIN, VENDORS, vendor.id, {"name": f"Vendor {value}"}, vendor.version)


async def _converge_after(url: str, writes: list[tuple[str, int, int]]) -> None:
    async with opened(url) as catalog:
        made: dict[str, list[str]] = {"items": [], "vendors": []}
        following_all_along = catalog.replica("all along")  # snapshot first, then every change
        cut_off = catalog.replica("cut off")  # loses the feed halfway, comes back from its revision
        async with following(following_all_along):
            async with following(cut_off):
                for operation in writes[: len(writes) // 2]:
                    await _apply(catalog, operation, made)
                await catalog.converged(cut_off)
            for operation in writes[len(writes) // 2 :]:
                await _apply(catalog, operation, made)
            async with following(cut_off):
                await catalog.converged(cut_off)
            await catalog.converged(following_all_along)
        newcomer = catalog.replica("newcomer")  # a snapshot of everything
        async with following(newcomer):
            await catalog.converged(newcomer)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=operations, part_records=st.sampled_from([1, 4, 500]))
def test_every_replica_converges_to_what_the_catalog_reads_after_any_writes(
    catalog_url: str, writes: list[tuple[str, int, int]], part_records: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica that followed all along, one that lost the feed halfway and came back from its revision, and
    one that started afterwards (snapshots in parts of 1, 4 or 500 records) all hold what the catalog reads."""
    monkeypatch.setattr(feed_module, "SNAPSHOT_PART_RECORDS", part_records)
    asyncio.run(_converge_after(catalog_url, writes))


async def _concurrent_writers(url: str) -> None:
    async with opened(url) as catalog:
        replica = catalog.replica("watching")
        async with following(replica):
            created = await asyncio.gather(
                *(catalog.service.create(ADMIN, ITEMS, _item(f"C-{n}", 1000 + n)) for n in range(12))
            )

            async def reprice(item_id: str, rounds: int) -> None:
                for step in range(rounds):
                    item = await catalog.service.get(ITEMS, item_id)
                    with contextlib.suppress(DomainError):  # another writer came first: the next round tries again
                        await catalog.service.update(
                            ADMIN, ITEMS, item_id, {"reference_price_cents": step}, item.version
                        )

            await asyncio.gather(*(reprice(item.id, 4) for item in created for _ in range(2)))
            await catalog.converged(replica)
        async with catalog.sessions() as session:
            revisions = list(await session.scalars(select(Item.revision)))
        assert len(set(revisions)) == len(revisions) == 12  # each record's last write took a revision of its own


def test_concurrent_writers_take_distinct_revisions_and_a_follower_misses_none(catalog_url: str) -> None:
    asyncio.run(_concurrent_writers(catalog_url))


async def _reader_positions(url: str) -> None:
    async with opened(url) as catalog:
        first = await catalog.service.create(ADMIN, ITEMS, _item("FIRST", 100))
        since = await catalog.revision()
        second = await catalog.service.create(ADMIN, ITEMS, _item("SECOND", 200))
        now = await catalog.revision()
        events = catalog.feed.watch(since)
        changes = await anext(events)
        assert (changes.revision, changes.reset, changes.complete) == (now, False, True)
        assert [row.id for row in changes.items] == [second.id]  # only what changed since
        await events.aclose()
        async with catalog.sessions() as session, session.begin():  # as a record from before revisions has it
            await session.execute(update(Item).where(Item.id == first.id).values(revision=0))
        for ahead_or_none in (0, now + 100):  # a reader of another database, or a new one: a snapshot
            events = catalog.feed.watch(ahead_or_none)
            snapshot = await anext(events)
            assert (snapshot.reset, snapshot.complete, snapshot.revision) == (True, True, now)
            assert {first.id, second.id} <= {row.id for row in snapshot.items}
            await events.aclose()
        current = catalog.feed.watch(now)
        assert len(await anext(current)) == 0  # up to date: told so, with nothing
        waiting = asyncio.ensure_future(anext(current))
        third = await catalog.service.create(ADMIN, ITEMS, _item("THIRD", 300))
        catalog.feed.written()
        change = await asyncio.wait_for(waiting, CONVERGE_SECONDS)
        assert ([row.id for row in change.items], change.revision) == ([third.id], now + 1)
        await current.aclose()


def test_a_reader_gets_what_changed_since_its_revision_or_a_snapshot(catalog_url: str) -> None:
    asyncio.run(_reader_positions(catalog_url))
