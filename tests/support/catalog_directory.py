"""The demand service's view of the catalog, answered by a real CatalogService in this process.

Service tests run the demand rules on real databases without gRPC; this adapter
asks a real catalog (with its own real database) the same questions the gRPC
client asks over the network. The gRPC path itself is covered by the stack tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from civicpool_catalog.models import Item
from civicpool_catalog.repository import ItemFilter, ItemRow
from civicpool_catalog.service import CITIES, CatalogService
from civicpool_common.references import Resolution
from civicpool_demand.clients import CatalogItem


def _item(item: Item | ItemRow) -> CatalogItem:
    return CatalogItem(item.id, item.sku, item.name, item.unit, item.cpv_code, item.reference_price_cents, item.active)


class InProcessResolver:
    """The catalog's ResolveIds, asked in this process."""

    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    async def resolve(self, cities: Sequence[str], vendors: Sequence[str], items: Sequence[str]) -> Resolution:
        return Resolution(*await self._catalog.resolve_ids(cities, vendors, items))


class InProcessDirectory(InProcessResolver):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]:
        return {item.id: _item(item) for item in await self._catalog.items_batch(list(ids), [])}

    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]:
        return {item.sku: _item(item) for item in await self._catalog.items_batch([], list(skus))}

    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]:
        page = await self._catalog.items_page(ItemFilter(cpv_prefix=cpv_code[:8]), 500, "")
        return [_item(item) for item in page.records if item.cpv_code == cpv_code]

    async def active_skus(self, at_most: int) -> list[str]:
        skus: list[str] = []
        cursor = ""
        while len(skus) < at_most:
            page = await self._catalog.items_page(ItemFilter(include_inactive=False), 500, cursor)
            skus += [item.sku for item in page.records]
            cursor = page.next_cursor
            if not cursor:
                break
        return skus[:at_most]

    async def member_cities(self) -> list[str]:
        cities: list[str] = []
        cursor = ""
        while True:
            page = await self._catalog.list_page(CITIES, 500, cursor, include_inactive=False)
            cities += [city.id for city in page.records]
            cursor = page.next_cursor
            if not cursor:
                return sorted(cities)
