"""Queries of the tenders service; no rules, no commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from civicpool_common.vocabulary import TenderStatus
from sqlalchemy import ColumnElement, and_, case, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_tenders.models import (
    AwardOrder,
    Bid,
    BidScore,
    Complaint,
    Document,
    DocumentVersion,
    InformationNotice,
    Lot,
    LotItem,
    LotShare,
    Question,
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
    reference: str = "",
) -> list[Tender]:
    """Up to `limit` tenders in creation order after `after_id`, of these statuses, involving the city; the one
    with the number `reference` when named."""
    query = select(Tender).where(Tender.status.in_(statuses)).order_by(Tender.id).limit(limit)
    if reference:
        query = query.where(Tender.reference == reference)
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


async def get_bid(session: AsyncSession, tender_id: str, bid_id: str, *, lock: bool = True) -> Bid | None:
    query = select(Bid).where(Bid.id == bid_id, Bid.tender_id == tender_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def scores_of(session: AsyncSession, tender_id: str) -> list[BidScore]:
    query = select(BidScore).where(BidScore.tender_id == tender_id).order_by(BidScore.lot_id, BidScore.rank)
    return list((await session.scalars(query)).all())


async def drop_scores(session: AsyncSession, tender_id: str) -> None:
    await session.execute(delete(BidScore).where(BidScore.tender_id == tender_id))


async def undelivered_orders(session: AsyncSession, limit: int) -> list[str]:
    """The tenders whose award's contracts the contracts service has not confirmed yet, oldest first."""
    query = select(AwardOrder.tender_id).where(AwardOrder.delivered_at.is_(None))
    return list((await session.scalars(query.order_by(AwardOrder.created_at).limit(limit))).all())


# -- documents (an owner is a tender, bid_id "", or one bid of it) ---------------------------


async def documents_after(
    session: AsyncSession, tender_id: str, bid_id: str, after_id: str | None, limit: int
) -> list[Document]:
    query = select(Document).where(Document.tender_id == tender_id, Document.bid_id == bid_id)
    if after_id is not None:
        query = query.where(Document.id > after_id)
    return list((await session.scalars(query.order_by(Document.id).limit(limit))).all())


async def document_titled(session: AsyncSession, tender_id: str, bid_id: str, title: str) -> str | None:
    query = select(Document.id).where(Document.tender_id == tender_id, Document.bid_id == bid_id,
                                      Document.title == title)  # fmt: skip
    return await session.scalar(query)


async def versions_of(session: AsyncSession, document_ids: Sequence[str]) -> dict[str, list[DocumentVersion]]:
    """Each document's versions, oldest first, without their content."""
    if not document_ids:
        return {}
    query = (
        select(DocumentVersion)
        .where(DocumentVersion.document_id.in_(document_ids))
        .order_by(DocumentVersion.document_id, DocumentVersion.version)
    )
    found: dict[str, list[DocumentVersion]] = {}
    for version in (await session.scalars(query)).all():
        found.setdefault(version.document_id, []).append(version)
    return found


async def document_bytes(session: AsyncSession, tender_id: str, bid_id: str) -> int:
    """What every version of the owner's documents takes together."""
    query = select(func.coalesce(func.sum(DocumentVersion.size_bytes), 0)).where(
        DocumentVersion.tender_id == tender_id, DocumentVersion.bid_id == bid_id
    )
    return int(await session.scalar(query) or 0)


async def content_piece(session: AsyncSession, document_id: str, version: int, offset: int, size: int) -> bytes:
    """`size` bytes of a version's content from `offset` (0-based), read in the database."""
    # substr counts from 1 and works on bytes for a BLOB (SQLite) and a bytea (PostgreSQL).
    query = select(func.substr(DocumentVersion.content, offset + 1, size)).where(
        DocumentVersion.document_id == document_id, DocumentVersion.version == version
    )
    return bytes(await session.scalar(query) or b"")


# -- questions ------------------------------------------------------------------------------


def question_key(question: Question) -> str:
    """The list's sort key: unanswered first ("0"), then answered ("1"), each in the order asked."""
    return f"{1 if question.answer else 0}:{question.id}"


async def questions_after(
    session: AsyncSession, tender_id: str, after_key: str | None, limit: int, *, all_of_them: bool, own_vendor: str
) -> list[Question]:
    """The tender's questions in list order after `after_key`: all of them, or the answered ones and those of
    `own_vendor` ("" for none)."""
    answered = case((Question.answer == "", 0), else_=1)
    query = select(Question).where(Question.tender_id == tender_id).order_by(answered, Question.id).limit(limit)
    if not all_of_them:
        visible = Question.answer != ""
        query = query.where(or_(visible, Question.vendor_id == own_vendor) if own_vendor else visible)
    if after_key is not None:
        rank, _, after_id = after_key.partition(":")
        query = query.where(
            or_(answered > int(rank == "1"), and_(answered == int(rank == "1"), Question.id > after_id))
        )
    return list((await session.scalars(query)).all())


async def get_question(session: AsyncSession, tender_id: str, question_id: str) -> Question | None:
    query = select(Question).where(Question.id == question_id, Question.tender_id == tender_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# -- after the award decision -----------------------------------------------------------------


async def notices_of(session: AsyncSession, tender_id: str, sent_at: dt.datetime) -> list[InformationNotice]:
    """The information notices of the award decision made at `sent_at`, by vendor."""
    query = select(InformationNotice).where(InformationNotice.tender_id == tender_id,
                                            InformationNotice.sent_at == sent_at)  # fmt: skip
    return list((await session.scalars(query.order_by(InformationNotice.vendor_id))).all())


async def complaints_of(
    session: AsyncSession, tender_id: str, after_id: str | None = None, limit: int | None = None
) -> list[Complaint]:
    """A tender's review applications, oldest first (after `after_id`, at most `limit`)."""
    query = select(Complaint).where(Complaint.tender_id == tender_id).order_by(Complaint.id).limit(limit)
    if after_id is not None:
        query = query.where(Complaint.id > after_id)
    return list((await session.scalars(query)).all())


async def standstills_ended_before(session: AsyncSession, day: dt.date) -> list[Tender]:
    """The awarded tenders whose standstill ended before `day` and whose contracts are not concluded yet."""
    query = select(Tender).where(Tender.status == TenderStatus.AWARDED.value, Tender.standstill.is_(True),
                                 Tender.standstill_ends_on < day, Tender.contracts_activated_at.is_(None))  # fmt: skip
    return list((await session.scalars(query.order_by(Tender.id))).all())


async def count_events(session: AsyncSession, tender_id: str, action: str) -> int:
    """How often the tender's log records `action`."""
    query = select(func.count()).where(TenderEvent.tender_id == tender_id, TenderEvent.action == action)
    return int(await session.scalar(query) or 0)
