"""Contracts use cases: rules, permissions and transactions."""

from __future__ import annotations

from civicpool_common.paging import decode_cursor, encode_cursor, resolve_limit
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import repository
from civicpool_contracts.models import Tender


class ContractsService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list_tenders(self, limit: int, cursor: str) -> tuple[list[Tender], str]:
        page_size = resolve_limit(limit)
        async with self._sessions() as session:
            tenders = await repository.tenders_after(session, decode_cursor(cursor), page_size)
        if len(tenders) > page_size:
            tenders = tenders[:page_size]
            return tenders, encode_cursor(tenders[-1].id)
        return tenders, ""
