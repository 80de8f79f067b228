"""What the demand service asks the catalog: items by id, SKU or CPV code, member cities, whether ids resolve.

The demand service never reads the catalog's tables; it calls the catalog over
gRPC with the caller's own token and a deadline. A catalog that is down or too
slow makes the demand call fail with UNAVAILABLE, never with a wrong answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.common.v1.paging_pb2 import PageRequest
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


class GrpcItemDirectory(CatalogResolver):
    async def by_ids(self, ids: Sequence[str]) -> dict[str, CatalogItem]:
        found: dict[str, CatalogItem] = {}
        for chunk in _chunks(ids):
            reply = await self._call(self._stub.BatchGetItems, catalog_pb.BatchGetItemsRequest(ids=chunk))
            found.update((m.id, _item(m)) for m in reply.items)
        return found

    async def by_skus(self, skus: Sequence[str]) -> dict[str, CatalogItem]:
        found: dict[str, CatalogItem] = {}
        for chunk in _chunks(skus):
            reply = await self._call(self._stub.BatchGetItems, catalog_pb.BatchGetItemsRequest(skus=chunk))
            found.update((m.sku, _item(m)) for m in reply.items)
        return found

    async def by_cpv_code(self, cpv_code: str) -> list[CatalogItem]:
        """Every item, active or not, whose CPV code is exactly `cpv_code`."""
        items: list[CatalogItem] = []
        cursor = ""
        while True:
            request = catalog_pb.ListItemsRequest(
                page=PageRequest(limit=MAX_LIMIT, cursor=cursor),
                cpv_prefix=cpv_code.replace("-", "")[:8],
                include_inactive=True,
            )
            reply = await self._call(self._stub.ListItems, request)
            items += [_item(m) for m in reply.items if m.cpv_code == cpv_code]
            cursor = reply.next_cursor
            if not cursor:
                return items

    async def active_skus(self, at_most: int) -> list[str]:
        """The SKUs of the catalog's active items, at most `at_most` of them (for suggestions)."""
        skus: list[str] = []
        cursor = ""
        while len(skus) < at_most:
            request = catalog_pb.ListItemsRequest(page=PageRequest(limit=MAX_LIMIT, cursor=cursor))
            reply = await self._call(self._stub.ListItems, request)
            skus += [m.sku for m in reply.items]
            cursor = reply.next_cursor
            if not cursor:
                break
        return skus[:at_most]

    async def member_cities(self) -> list[str]:
        """The ids of the network's active member cities (a round that opens is announced to them)."""
        cities: list[str] = []
        cursor = ""
        while True:
            request = catalog_pb.ListCitiesRequest(page=PageRequest(limit=MAX_LIMIT, cursor=cursor))
            reply = await self._call(self._stub.ListCities, request)
            cities += [m.id for m in reply.cities if m.active]
            cursor = reply.next_cursor
            if not cursor:
                return sorted(cities)

    async def _call(self, method: Callable[..., Awaitable[Response]], request: Message) -> Response:
        return await call_as_caller("catalog", method, request, self._deadline)
