"""The gateway's client of the catalog service: items, cities, vendors, cost keys, splits."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub

from civicpool_gateway.catalog_schemas import (
    City,
    CityFields,
    CityPatch,
    CostKey,
    CostKeyFields,
    CostKeyPatch,
    Item,
    ItemFields,
    ItemListParams,
    ItemPatch,
    Split,
    SplitRequest,
    Vendor,
    VendorFields,
    VendorPatch,
)
from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.schemas import ListParams, Page
from civicpool_gateway.serde import catalog as serde
from civicpool_gateway.serde.fields import update_mask
from civicpool_gateway.versioning import ExpectedVersion


class CatalogClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float) -> None:
        super().__init__("catalog", deadline_seconds)
        self._stub = CatalogServiceStub(channel)

    # -- items -----------------------------------------------------------------

    async def list_items(self, params: ItemListParams, token: str) -> Page[Item]:
        reply = await self._call(self._stub.ListItems, serde.items_query_to_proto(params), token)
        return serde.items_page_from_proto(reply)

    async def get_item(self, item_id: str, token: str) -> Item:
        return serde.item_from_proto(await self._call(self._stub.GetItem, pb.GetItemRequest(id=item_id), token))

    async def batch_get_items(self, item_ids: Sequence[str], token: str) -> list[Item]:
        """The items of these ids (at most 500); unknown ids are left out."""
        reply = await self._call(self._stub.BatchGetItems, pb.BatchGetItemsRequest(ids=item_ids), token)
        return [serde.item_from_proto(item) for item in reply.items]

    async def create_item(self, fields: ItemFields, token: str) -> Item:
        request = pb.CreateItemRequest(item=serde.item_fields_to_proto(fields))
        return serde.item_from_proto(await self._call(self._stub.CreateItem, request, token))

    async def update_item(self, item_id: str, patch: ItemPatch, expected: ExpectedVersion, token: str) -> Item:
        request = pb.UpdateItemRequest(
            item=serde.item_patch_to_proto(item_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.item_from_proto(await self._call(self._stub.UpdateItem, request, token, expected=expected))

    async def set_item_active(self, item_id: str, active: bool, expected: ExpectedVersion, token: str) -> Item:
        request = pb.SetActiveRequest(id=item_id, active=active, expected_version=expected.number)
        return serde.item_from_proto(await self._call(self._stub.SetItemActive, request, token, expected=expected))

    # -- cities ----------------------------------------------------------------

    async def list_cities(self, params: ListParams, token: str) -> Page[City]:
        reply = await self._call(self._stub.ListCities, serde.cities_query_to_proto(params), token)
        return serde.cities_page_from_proto(reply)

    async def get_city(self, city_id: str, token: str) -> City:
        return serde.city_from_proto(await self._call(self._stub.GetCity, pb.GetCityRequest(id=city_id), token))

    async def create_city(self, fields: CityFields, token: str) -> City:
        request = pb.CreateCityRequest(city=serde.city_fields_to_proto(fields))
        return serde.city_from_proto(await self._call(self._stub.CreateCity, request, token))

    async def update_city(self, city_id: str, patch: CityPatch, expected: ExpectedVersion, token: str) -> City:
        request = pb.UpdateCityRequest(
            city=serde.city_patch_to_proto(city_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.city_from_proto(await self._call(self._stub.UpdateCity, request, token, expected=expected))

    async def set_city_active(self, city_id: str, active: bool, expected: ExpectedVersion, token: str) -> City:
        request = pb.SetActiveRequest(id=city_id, active=active, expected_version=expected.number)
        return serde.city_from_proto(await self._call(self._stub.SetCityActive, request, token, expected=expected))

    # -- vendors ---------------------------------------------------------------

    async def list_vendors(self, params: ListParams, token: str) -> Page[Vendor]:
        reply = await self._call(self._stub.ListVendors, serde.vendors_query_to_proto(params), token)
        return serde.vendors_page_from_proto(reply)

    async def get_vendor(self, vendor_id: str, token: str) -> Vendor:
        reply = await self._call(self._stub.GetVendor, pb.GetVendorRequest(id=vendor_id), token)
        return serde.vendor_from_proto(reply)

    async def create_vendor(self, fields: VendorFields, token: str) -> Vendor:
        request = pb.CreateVendorRequest(vendor=serde.vendor_fields_to_proto(fields))
        return serde.vendor_from_proto(await self._call(self._stub.CreateVendor, request, token))

    async def update_vendor(self, vendor_id: str, patch: VendorPatch, expected: ExpectedVersion, token: str) -> Vendor:
        request = pb.UpdateVendorRequest(
            vendor=serde.vendor_patch_to_proto(vendor_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.vendor_from_proto(await self._call(self._stub.UpdateVendor, request, token, expected=expected))

    async def set_vendor_active(self, vendor_id: str, active: bool, expected: ExpectedVersion, token: str) -> Vendor:
        request = pb.SetActiveRequest(id=vendor_id, active=active, expected_version=expected.number)
        reply = await self._call(self._stub.SetVendorActive, request, token, expected=expected)
        return serde.vendor_from_proto(reply)

    # -- cost keys -------------------------------------------------------------

    async def list_cost_keys(self, params: ListParams, token: str) -> Page[CostKey]:
        reply = await self._call(self._stub.ListCostKeys, serde.cost_keys_query_to_proto(params), token)
        return serde.cost_keys_page_from_proto(reply)

    async def get_cost_key(self, cost_key_id: str, token: str) -> CostKey:
        reply = await self._call(self._stub.GetCostKey, pb.GetCostKeyRequest(id=cost_key_id), token)
        return serde.cost_key_from_proto(reply)

    async def create_cost_key(self, fields: CostKeyFields, token: str) -> CostKey:
        request = pb.CreateCostKeyRequest(cost_key=serde.cost_key_fields_to_proto(fields))
        return serde.cost_key_from_proto(await self._call(self._stub.CreateCostKey, request, token))

    async def update_cost_key(
        self, cost_key_id: str, patch: CostKeyPatch, expected: ExpectedVersion, token: str
    ) -> CostKey:
        request = pb.UpdateCostKeyRequest(
            cost_key=serde.cost_key_patch_to_proto(cost_key_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        reply = await self._call(self._stub.UpdateCostKey, request, token, expected=expected)
        return serde.cost_key_from_proto(reply)

    async def set_cost_key_active(
        self, cost_key_id: str, active: bool, expected: ExpectedVersion, token: str
    ) -> CostKey:
        request = pb.SetActiveRequest(id=cost_key_id, active=active, expected_version=expected.number)
        reply = await self._call(self._stub.SetCostKeyActive, request, token, expected=expected)
        return serde.cost_key_from_proto(reply)

    async def split_cost(self, cost_key_id: str, body: SplitRequest, token: str) -> Split:
        request = serde.split_request_to_proto(cost_key_id, body)
        return serde.split_from_proto(request, await self._call(self._stub.SplitCost, request, token))
