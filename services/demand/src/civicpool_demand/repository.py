"""Queries of the demand service; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_demand.models import Round


async def rounds_after(session: AsyncSession, after_id: str | None, limit: int) -> list[Round]:
    """Up to `limit` rounds in creation order, after the round `after_id`."""
    query = select(Round).order_by(Round.id).limit(limit)
    if after_id is not None:
        query = query.where(Round.id > after_id)
    return list((await session.scalars(query)).all())
