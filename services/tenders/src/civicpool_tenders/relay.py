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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import DomainError
from civicpool_common.ids import time_ordered_id
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_tenders import repository
from civicpool_tenders.clients import AwardContracts
from civicpool_tenders.models import AwardOrder, LotItem

log = logging.getLogger("civicpool.tenders.relay")
SWEEP_BATCH = 100  # orders per sweep; the next sweep takes the rest


@dataclass(frozen=True)
class Awardee:
    """A vendor a lot item is awarded to: its bid ("" for an award made elsewhere), its price and its scores."""

    bid_id: str
    vendor_id: str
    unit_price_cents: int
    quality_score: int = 0
    data_protection_score: int = 0


def order_item(
    order: contracts_pb.CreateAwardContractsRequest, item: LotItem, quotas: Mapping[str, int], max_quantity: int,
    estimated_quantity: int, awardees: Sequence[Awardee],
) -> None:  # fmt: skip
    """One lot item's contracts in the order: one per awardee, in the order of the cascade; several awardees share
    one framework (its maximum and the cities' quotas held once for all of them)."""
    shares = [contracts_pb.CityShare(city_id=city, quantity=q) for city, q in sorted(quotas.items()) if q > 0]
    framework_id = time_ordered_id() if len(awardees) > 1 else ""
    for rank, awardee in enumerate(awardees, start=1):
        order.items.append(contracts_pb.AwardedItem(
            contract_id=time_ordered_id(), lot_id=item.lot_id, bid_id=awardee.bid_id, vendor_id=awardee.vendor_id,
            item_id=item.item_id, sku=item.sku, name=item.name, unit=item.unit, kind=item.kind,
            unit_price_cents=awardee.unit_price_cents, ceiling_quantity=max_quantity, quotas=shares,
            framework_id=framework_id, framework_rank=rank, estimated_quantity=estimated_quantity,
            quality_score=awardee.quality_score, data_protection_score=awardee.data_protection_score,
        ))  # fmt: skip


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
