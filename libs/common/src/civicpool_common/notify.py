"""How a service reports an event for e-mail: its own outbox, written in the change's transaction, and a relay.

One concept, one home: every service that owns events (demand, tenders, contracts) uses this.
- `NotificationOutbox` is a mixin for the service's outbox table (`class NotificationOrder(NotificationOutbox,
  Base)` in its models, a migration for the table).
- `outbox_row(...)` makes the row of one event; add it in the same transaction as the change, so the event
  is never lost and never reported without the change. A periodic job (a reminder) may add it with a
  deterministic key any number of times: `add_once` skips a key the outbox has.
- `NotificationRelay.sweep` (a periodic job) delivers undelivered rows to the notifications service's
  internal Notify, as the service itself; the notifications service stores each key once, so a repeat
  (a crash before the row is marked) is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import grpc
from civicpool.notifications.v1 import notifications_pb2 as pb
from civicpool.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from google.protobuf import json_format
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from civicpool_common.database import UtcDateTime, utc_now, write_transaction
from civicpool_common.grpc_client import call_as_service
from civicpool_common.service_identity import ServiceTokens

log = logging.getLogger("civicpool.notify")
SWEEP_BATCH = 100
SWEEP_BATCHES = 10  # a sweep goes on while its batches come whole, up to this many (a backlog goes out at once)


class Batch(NamedTuple):
    """What one batch of a periodic job of the notification pipeline did."""

    said: str  # for the log ("" when nothing)
    whole: bool  # a whole batch went through: more may be waiting


async def batch_after_batch(batch: Callable[[], Awaitable[Batch]], most: int) -> str:
    """One round of a periodic job: `batch` again while it goes through whole, at most `most` times, so a backlog
    goes out at once rather than one batch per interval, and a round stays bounded. What it did, for the log."""
    done: list[str] = []
    for _ in range(most):
        worked = await batch()
        done += [worked.said] if worked.said else []
        if not worked.whole:
            break
    return "; ".join(done)


class NotificationOutbox:
    """The columns of a service's notification outbox (one row per event key)."""

    event_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request: Mapped[str] = mapped_column(Text)  # the NotifyRequest as JSON
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


def audience(role: str = "", city_id: str = "", vendor_id: str = "", user_ids: tuple[str, ...] = ()) -> pb.Audience:
    return pb.Audience(role=role, city_id=city_id, vendor_id=vendor_id, user_ids=list(user_ids))


def outbox_row(
    model: type[Any], event_key: str, kind: str, audiences: list[pb.Audience], values: dict[str, str]
) -> Any:
    """The outbox row of one event (add it in the change's own transaction)."""
    request = pb.NotifyRequest(event_key=event_key, kind=kind, audiences=audiences, values=values)
    return model(event_key=event_key, request=json_format.MessageToJson(request), created_at=utc_now(),
                 attempts=0, last_error="")  # fmt: skip


async def add_once(session: AsyncSession, row: Any) -> bool:
    """Add the row unless its key is in the outbox already (a reminder's sweep repeats): True when added."""
    if await session.get(type(row), row.event_key) is not None:
        return False
    session.add(row)
    return True


class NotificationRelay:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[Any],
        channel: grpc.aio.Channel,
        identity: ServiceTokens,
        deadline_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._model = model
        self._stub = NotificationsServiceStub(channel)
        self._identity = identity
        self._deadline = deadline_seconds

    async def sweep(self) -> str:
        """Deliver the events not delivered yet, oldest first (a periodic job: returns what it did)."""
        return await batch_after_batch(self._sweep_batch, SWEEP_BATCHES)

    async def _sweep_batch(self) -> Batch:
        """Deliver one batch of them."""
        model = self._model
        async with self._sessions() as session:
            query = select(model).where(model.delivered_at.is_(None)).order_by(model.created_at).limit(SWEEP_BATCH)
            pending = [(row.event_key, row.request) for row in (await session.scalars(query)).all()]
        delivered = 0
        for event_key, request_json in pending:
            request = json_format.Parse(request_json, pb.NotifyRequest())
            try:
                await call_as_service("notifications", self._stub.Notify, request, self._deadline, self._identity)
            except Exception as error:  # unreachable or refusing: the row stays, the next sweep tries again
                log.warning("event %s not delivered to the notifications service yet: %s", event_key, error)
                await self._record(event_key, str(error))
                break
            await self._record(event_key, "")
            delivered += 1
        said = f"delivered {delivered} of {len(pending)} notification event(s)" if pending else ""
        return Batch(said, delivered == SWEEP_BATCH)

    async def _record(self, event_key: str, error: str) -> None:
        async with write_transaction(self._sessions) as session:
            row = await session.get(self._model, event_key)
            if row is None or row.delivered_at is not None:
                return
            row.attempts += 1
            row.last_error = error[:2000]
            if not error:
                row.delivered_at = utc_now()
