"""Queries of the catalog; no rules, no commits (the service owns the transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from civicpool_common.database import read_rows
from sqlalchemy import ColumnElement, Row, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from sqlalchemy.sql.base import ExecutableOption

from civicpool_catalog.models import CatalogRevision, City, CostKey, CostShare, Item, Vendor

Record = TypeVar("Record", Item, City, Vendor, CostKey)


class Repository(Generic[Record]):
    """Reads and adds one kind of record, sorted and paged by a unique column."""

    def __init__(
        self,
        session: AsyncSession,
        model: type[Record],
        sort_column: InstrumentedAttribute[str],
        options: Sequence[ExecutableOption] = (),
    ) -> None:
        self._session = session
        self._model: type[Record] = model
        self._sort_column = sort_column
        self._options = tuple(options)

    def _select(self) -> Select[Record]:
        return select(self._model).options(*self._options)

    async def get(self, record_id: str, *, for_update: bool = False) -> Record | None:
        """The record, locked against concurrent writers until commit if `for_update` (PostgreSQL)."""
        query = self._select().where(self._model.id == record_id)
        if for_update:
            query = query.with_for_update()
        result = await self._session.execute(query)
        return result.scalar_one_or_none()

    async def page(self, conditions: Sequence[ColumnElement[bool]], after: str | None, limit: int) -> list[Record]:
        """Up to `limit` records in sort order, after the sort key `after`."""
        query = self._select().where(*conditions)
        if after is not None:
            query = query.where(self._sort_column > after)
        result = await self._session.execute(query.order_by(self._sort_column).limit(limit))
        return list(result.scalars())

    async def taken(self, column: InstrumentedAttribute[Any], value: object, except_id: str | None = None) -> bool:
        """Whether another record already has `value` in a unique `column`."""
        query = select(func.count()).select_from(self._model).where(column == value)
        if except_id is not None:
            query = query.where(self._model.id != except_id)
        return bool(await self._session.scalar(query))

    def add(self, record: Record) -> None:
        self._session.add(record)


ItemRow = Row[Any]  # a row of the items table: the same attribute names as an Item


async def item_rows(
    sessions: async_sessionmaker[AsyncSession],
    conditions: Sequence[ColumnElement[bool]],
    *,
    after: str | None = None,
    limit: int | None = None,
) -> list[ItemRow]:
    """Items as plain rows, by SKU (after the SKU `after`, at most `limit`): Core, no identity map, for reads."""
    query = select(Item.__table__).where(*conditions)
    if after is not None:
        query = query.where(Item.sku > after)
    query = query.order_by(Item.sku)
    if limit is not None:
        query = query.limit(limit)
    return await read_rows(sessions, query)


def items(session: AsyncSession) -> Repository[Item]:
    return Repository(session, Item, Item.sku)


def cities(session: AsyncSession) -> Repository[City]:
    return Repository(session, City, City.id)


def vendors(session: AsyncSession) -> Repository[Vendor]:
    return Repository(session, Vendor, Vendor.id)


def cost_keys(session: AsyncSession) -> Repository[CostKey]:
    return Repository(session, CostKey, CostKey.id, options=[selectinload(CostKey.shares)])


@dataclass(frozen=True)
class ItemFilter:
    """Which items a list asks for (None or "": any)."""

    kind: str | None = None
    cpv_prefix: str = ""
    hosting_region: str | None = None
    include_inactive: bool = True
    name_contains: str = ""


def item_named(ids: Sequence[str], skus: Sequence[str]) -> ColumnElement[bool]:
    """The items with one of these ids or SKUs (compared exactly)."""
    return or_(Item.id.in_(ids), Item.sku.in_(skus))


def item_conditions(wanted: ItemFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.kind is not None:
        conditions.append(Item.kind == wanted.kind)
    if wanted.cpv_prefix:
        conditions.append(Item.cpv_code.startswith(wanted.cpv_prefix, autoescape=True))
    if wanted.hosting_region is not None:
        conditions.append(Item.hosting_region == wanted.hosting_region)
    if not wanted.include_inactive:
        conditions.append(Item.active.is_(True))
    if wanted.name_contains:
        conditions.append(func.lower(Item.name).contains(wanted.name_contains.lower(), autoescape=True))
    return conditions


def active_only(model: type[Record], include_inactive: bool) -> list[ColumnElement[bool]]:
    return [] if include_inactive else [model.active.is_(True)]


async def activity_by_id(
    session: AsyncSession, model: type[City | Vendor | Item], ids: Sequence[str]
) -> dict[str, bool]:
    """id -> active, for the records among `ids` that exist (ids compare exactly, as stored)."""
    if not ids:
        return {}
    result = await session.execute(select(model.id, model.active).where(model.id.in_(ids)))
    return {record_id: active for record_id, active in result}


async def active_city_populations(
    session: AsyncSession, city_ids: Sequence[str] = (), *, lock: bool = False
) -> dict[str, int]:
    """Population of active cities (all, or those named).

    With `lock`, the rows are share-locked until commit (PostgreSQL), so no one can
    deactivate such a city while a decision that depends on it is being written.
    """
    query = select(City.id, City.population).where(City.active.is_(True))
    if city_ids:
        query = query.where(City.id.in_(city_ids))
    if lock:
        query = query.with_for_update(read=True)
    result = await session.execute(query)
    return {city_id: population for city_id, population in result}


async def vendor_by_vat_id(session: AsyncSession, vat_id: str) -> str:
    """The id of the vendor with this VAT id (as stored: upper case, no spaces), "" for none."""
    return (await session.execute(select(Vendor.id).where(Vendor.vat_id == vat_id))).scalar() or ""


async def vat_rates(session: AsyncSession, item_ids: Sequence[str]) -> dict[str, int]:
    result = await session.execute(select(Item.id, Item.vat_rate_bps).where(Item.id.in_(item_ids)))
    return {item_id: rate for item_id, rate in result.all()}


async def billing_units_of_other_cities(session: AsyncSession, city_id: str) -> dict[str, list[dict[str, str]]]:
    """Every other city's billing units, by city (for the rule that a Leitweg-ID belongs to one city)."""
    result = await session.execute(select(City.id, City.billing_units).where(City.id != city_id))
    return {other: units for other, units in result}


async def fixed_keys_using_city(session: AsyncSession, city_id: str) -> list[str]:
    """Active fixed cost keys that give `city_id` a share."""
    query = (
        select(CostKey.id)
        .join(CostShare, CostShare.cost_key_id == CostKey.id)
        .where(CostShare.city_id == city_id, CostKey.active.is_(True))
        .order_by(CostKey.id)
    )
    return list((await session.scalars(query)).all())


async def take_revision(session: AsyncSession) -> int:
    """The catalog's next revision for the write in this transaction. The revision row stays locked until
    the transaction ends, so writes commit in revision order: take it last, after every other lock."""
    taken = update(CatalogRevision).where(CatalogRevision.id == 1).values(revision=CatalogRevision.revision + 1)
    with session.no_autoflush:  # the record is flushed once, with its revision (one version step)
        return int((await session.execute(taken.returning(CatalogRevision.revision))).scalar_one())


async def current_revision(session: AsyncSession) -> int:
    """The revision of the last committed write (0: none yet)."""
    return int(await session.scalar(select(CatalogRevision.revision).where(CatalogRevision.id == 1)) or 0)
