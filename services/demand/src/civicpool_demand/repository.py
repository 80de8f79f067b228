"""Queries of the demand service; no rules, no commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from civicpool_common.database import read_rows
from civicpool_common.vocabulary import LineStatus, RoundStatus
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_demand.models import DemandTotal, Import, Line, LineVersion, Round

SYSTEM_ACTOR = "system"


async def rounds_after(
    session: AsyncSession, after_id: str | None, limit: int, statuses: Sequence[str] = ()
) -> list[Round]:
    """Up to `limit` rounds in creation order after the round `after_id`, of these statuses (all if none)."""
    query = select(Round).order_by(Round.id).limit(limit)
    if after_id is not None:
        query = query.where(Round.id > after_id)
    if statuses:
        query = query.where(Round.status.in_(statuses))
    return list((await session.scalars(query)).all())


Lock = Literal["share", "update"] | None


async def get_round(session: AsyncSession, round_id: str, *, lock: Lock = None) -> Round | None:
    """The round; on PostgreSQL locked until commit: "share" against status changes, "update" exclusively."""
    query = select(Round).where(Round.id == round_id)
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    return (await session.execute(query)).scalar_one_or_none()


async def close_due_rounds(session: AsyncSession, now: dt.datetime) -> int:
    """Close every open round whose closing time has passed; the number closed."""
    result = await session.execute(
        update(Round)
        .where(Round.status == RoundStatus.OPEN.value, Round.closes_at <= now)
        .values(
            status=RoundStatus.CLOSED.value,
            version=Round.version + 1,
            status_changed_at=Round.closes_at,
            status_changed_by=SYSTEM_ACTOR,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def get_line(session: AsyncSession, round_id: str, line_id: str, *, for_update: bool = False) -> Line | None:
    query = select(Line).where(Line.id == line_id, Line.round_id == round_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class LineFilter:
    round_id: str
    city_id: str | None = None
    item_id: str | None = None
    status: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions = [Line.round_id == self.round_id]
        if self.city_id is not None:
            conditions.append(Line.city_id == self.city_id)
        if self.item_id is not None:
            conditions.append(Line.item_id == self.item_id)
        if self.status is not None:
            conditions.append(Line.status == self.status)
        return conditions


async def lines_after(session: AsyncSession, where: LineFilter, after_id: str | None, limit: int) -> list[Line]:
    query = select(Line).where(*where.conditions()).order_by(Line.id).limit(limit)
    if after_id is not None:
        query = query.where(Line.id > after_id)
    return list((await session.scalars(query)).all())


async def rounds_closing_between(session: AsyncSession, now: dt.datetime, until: dt.datetime) -> list[Round]:
    """The open rounds whose closing time is after `now` and not after `until`."""
    query = select(Round).where(Round.status == RoundStatus.OPEN.value, Round.closes_at > now,
                                Round.closes_at <= until).order_by(Round.id)  # fmt: skip
    return list((await session.scalars(query)).all())


async def cities_with_lines(session: AsyncSession, round_id: str) -> set[str]:
    """The cities with submitted lines in the round."""
    query = select(DemandTotal.city_id).where(DemandTotal.round_id == round_id, DemandTotal.line_count > 0)
    return set((await session.scalars(query.distinct())).all())


async def submitted_lines(session: AsyncSession, round_id: str, city_id: str) -> list[Line]:
    where = LineFilter(round_id, city_id=city_id, status=LineStatus.SUBMITTED.value)
    return list((await session.scalars(select(Line).where(*where.conditions()).order_by(Line.id))).all())


async def line_versions(session: AsyncSession, line_id: str) -> list[LineVersion]:
    query = select(LineVersion).where(LineVersion.line_id == line_id).order_by(LineVersion.version)
    return list((await session.scalars(query)).all())


class CityItemTotal(NamedTuple):  # a tuple: thousands per aggregation, built cheaply
    item_id: str
    city_id: str
    quantity: int
    line_count: int


async def totals_by_item_and_city(
    sessions: async_sessionmaker[AsyncSession], round_id: str, city_id: str | None
) -> list[CityItemTotal]:
    """Submitted quantity and line count per (item, city): the rows the database keeps (DemandTotal), one per
    item and city, however many lines a round has.

    Core, read through the driver (read_rows: on SQLite start to end in one thread), all rows at once: thousands of
    plain rows need no identity map, and no hop between threads per step."""
    query = select(DemandTotal.item_id, DemandTotal.city_id, DemandTotal.quantity, DemandTotal.line_count).where(
        DemandTotal.round_id == round_id, DemandTotal.line_count > 0
    )
    if city_id is not None:
        query = query.where(DemandTotal.city_id == city_id)
    return [CityItemTotal._make(row) for row in await read_rows(sessions, query)]


async def import_lines_untouched(session: AsyncSession, record: Import) -> bool:
    """Whether every line the import created is still submitted as it was created."""
    query = (
        select(func.count())
        .select_from(LineVersion)
        .join(Line, Line.id == LineVersion.line_id)
        .where(
            LineVersion.import_id == record.id,
            LineVersion.change == "created",
            Line.status == LineStatus.SUBMITTED.value,
            Line.version == LineVersion.version,
        )
    )
    return (await session.scalar(query)) == record.created


async def import_added_before(session: AsyncSession, add_once_key: str) -> Import | None:
    return (await session.execute(select(Import).where(Import.add_once_key == add_once_key))).scalar_one_or_none()
