"""The award relay: delivers each award's contract order (the outbox) to the contracts service until it is confirmed.

The award and its order are one transaction in this service's database, so an award never stands without
its order. Delivery is at least once: right after the award, then by the periodic sweep (every replica runs
one) until the contracts service confirms. The order is what the tender's contracts are to be (pending in
the standstill, active once concluded, revoked with the award), and the contracts service converges on it:
a repeated or late delivery changes nothing that is already so. A later step of the tender (activation,
revocation, a new award) rewrites the order in its own transaction and it is delivered anew.
"""

from __future__ import annotations

import datetime as dt
import logging

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import DomainError
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_tenders import repository
from civicpool_tenders.clients import AwardContracts
from civicpool_tenders.models import AwardOrder

log = logging.getLogger("civicpool.tenders.relay")
SWEEP_BATCH = 100  # orders per sweep; the next sweep takes the rest


class AwardRelay:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], contracts: AwardContracts) -> None:
        self._sessions = sessions
        self._contracts = contracts

    @staticmethod
    async def place(session: AsyncSession, order: contracts_pb.CreateAwardContractsRequest, now: dt.datetime) -> None:
        """The tender's order, in the transaction of the award (or of a later one, which replaces the order of a
        revoked award): delivered anew until confirmed."""
        row = await session.get(AwardOrder, order.tender_id, with_for_update=True)
        if row is None:
            row = AwardOrder(tender_id=order.tender_id, attempts=0, last_error="")
            session.add(row)
        row.order, row.created_at, row.delivered_at = json_format.MessageToJson(order), now, None

    @staticmethod
    async def change_state(session: AsyncSession, tender_id: str, state: int, now: dt.datetime) -> None:
        """The tender's contracts are to be `state` now (active once concluded, revoked with the award): the
        order says so and is delivered anew, in the transaction of the change."""
        row = await session.get(AwardOrder, tender_id, with_for_update=True)
        assert row is not None  # every award placed its order
        order = json_format.Parse(row.order, contracts_pb.CreateAwardContractsRequest())
        order.state = state  # type: ignore[assignment]
        if state == contracts_pb.AWARD_STATE_REVOKED:
            del order.items[:]
        row.order, row.created_at, row.delivered_at = json_format.MessageToJson(order), now, None

    async def deliver(self, tender_id: str) -> list[contracts_pb.Contract] | None:
        """Deliver the tender's order now: its contracts, or None when the contracts service did not confirm them
        (the failure is recorded, and the sweep tries again)."""
        async with self._sessions() as session:
            row = await session.get(AwardOrder, tender_id)
            if row is None:
                return None
            sent = row.order
        try:
            contracts = await self._contracts.create(
                json_format.Parse(sent, contracts_pb.CreateAwardContractsRequest())
            )
        except DomainError as error:  # unreachable, or refused: the order stays, the sweep retries
            log.warning("the contracts of the award of tender %s are not delivered yet: %s", tender_id, error)
            await self._record(tender_id, sent, delivered=False, error=str(error))
            return None
        await self._record(tender_id, sent, delivered=True, error="")
        return contracts

    async def sweep(self) -> str:
        """Deliver the orders not confirmed yet, oldest first (a periodic job: returns what it did)."""
        async with self._sessions() as session:
            pending = await repository.undelivered_orders(session, SWEEP_BATCH)
        if not pending:
            return ""
        delivered = sum([await self.deliver(tender_id) is not None for tender_id in pending])
        return f"delivered the contracts of {delivered} of {len(pending)} pending awards"

    async def contracts_of(self, tender_id: str) -> list[contracts_pb.Contract]:
        """Every contract of the tender, with every quota, as the contracts service holds them."""
        return await self._contracts.of_tender(tender_id)

    async def _record(self, tender_id: str, sent: str, *, delivered: bool, error: str) -> None:
        """The outcome of delivering `sent`; an order rewritten meanwhile stays to be delivered."""
        async with write_transaction(self._sessions) as session:
            row = await session.get(AwardOrder, tender_id)
            if row is None or row.delivered_at is not None or row.order != sent:
                return
            row.attempts += 1
            row.last_error = error[:2000]
            if delivered:
                row.delivered_at = utc_now()
