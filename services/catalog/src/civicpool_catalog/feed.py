"""The catalog's change feed (WatchCatalog): a snapshot, then every change, for the replicas of other processes.

Every write takes the next catalog revision and stamps it on the record it writes (service.py), and writes
commit in revision order (repository.take_revision). Nothing is ever deleted, so the record tables are their
own log: what changed since revision R is every record whose revision is above R. A reader that holds R
asks for that; one that holds nothing, or a revision this catalog never reached (its database was
replaced), gets a snapshot.

Watchers wake when this process commits a write (`written`) and, for writes of other replicas of the
catalog, when the revision poll sees a newer revision: one poll per process, however many watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from civicpool_common.background import running
from civicpool_common.catalog_replica import KINDS
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from civicpool_catalog import repository
from civicpool_catalog.models import City, CostKey, Item, Vendor
from civicpool_catalog.repository import ItemRow

log = logging.getLogger("civicpool.catalog.feed")

# Records per part of a snapshot: keeps each message far below gRPC's 4 MB default limit.
SNAPSHOT_PART_RECORDS = 500


@dataclass
class FeedPart:
    """One event of the feed: the records, and where the reader stands after taking them."""

    revision: int
    reset: bool = False
    complete: bool = True
    items: list[ItemRow] = field(default_factory=list)
    cities: list[City] = field(default_factory=list)
    vendors: list[Vendor] = field(default_factory=list)
    cost_keys: list[CostKey] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items) + len(self.cities) + len(self.vendors) + len(self.cost_keys)


class CatalogFeed:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], poll_seconds: float) -> None:
        self._sessions = sessions
        self._poll_seconds = poll_seconds
        self._latest = -1
        self._generation = 0  # counts the revisions the poll has seen change
        self._newer = asyncio.Condition()
        self._kick = asyncio.Event()

    def written(self) -> None:
        """A write of this process committed: wake the watchers now rather than at the next poll."""
        self._kick.set()

    @contextlib.asynccontextmanager
    async def polling(self) -> AsyncIterator[None]:
        """Follow the catalog's revision while the context lasts (the service's lifetime)."""
        async with running(self._poll(), "catalog revision poll"):
            yield

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self._poll_seconds)
            self._kick.clear()
            try:
                revision = await self._revision()
            except Exception:  # the database is away: the health monitor says so; watchers wait
                log.debug("could not read the catalog revision", exc_info=True)
                continue
            if revision != self._latest:
                async with self._newer:
                    self._latest = revision
                    self._generation += 1
                    self._newer.notify_all()

    async def watch(self, since_revision: int) -> AsyncIterator[FeedPart]:
        """The reader's way from `since_revision` to now, then each change as it commits; endless."""
        generation = self._generation  # taken before the read: a change after the read is a new generation
        revision = await self._revision()
        if since_revision <= 0 or since_revision > revision:
            async for part in self._snapshot(revision):
                yield part
        elif since_revision < revision:
            yield await self._changes(since_revision, revision)
        else:
            yield FeedPart(revision)  # nothing new: the reader knows it is current
        while True:
            generation = await self._after(generation)
            since, revision = revision, await self._revision()
            if revision < since:  # the database was replaced under us: start over
                async for part in self._snapshot(revision):
                    yield part
            elif revision > since:
                yield await self._changes(since, revision)

    async def _after(self, generation: int) -> int:
        """Wait until the poll has seen the revision change since `generation`; the new generation."""
        async with self._newer:
            await self._newer.wait_for(lambda: self._generation != generation)
            return self._generation

    async def _revision(self) -> int:
        async with self._sessions() as session:
            return await repository.current_revision(session)

    async def _snapshot(self, revision: int) -> AsyncIterator[FeedPart]:
        """Every record, in parts; the first says reset, the last complete. Read after `revision` was:
        records written since may come with it, and come again as changes (a reader takes a record's
        newer state only)."""
        records = await self._records_since(None)
        parts = _parts(records, revision) or [FeedPart(revision)]
        for index, part in enumerate(parts):
            part.reset = index == 0
            part.complete = index == len(parts) - 1
            yield part

    async def _changes(self, since: int, revision: int) -> FeedPart:
        records = await self._records_since(since)
        records.revision = revision
        return records

    async def _records_since(self, since: int | None) -> FeedPart:
        """The records written after revision `since`; None: every record (those from before the catalog had
        revisions too, at revision 0)."""

        def changed(model: type[Item | City | Vendor | CostKey]) -> list[ColumnElement[bool]]:
            return [] if since is None else [model.revision > since]

        items = await repository.item_rows(self._sessions, changed(Item))
        async with self._sessions() as session:
            cities = list(await session.scalars(select(City).where(*changed(City)).order_by(City.id)))
            vendors = list(await session.scalars(select(Vendor).where(*changed(Vendor)).order_by(Vendor.id)))
            keys = select(CostKey).options(selectinload(CostKey.shares)).where(*changed(CostKey))
            cost_keys = list(await session.scalars(keys.order_by(CostKey.id)))
        return FeedPart(0, items=items, cities=cities, vendors=vendors, cost_keys=cost_keys)


def _parts(records: FeedPart, revision: int) -> list[FeedPart]:
    """The records cut into parts of at most SNAPSHOT_PART_RECORDS."""
    parts: list[FeedPart] = []
    current = FeedPart(revision)
    for kind in KINDS:
        for record in getattr(records, kind):
            if len(current) == SNAPSHOT_PART_RECORDS:
                parts.append(current)
                current = FeedPart(revision)
            getattr(current, kind).append(record)
    if len(current):
        parts.append(current)
    return parts
