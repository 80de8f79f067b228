"""Contracts use cases: rules, permissions and transactions."""

from __future__ import annotations

from civicpool_common.paging import PageWindow
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import repository
from civicpool_contracts.models import Tender


class ContractsService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def list_tenders(self, limit: int, cursor: str) -> tuple[list[Tender], str]:
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            tenders = await repository.tenders_after(session, window.after, window.fetch)
        return window.close(tenders, lambda t: t.id)
