"""What the demand service asks the catalog: items by id, SKU or CPV code, member cities, whether ids resolve.

The demand service never reads the catalog's tables: it keeps a replica of the catalog, fed by its change
feed, and asks the catalog over gRPC (the caller's own token, a deadline) only for what the replica does
not hold yet. A catalog that is down or too slow then makes the demand call fail with UNAVAILABLE, never
with a wrong answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool_common.references import CatalogResolver, Resolver


@dataclass(frozen=True)
class CatalogItem:
    id: str
    sku: str
    name: str
    unit: str
    cpv_code: str
    reference_price_cents: int
    active: bool


class ItemDirectory(Resolver, Protocol):
    """Items by id, SKU or CPV code; the active member cities; whether the cities a write names are active members
    (Resolver)."""

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]: ...
    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]: ...
    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]: ...
    async def active_skus(self, at_most: int) -> list[str]: ...
    async def member_cities(self) -> list[str]: ...


def _item(message: catalog_pb.Item) -> CatalogItem:
    return CatalogItem(
        id=message.id,
        sku=message.sku,
        name=message.name,
        unit=message.unit,
        cpv_code=message.cpv_code,
        reference_price_cents=message.reference_price_cents,
        active=message.active,
    )


def _sku(message: catalog_pb.Item) -> str:
    return message.sku


class GrpcItemDirectory(CatalogResolver):
    """Items and cities from the service's replica of the catalog; an item it does not hold yet (made a moment
    ago) is asked of the catalog."""

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]:
        return {item_id: _item(item) for item_id, item in (await self.items_by_id(ids)).items()}

    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]:
        return {sku: _item(item) for sku, item in (await self.items_by_sku(skus)).items()}

    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]:
        """Every item, active or not, whose CPV code is exactly `cpv_code` (in SKU order)."""
        return [_item(m) for m in self._replica.sorted_by("items", _sku) if m.cpv_code == cpv_code]

    async def active_skus(self, at_most: int) -> list[str]:
        """The SKUs of the catalog's active items, at most `at_most` of them (for suggestions)."""
        return [m.sku for m in self._replica.sorted_by("items", _sku) if m.active][:at_most]

    async def member_cities(self) -> list[str]:
        """The ids of the network's active member cities (a round that opens is announced to them)."""
        return sorted(city.id for city in self._replica.all("cities").values() if city.active)
