"""A local replica of the catalog, kept by its change feed (WatchCatalog): the pattern of Kubernetes informers.

The catalog changes rarely and is read on nearly every request, so the gateway and the services hold it in
memory instead of asking the catalog service each time. The replica:

- takes a snapshot, then every change, and reconnects from the last complete revision it holds when the
  stream breaks (a catalog restart, a network hiccup), with a short backoff;
- swaps a snapshot in whole when its last part arrives, so a reader never sees half a catalog;
- never takes an older state of a record than it holds (its version): a snapshot part may carry a record
  whose change also comes after it;
- keeps serving the last revision it has while the feed is down, and says so (`status`, metrics);
- lets a caller wait (bounded) until it holds a revision, so whoever wrote reads their write.

Records are held as the holder converts them (`converters`: the gateway keeps its REST models and their
JSON, the services the messages as sent), each with an `id` and a `version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import grpc
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from prometheus_client import Gauge

from civicpool_common import observability
from civicpool_common.background import running
from civicpool_common.service_identity import ServiceTokens

log = logging.getLogger("civicpool.catalog_replica")

# The trailing metadata of a catalog write, and the gateway's header: the revision the write took.
REVISION_METADATA = "x-catalog-revision"
REVISION_HEADER = "Catalog-Revision"

KINDS = ("items", "cities", "vendors", "cost_keys")

REPLICA_REVISION = Gauge("civicpool_catalog_replica_revision", "Catalog revision this process holds", ["holder"])
REPLICA_CONNECTED = Gauge("civicpool_catalog_replica_connected", "1 while the catalog feed is open", ["holder"])
REPLICA_STALE_SECONDS = Gauge(
    "civicpool_catalog_replica_disconnected_seconds", "Seconds since the catalog feed was lost (0: open)", ["holder"]
)

# Reconnect quickly after a catalog restart, then back off to a few seconds.
RECONNECT_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0)


OpenFeed = Callable[[int], AsyncIterator[pb.CatalogEvent]]
Converters = Mapping[str, Callable[[Any], Any]]  # kind ("items") -> message -> what the holder keeps


def _as_sent(message: Any) -> Any:
    return message


# The services keep the catalog's messages as they come.
MESSAGES: Converters = dict.fromkeys(KINDS, _as_sent)

# Every replica of this process: a service reports SERVING only once all of them are warm (grpc_server).
_replicas: weakref.WeakSet[CatalogReplica] = weakref.WeakSet()


def all_warm() -> bool:
    return all(replica.warm for replica in _replicas)


class CatalogReplica:
    def __init__(self, holder: str, open_feed: OpenFeed, converters: Converters) -> None:
        self.holder = holder
        self._open_feed = open_feed
        self._converters = converters
        self._records: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
        self._staged: dict[str, dict[str, Any]] | None = None  # a snapshot arriving
        self._sorted: dict[tuple[str, Callable[[Any], Any]], list[Any]] = {}
        self._indexes: dict[tuple[str, Callable[[Any], Any]], dict[Any, Any]] = {}
        self.revision = 0  # the last complete revision held
        self.warm = False  # holds a complete catalog (the process may report ready)
        self.connected = False
        self.last_error = ""
        self._lost_at = time.monotonic()
        self._progress = asyncio.Condition()
        REPLICA_REVISION.labels(holder).set_function(lambda: float(self.revision))
        REPLICA_CONNECTED.labels(holder).set_function(lambda: 1.0 if self.connected else 0.0)
        REPLICA_STALE_SECONDS.labels(holder).set_function(self.disconnected_seconds)
        _replicas.add(self)

    # -- reading ---------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> Any | None:
        return self._records[kind].get(record_id)

    def all(self, kind: str) -> Mapping[str, Any]:
        return self._records[kind]

    def sorted_by(self, kind: str, key: Callable[[Any], Any]) -> list[Any]:
        """Every record of a kind in `key` order; worked out once per change of that kind."""
        cached = self._sorted.get((kind, key))
        if cached is None:
            cached = self._sorted[(kind, key)] = sorted(self._records[kind].values(), key=key)
        return cached

    def indexed_by(self, kind: str, key: Callable[[Any], Any]) -> dict[Any, Any]:
        """Every record of a kind by `key` (a SKU); worked out once per change of that kind."""
        cached = self._indexes.get((kind, key))
        if cached is None:
            cached = self._indexes[(kind, key)] = {key(record): record for record in self._records[kind].values()}
        return cached

    def disconnected_seconds(self) -> float:
        return 0.0 if self.connected else time.monotonic() - self._lost_at

    def status(self) -> dict[str, Any]:
        """For readiness detail and /dependencies."""
        return {
            "revision": self.revision,
            "warm": self.warm,
            "feed": "open" if self.connected else "lost",
            "disconnected_seconds": round(self.disconnected_seconds(), 1),
            **({"last_error": self.last_error} if self.last_error and not self.connected else {}),
        }

    async def wait_for(self, revision: int, timeout_seconds: float) -> bool:
        """Wait until it holds `revision` (or a later one), at most `timeout_seconds`; whether it does."""
        if self.revision >= revision:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_seconds), self._progress:
                await self._progress.wait_for(lambda: self.revision >= revision)
        return self.revision >= revision

    # -- following the feed ----------------------------------------------------

    async def run(self) -> None:
        """Follow the feed until cancelled, reconnecting after every failure."""
        failures = 0
        while True:
            try:
                async for event in self._open_feed(self.revision):
                    if not self.connected:
                        self.connected, failures, self.last_error = True, 0, ""
                        log.info("%s: catalog feed open from revision %d", self.holder, self.revision)
                    await self._apply(event)
                raise ConnectionError("the catalog closed the feed")
            except asyncio.CancelledError:
                self.connected = False
                raise
            except Exception as error:  # grpc.aio.AioRpcError, a refused token, anything: keep serving, retry
                self._lost(error)
            await asyncio.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
            failures += 1

    def _lost(self, error: BaseException) -> None:
        detail = error.details() if isinstance(error, grpc.aio.AioRpcError) else str(error)
        if self.connected or detail != self.last_error:
            log.warning("%s: catalog feed lost at revision %d: %s", self.holder, self.revision, detail)
        if self.connected:
            self._lost_at = time.monotonic()
        self.connected, self.last_error = False, detail or type(error).__name__
        self._staged = None  # a snapshot cut short is started again on reconnect

    async def _apply(self, event: pb.CatalogEvent) -> None:
        if event.reset:
            self._staged = {kind: {} for kind in KINDS}
        target = self._staged if self._staged is not None else self._records
        changed = {kind for kind in KINDS if self._take(target[kind], kind, getattr(event, kind))}
        if not event.complete:
            return
        if self._staged is not None:
            self._records, self._staged = self._staged, None
            changed = set(KINDS)
        self._sorted = {key: rows for key, rows in self._sorted.items() if key[0] not in changed}
        self._indexes = {key: index for key, index in self._indexes.items() if key[0] not in changed}
        async with self._progress:
            self.revision, self.warm = event.revision, True
            self._progress.notify_all()

    def _take(self, held: dict[str, Any], kind: str, messages: Any) -> bool:
        convert = self._converters[kind]
        taken = False
        for message in messages:
            current = held.get(message.id)
            if current is None or message.version >= current.version:
                held[message.id] = convert(message)
                taken = True
        return taken


def open_feed(channel: grpc.aio.Channel, identity: ServiceTokens) -> OpenFeed:
    """The catalog's change feed from a revision, called as this process itself (the feed is internal)."""
    stub = CatalogServiceStub(channel)

    async def events(since_revision: int) -> AsyncIterator[pb.CatalogEvent]:
        metadata = observability.outgoing_metadata("", await identity.token())
        async for event in stub.WatchCatalog(pb.WatchCatalogRequest(since_revision=since_revision), metadata=metadata):
            yield event

    return events


@contextlib.asynccontextmanager
async def following(replica: CatalogReplica) -> AsyncIterator[None]:
    """Keep `replica` following its feed while the context lasts."""
    async with running(replica.run(), f"catalog replica of {replica.holder}"):
        yield
