"""The gateway's client of the catalog service: its writes and splits (reads come from the replica, catalog_reads).

A write's trailing metadata carries the catalog revision it took (Written)."""

from __future__ import annotations

import grpc
from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool.catalog.v1.catalog_pb2_grpc import CatalogServiceStub

from civicpool_gateway.catalog_reads import Written
from civicpool_gateway.catalog_schemas import (
    City,
    CityFields,
    CityPatch,
    CostKey,
    CostKeyFields,
    CostKeyPatch,
    Item,
    ItemFields,
    ItemPatch,
    Split,
    SplitRequest,
    Vendor,
    VendorFields,
    VendorPatch,
)
from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.serde import catalog as serde
from civicpool_gateway.serde.fields import update_mask
from civicpool_gateway.versioning import ExpectedVersion


class CatalogClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float) -> None:
        super().__init__("catalog", deadline_seconds)
        self._stub = CatalogServiceStub(channel)

    # -- items -----------------------------------------------------------------

    async def create_item(self, fields: ItemFields, token: str) -> Written[Item]:
        request = pb.CreateItemRequest(item=serde.item_fields_to_proto(fields))
        return Written.of(serde.item_from_proto, *await self._call_with_trailers(self._stub.CreateItem, request, token))

    async def update_item(self, item_id: str, patch: ItemPatch, expected: ExpectedVersion, token: str) -> Written[Item]:
        request = pb.UpdateItemRequest(
            item=serde.item_patch_to_proto(item_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return Written.of(
            serde.item_from_proto,
            *await self._call_with_trailers(self._stub.UpdateItem, request, token, expected=expected),
        )

    async def set_item_active(self, item_id: str, active: bool, expected: ExpectedVersion, token: str) -> Written[Item]:
        request = pb.SetActiveRequest(id=item_id, active=active, expected_version=expected.number)
        return Written.of(
            serde.item_from_proto,
            *await self._call_with_trailers(self._stub.SetItemActive, request, token, expected=expected),
        )

    # -- cities ----------------------------------------------------------------

    async def create_city(self, fields: CityFields, token: str) -> Written[City]:
        request = pb.CreateCityRequest(city=serde.city_fields_to_proto(fields))
        return Written.of(serde.city_from_proto, *await self._call_with_trailers(self._stub.CreateCity, request, token))

    async def update_city(self, city_id: str, patch: CityPatch, expected: ExpectedVersion, token: str) -> Written[City]:
        request = pb.UpdateCityRequest(
            city=serde.city_patch_to_proto(city_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return Written.of(
            serde.city_from_proto,
            *await self._call_with_trailers(self._stub.UpdateCity, request, token, expected=expected),
        )

    async def set_city_active(self, city_id: str, active: bool, expected: ExpectedVersion, token: str) -> Written[City]:
        request = pb.SetActiveRequest(id=city_id, active=active, expected_version=expected.number)
        return Written.of(
            serde.city_from_proto,
            *await self._call_with_trailers(self._stub.SetCityActive, request, token, expected=expected),
        )

    # -- vendors ---------------------------------------------------------------

    async def create_vendor(self, fields: VendorFields, token: str) -> Written[Vendor]:
        request = pb.CreateVendorRequest(vendor=serde.vendor_fields_to_proto(fields))
        return Written.of(
            serde.vendor_from_proto, *await self._call_with_trailers(self._stub.CreateVendor, request, token)
        )

    async def update_vendor(
        self, vendor_id: str, patch: VendorPatch, expected: ExpectedVersion, token: str
    ) -> Written[Vendor]:
        request = pb.UpdateVendorRequest(
            vendor=serde.vendor_patch_to_proto(vendor_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return Written.of(
            serde.vendor_from_proto,
            *await self._call_with_trailers(self._stub.UpdateVendor, request, token, expected=expected),
        )

    async def set_vendor_active(
        self, vendor_id: str, active: bool, expected: ExpectedVersion, token: str
    ) -> Written[Vendor]:
        request = pb.SetActiveRequest(id=vendor_id, active=active, expected_version=expected.number)
        return Written.of(
            serde.vendor_from_proto,
            *await self._call_with_trailers(self._stub.SetVendorActive, request, token, expected=expected),
        )

    # -- cost keys -------------------------------------------------------------

    async def create_cost_key(self, fields: CostKeyFields, token: str) -> Written[CostKey]:
        request = pb.CreateCostKeyRequest(cost_key=serde.cost_key_fields_to_proto(fields))
        return Written.of(
            serde.cost_key_from_proto, *await self._call_with_trailers(self._stub.CreateCostKey, request, token)
        )

    async def update_cost_key(
        self, cost_key_id: str, patch: CostKeyPatch, expected: ExpectedVersion, token: str
    ) -> Written[CostKey]:
        request = pb.UpdateCostKeyRequest(
            cost_key=serde.cost_key_patch_to_proto(cost_key_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return Written.of(
            serde.cost_key_from_proto,
            *await self._call_with_trailers(self._stub.UpdateCostKey, request, token, expected=expected),
        )

    async def set_cost_key_active(
        self, cost_key_id: str, active: bool, expected: ExpectedVersion, token: str
    ) -> Written[CostKey]:
        request = pb.SetActiveRequest(id=cost_key_id, active=active, expected_version=expected.number)
        return Written.of(
            serde.cost_key_from_proto,
            *await self._call_with_trailers(self._stub.SetCostKeyActive, request, token, expected=expected),
        )

    async def split_cost(self, cost_key_id: str, body: SplitRequest, token: str) -> Split:
        request = serde.split_request_to_proto(cost_key_id, body)
        return serde.split_from_proto(request, await self._call(self._stub.SplitCost, request, token))
