"""REST endpoints of the catalog: /items, /cities, /vendors, /cost-keys.

The four resources behave the same way (list, read, create, update with
If-Match, deactivate, activate), so one factory builds their routes from a
description of each. Only `network-admin` writes; every signed-in user reads.
The catalog service checks the role again.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from civicpool.catalog.v1 import catalog_pb2 as pb
from civicpool_common.auth import Role
from civicpool_common.vocabulary import HostingRegion, ItemKind, to_proto
from fastapi import APIRouter, Depends, Header, Query, Response, status
from google.protobuf.message import Message
from pydantic import BaseModel

from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.catalog_schemas import (
    CITY_SHAPE,
    COST_KEY_SHAPE,
    ITEM_SHAPE,
    VENDOR_SHAPE,
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
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.convert import MessageShape
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.versioning import call_write, expected_version, patch_request, versioned_out

router = APIRouter(tags=["catalog"])
AdminDep = Annotated[Caller, Depends(requires(Role.NETWORK_ADMIN))]
RecordId = ResourceId


@dataclass(frozen=True)
class CatalogResource:
    path: str  # "/items"
    name: str  # "Item": names the RPCs (CreateItem, ...) and messages (pb.Item)
    plural: str  # "Items": ListItems
    message_field: str  # "item": the field of CreateItemRequest holding the message
    list_field: str  # "items": the repeated field of ListItemsResponse
    shape: MessageShape
    fields_model: type[BaseModel]
    patch_model: type[BaseModel]
    out_model: type[BaseModel]
    list_params: type[ListParams]
    list_filters: Callable[[Any], dict[str, Any]]


def add_resource(spec: CatalogResource) -> None:
    Out = spec.out_model
    Fields = spec.fields_model
    Patch = spec.patch_model
    Params = spec.list_params
    message_type: type[Message] = getattr(pb, spec.name)
    noun = spec.name.lower() if spec.name != "CostKey" else "cost key"

    def out(message: Message, response: Response | None = None) -> Any:
        return versioned_out(Out, spec.shape, message, response)

    one, many = spec.message_field, spec.list_field  # operation ids: list_items, get_item, ...

    @router.get(spec.path, name=f"list_{many}", summary=f"List {spec.plural.lower()}", response_model=Page[Out])  # type: ignore[valid-type]
    async def list_records(
        caller: CallerDep,
        services: ClientsDep,
        params: Annotated[Params, Query()],  # type: ignore[valid-type]
    ) -> Any:
        query: ListParams = params
        request = getattr(pb, f"List{spec.plural}Request")(
            page=query.page(), include_inactive=query.include_inactive, **spec.list_filters(query)
        )
        reply = await services.call("catalog", getattr(services.catalog, f"List{spec.plural}"), request, caller.token)
        return {"data": [out(m) for m in getattr(reply, spec.list_field)], "next_cursor": reply.next_cursor or None}

    @router.get(f"{spec.path}/{{id}}", name=f"get_{one}", summary=f"Read one {noun}", response_model=Out)
    async def get_record(id: RecordId, caller: CallerDep, services: ClientsDep, response: Response) -> Any:
        request = getattr(pb, f"Get{spec.name}Request")(id=id)
        reply = await services.call("catalog", getattr(services.catalog, f"Get{spec.name}"), request, caller.token)
        return out(reply, response)

    @router.post(
        spec.path,
        name=f"create_{one}",
        summary=f"Create a {noun}",
        response_model=Out,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_record(body: Fields, caller: AdminDep, services: ClientsDep, response: Response) -> Any:  # type: ignore[valid-type]
        message = message_type(**spec.shape.to_proto_fields(body.model_dump()))  # type: ignore[attr-defined]
        request = getattr(pb, f"Create{spec.name}Request")(**{spec.message_field: message})
        reply = await services.call("catalog", getattr(services.catalog, f"Create{spec.name}"), request, caller.token)
        record = out(reply, response)
        response.headers["Location"] = f"/api/v1{spec.path}/{record.id}"
        return record

    @router.patch(
        f"{spec.path}/{{id}}",
        name=f"update_{one}",
        summary=f"Change a {noun}",
        description="Send only the fields to change, and the version you edited: the ETag as `If-Match` "
        "(a stale one answers 412) or `version` in the body (a stale one answers 409).",
        response_model=Out,
    )
    async def update_record(
        id: RecordId,
        body: Patch,  # type: ignore[valid-type]
        caller: AdminDep,
        services: ClientsDep,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        patch = patch_request(body, if_match)
        message = message_type(id=id, **spec.shape.to_proto_fields(patch.changes))
        request = getattr(pb, f"Update{spec.name}Request")(
            **{spec.message_field: message}, update_mask=patch.mask, expected_version=patch.version
        )
        reply = await call_write(services, "catalog", f"Update{spec.name}", request, caller,
                                 via_if_match=patch.via_if_match)  # fmt: skip
        return out(reply, response)

    def add_active_route(action: str, active: bool, summary: str) -> None:
        @router.post(
            f"{spec.path}/{{id}}/{action}",
            name=f"{action}_{one}",
            summary=f"{summary} a {noun}",
            description="Nothing is deleted: a deactivated record stays readable (and referable) but is "
            "hidden from lists unless `include_inactive=true`. `If-Match` is optional.",
            response_model=Out,
        )
        async def set_active(
            id: RecordId,
            caller: AdminDep,
            services: ClientsDep,
            response: Response,
            if_match: Annotated[str | None, Header()] = None,
        ) -> Any:
            version = expected_version(if_match, None)[0] if if_match else 0
            request = pb.SetActiveRequest(id=id, active=active, expected_version=version)
            reply = await call_write(
                services, "catalog", f"Set{spec.name}Active", request, caller, via_if_match=if_match is not None
            )
            return out(reply, response)

    add_active_route("deactivate", active=False, summary="Deactivate")
    add_active_route("activate", active=True, summary="Reactivate")


def _item_filters(params: Any) -> dict[str, Any]:
    return {
        "kind": to_proto(params.kind, pb.ItemKind, ItemKind),
        "cpv_prefix": params.cpv_prefix or "",
        "hosting_region": to_proto(params.hosting_region, pb.HostingRegion, HostingRegion),
        "name_contains": params.q or "",
    }


def _no_filters(_params: Any) -> dict[str, Any]:
    return {}


for resource in (
    CatalogResource(
        "/items",
        "Item",
        "Items",
        "item",
        "items",
        ITEM_SHAPE,
        ItemFields,
        ItemPatch,
        Item,
        ItemListParams,
        _item_filters,
    ),
    CatalogResource(
        "/cities", "City", "Cities", "city", "cities", CITY_SHAPE, CityFields, CityPatch, City, ListParams, _no_filters
    ),
    CatalogResource(
        "/vendors",
        "Vendor",
        "Vendors",
        "vendor",
        "vendors",
        VENDOR_SHAPE,
        VendorFields,
        VendorPatch,
        Vendor,
        ListParams,
        _no_filters,
    ),
    CatalogResource(
        "/cost-keys",
        "CostKey",
        "CostKeys",
        "cost_key",
        "cost_keys",
        COST_KEY_SHAPE,
        CostKeyFields,
        CostKeyPatch,
        CostKey,
        ListParams,
        _no_filters,
    ),
):
    add_resource(resource)


@router.post(
    "/cost-keys/{id}/split",
    summary="Split an amount by a cost key",
    description="Computes each city's part of an amount in cents; the parts add up to the amount exactly "
    "(largest remainder, ties to the city id that sorts first). Changes nothing.",
    response_model=Split,
)
async def split_cost(id: RecordId, body: SplitRequest, caller: CallerDep, services: ClientsDep) -> Any:
    request = pb.SplitCostRequest(
        cost_key_id=id, amount_cents=body.amount_cents, usage=body.usage, city_ids=body.city_ids
    )
    reply = await services.call("catalog", services.catalog.SplitCost, request, caller.token)
    return {
        "cost_key_id": id,
        "amount_cents": body.amount_cents,
        "parts": [{"city_id": p.city_id, "amount_cents": p.amount_cents} for p in reply.parts],
    }
