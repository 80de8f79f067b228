"""Queries of the contracts service; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts.models import Tender


async def tenders_after(session: AsyncSession, after_id: str | None, limit: int) -> list[Tender]:
    """Up to `limit` tenders in creation order, after the tender `after_id`."""
    query = select(Tender).order_by(Tender.id).limit(limit)
    if after_id is not None:
        query = query.where(Tender.id > after_id)
    return list((await session.scalars(query)).all())
