"""What the demand service asks the catalog: items by id, SKU or CPV code, member cities, whether ids resolve.

The demand service never reads the catalog's tables: it keeps a replica of the catalog, fed by its change
feed, and asks the catalog over gRPC (the caller's own token, a deadline) only for what the replica does
not hold yet. A catalog that is down or too slow then makes the demand call fail with UNAVAILABLE, never
with a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool_common.grpc_client import call_as_caller
from civicpool_common.paging import MAX_LIMIT
from civicpool_common.references import CatalogResolver, Resolver
from google.protobuf.message import Message

Response = TypeVar("Response", bound=Message)


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


def _chunks(values: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(values))
    return [unique[start : start + MAX_LIMIT] for start in range(0, len(unique), MAX_LIMIT)]


def _sku(message: catalog_pb.Item) -> str:
    return message.sku


class GrpcItemDirectory(CatalogResolver):
    """Items and cities from the service's replica of the catalog; an item it does not hold yet (made a moment
    ago) is asked of the catalog."""

    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]:
        held = self._replica.all("items")
        found = {item_id: _item(held[item_id]) for item_id in dict.fromkeys(ids) if item_id in held}
        for chunk in _chunks([item_id for item_id in ids if item_id not in found]):
            reply = await self._call(self._stub.BatchGetItems, catalog_pb.BatchGetItemsRequest(ids=chunk))
            found.update((m.id, _item(m)) for m in reply.items)
        return found

    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]:
        held = self._replica.indexed_by("items", _sku)
        found = {sku: _item(held[sku]) for sku in dict.fromkeys(skus) if sku in held}
        for chunk in _chunks([sku for sku in skus if sku not in found]):
            reply = await self._call(self._stub.BatchGetItems, catalog_pb.BatchGetItemsRequest(skus=chunk))
            found.update((m.sku, _item(m)) for m in reply.items)
        return found

    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]:
        """Every item, active or not, whose CPV code is exactly `cpv_code` (in SKU order)."""
        return [_item(m) for m in self._replica.sorted_by("items", _sku) if m.cpv_code == cpv_code]

    async def active_skus(self, at_most: int) -> list[str]:
        """The SKUs of the catalog's active items, at most `at_most` of them (for suggestions)."""
        return [m.sku for m in self._replica.sorted_by("items", _sku) if m.active][:at_most]

    async def member_cities(self) -> list[str]:
        """The ids of the network's active member cities (a round that opens is announced to them)."""
        return sorted(city.id for city in self._replica.all("cities").values() if city.active)

    async def _call(self, method: Callable[..., Awaitable[Response]], request: Message) -> Response:
        return await call_as_caller("catalog", method, request, self._deadline)
