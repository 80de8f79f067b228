"""The award relay: delivers each award's contract order (the outbox) to the contracts service until it is confirmed.

The award and its order are one transaction in this service's database, so an award never stands without
its order. Delivery is at least once: right after the award, then by the periodic sweep (every replica runs
one) until the contracts service confirms. The contracts service makes an order's contracts once, keyed by
the tender (its contract ids come in the order), so a repeated delivery answers the same contracts.
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
    def new_order(order: contracts_pb.CreateAwardContractsRequest, now: dt.datetime) -> AwardOrder:
        """The outbox row of an award, to be added in the award's own transaction."""
        return AwardOrder(tender_id=order.tender_id, order=json_format.MessageToJson(order), created_at=now)

    async def deliver(self, tender_id: str) -> list[contracts_pb.Contract] | None:
        """Deliver the tender's order now: its contracts, or None when the contracts service did not confirm them
        (the failure is recorded, and the sweep tries again)."""
        async with self._sessions() as session:
            row = await session.get(AwardOrder, tender_id)
            if row is None:
                return None
            order = json_format.Parse(row.order, contracts_pb.CreateAwardContractsRequest())
        try:
            contracts = await self._contracts.create(order)
        except DomainError as error:  # unreachable, or refused: the order stays, the sweep retries
            log.warning("the contracts of the award of tender %s are not delivered yet: %s", tender_id, error)
            await self._record(tender_id, delivered=False, error=str(error))
            return None
        await self._record(tender_id, delivered=True, error="")
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

    async def _record(self, tender_id: str, *, delivered: bool, error: str) -> None:
        async with write_transaction(self._sessions) as session:
            row = await session.get(AwardOrder, tender_id)
            if row is None or row.delivered_at is not None:
                return
            row.attempts += 1
            row.last_error = error[:2000]
            if delivered:
                row.delivered_at = utc_now()
