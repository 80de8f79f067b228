"""Queries of the contracts service; no rules, no commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import ColumnElement, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts.models import (
    Bid,
    BidScore,
    Contract,
    ContractQuota,
    Lot,
    LotItem,
    LotShare,
    Tender,
    TenderEvent,
)

Lock = Literal["share", "update"] | None


async def get_tender(session: AsyncSession, tender_id: str, *, lock: Lock = None) -> Tender | None:
    """The tender; on PostgreSQL locked until commit: "share" against status changes, "update" exclusively."""
    query = select(Tender).where(Tender.id == tender_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    return (await session.execute(query)).scalar_one_or_none()


async def tender_of_round(session: AsyncSession, round_id: str) -> Tender | None:
    return (await session.execute(select(Tender).where(Tender.round_id == round_id))).scalar_one_or_none()


def involving_city(city_id: str) -> ColumnElement[bool]:
    """Tenders the city leads or has a share in."""
    shares = exists().where(LotShare.tender_id == Tender.id, LotShare.city_id == city_id)
    return or_(Tender.lead_city_id == city_id, shares)


async def tenders_after(
    session: AsyncSession,
    after_id: str | None,
    limit: int,
    statuses: Sequence[str],
    city_id: str | None,
    *,
    published_only: bool,
) -> list[Tender]:
    """Up to `limit` tenders in creation order after `after_id`, of these statuses, involving the city."""
    query = select(Tender).where(Tender.status.in_(statuses)).order_by(Tender.id).limit(limit)
    if published_only:
        query = query.where(Tender.published_at.is_not(None))
    if after_id is not None:
        query = query.where(Tender.id > after_id)
    if city_id is not None:
        query = query.where(involving_city(city_id))
    return list((await session.scalars(query)).all())


async def city_takes_part(session: AsyncSession, tender: Tender, city_id: str) -> bool:
    if tender.lead_city_id == city_id:
        return True
    query = select(LotShare.city_id).where(LotShare.tender_id == tender.id, LotShare.city_id == city_id).limit(1)
    return (await session.scalar(query)) is not None


async def lots_of(session: AsyncSession, tender_id: str) -> list[Lot]:
    return list((await session.scalars(select(Lot).where(Lot.tender_id == tender_id).order_by(Lot.number))).all())


async def lot_items_of(session: AsyncSession, tender_id: str) -> list[LotItem]:
    query = select(LotItem).where(LotItem.tender_id == tender_id).order_by(LotItem.lot_id, LotItem.sku)
    return list((await session.scalars(query)).all())


async def lot_shares_of(session: AsyncSession, tender_id: str) -> list[LotShare]:
    query = select(LotShare).where(LotShare.tender_id == tender_id).order_by(LotShare.lot_id, LotShare.city_id)
    return list((await session.scalars(query)).all())


async def events_of(session: AsyncSession, tender_id: str) -> list[TenderEvent]:
    query = select(TenderEvent).where(TenderEvent.tender_id == tender_id).order_by(TenderEvent.id)
    return list((await session.scalars(query)).all())


async def bids_of(
    session: AsyncSession, tender_id: str, *, vendor_id: str | None = None, status: str | None = None
) -> list[Bid]:
    query = select(Bid).where(Bid.tender_id == tender_id).order_by(Bid.lot_id, Bid.id)
    if vendor_id is not None:
        query = query.where(Bid.vendor_id == vendor_id)
    if status is not None:
        query = query.where(Bid.status == status)
    return list((await session.scalars(query)).all())


async def bid_of_vendor(session: AsyncSession, lot_id: str, vendor_id: str) -> Bid | None:
    query = select(Bid).where(Bid.lot_id == lot_id, Bid.vendor_id == vendor_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_bid(session: AsyncSession, tender_id: str, bid_id: str) -> Bid | None:
    query = select(Bid).where(Bid.id == bid_id, Bid.tender_id == tender_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def scores_of(session: AsyncSession, tender_id: str) -> list[BidScore]:
    query = select(BidScore).where(BidScore.tender_id == tender_id).order_by(BidScore.lot_id, BidScore.rank)
    return list((await session.scalars(query)).all())


async def drop_scores(session: AsyncSession, tender_id: str) -> None:
    await session.execute(delete(BidScore).where(BidScore.tender_id == tender_id))


async def contracts_after(
    session: AsyncSession,
    after_id: str | None,
    limit: int,
    *,
    tender_id: str | None,
    city_id: str | None,
    vendor_id: str | None,
) -> list[Contract]:
    query = select(Contract).order_by(Contract.id).limit(limit)
    if after_id is not None:
        query = query.where(Contract.id > after_id)
    if tender_id is not None:
        query = query.where(Contract.tender_id == tender_id)
    if vendor_id is not None:
        query = query.where(Contract.vendor_id == vendor_id)
    if city_id is not None:
        quota = exists().where(ContractQuota.contract_id == Contract.id, ContractQuota.city_id == city_id)
        query = query.where(quota)
    return list((await session.scalars(query)).all())


async def get_contract(session: AsyncSession, contract_id: str) -> Contract | None:
    return await session.get(Contract, contract_id)


async def quotas_of(session: AsyncSession, contract_ids: Sequence[str]) -> dict[str, list[ContractQuota]]:
    if not contract_ids:
        return {}
    query = (
        select(ContractQuota)
        .where(ContractQuota.contract_id.in_(contract_ids))
        .order_by(ContractQuota.contract_id, ContractQuota.city_id)
    )
    found: dict[str, list[ContractQuota]] = {contract_id: [] for contract_id in contract_ids}
    for quota in (await session.scalars(query)).all():
        found[quota.contract_id].append(quota)
    return found
