"""The notifications service's queries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_notifications.models import Event, Mail, Preference


async def unresolved_events(session: AsyncSession, limit: int) -> list[Event]:
    query = select(Event).where(Event.resolved_at.is_(None)).order_by(Event.created_at).limit(limit)
    return list((await session.scalars(query)).all())


async def due_mails(session: AsyncSession, now: dt.datetime, limit: int) -> list[Mail]:
    """Mails not sent whose next attempt is due; on PostgreSQL locked for the claim, skipping those another
    worker is claiming (SQLite has one writer at a time anyway)."""
    query = (
        select(Mail)
        .where(Mail.sent_at.is_(None), Mail.next_attempt_at <= now)
        .order_by(Mail.next_attempt_at, Mail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(query)).all())


async def preferences_of(session: AsyncSession, user_ids: list[str]) -> dict[tuple[str, str], bool]:
    if not user_ids:
        return {}
    rows = await session.scalars(select(Preference).where(Preference.user_id.in_(user_ids)))
    return {(p.user_id, p.kind): p.enabled for p in rows}


async def mailed_users(session: AsyncSession, event_key: str) -> set[str]:
    return set((await session.scalars(select(Mail.user_id).where(Mail.event_key == event_key))).all())
