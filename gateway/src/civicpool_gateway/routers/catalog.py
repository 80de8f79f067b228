"""REST endpoints of the catalog: /items, /cities, /vendors, /cost-keys.

The four resources behave the same way (list, read, create, update with
If-Match, deactivate, activate), so one factory builds their routes from a
description of each. Only `network-admin` writes; every signed-in user reads
(vendors no cost keys). The catalog service checks the role again. Reads are
answered from the gateway's replica of the catalog (catalog_reads.py); a write
answers once the replica holds it.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel

from civicpool_gateway.auth import AdminDep, CallerDep
from civicpool_gateway.catalog_reads import CatalogDep, Written
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
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.clients.catalog import CatalogClient
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.versioning import ExpectedVersion, expected_version, patch_version, with_etag

router = APIRouter(tags=["catalog"])
RecordId = ResourceId

Out = TypeVar("Out", bound=BaseModel)
Fields = TypeVar("Fields", bound=BaseModel)
Changes = TypeVar("Changes", bound=BaseModel)
Params = TypeVar("Params", bound=ListParams)


@dataclass(frozen=True)
class CatalogResource(Generic[Out, Fields, Changes, Params]):
    """One catalog resource: its path, its REST models, and the catalog client's methods for it."""

    path: str  # "/items"
    kind: str  # "items": the replica's kind (catalog_reads)
    one: str  # "item": operation ids get_item, create_item, ...
    many: str  # "items": list_items
    noun: str  # "item", "cost key": in summaries
    list_summary: str
    out_model: type[Out]
    fields_model: type[Fields]
    patch_model: type[Changes]
    list_params: type[Params]
    create: Callable[[CatalogClient, Fields, str], Awaitable[Written[Out]]]
    update: Callable[[CatalogClient, str, Changes, ExpectedVersion, str], Awaitable[Written[Out]]]
    set_active: Callable[[CatalogClient, str, bool, ExpectedVersion, str], Awaitable[Written[Out]]]


# A read may name the revision a write answered with (through another gateway): it waits until this one has it.
RevisionHeader = Annotated[
    int | None,
    Header(
        alias="Catalog-Revision",
        ge=1,
        description="The `Catalog-Revision` a write answered with: the read waits (at most a few seconds) until "
        "this gateway's copy of the catalog holds it",
    ),
]


def add_resource(spec: CatalogResource[Any, Any, Any, Any]) -> None:
    Out = spec.out_model
    Fields = spec.fields_model
    Patch = spec.patch_model
    Params = spec.list_params
    noun, one, many = spec.noun, spec.one, spec.many

    @router.get(spec.path, name=f"list_{many}", summary=spec.list_summary, response_model=Page[Out])  # type: ignore[valid-type]
    async def list_records(
        caller: CallerDep,
        catalog: CatalogDep,
        params: Annotated[Params, Query()],  # type: ignore[valid-type]
        revision: RevisionHeader = None,
    ) -> Any:
        await catalog.at_least(revision)
        return catalog.page(spec.kind, params, caller)

    @router.get(f"{spec.path}/{{id}}", name=f"get_{one}", summary=f"Read one {noun}", response_model=Out)
    async def get_record(
        id: RecordId, caller: CallerDep, catalog: CatalogDep, response: Response, revision: RevisionHeader = None
    ) -> Any:
        await catalog.at_least(revision)
        return with_etag(catalog.one(spec.kind, id, caller), response)

    @router.post(
        spec.path,
        name=f"create_{one}",
        summary=f"Create a {noun}",
        response_model=Out,
        status_code=status.HTTP_201_CREATED,
    )
    async def create_record(
        body: Fields,  # type: ignore[valid-type]
        caller: AdminDep,
        services: ClientsDep,
        catalog: CatalogDep,
        response: Response,
    ) -> Any:
        written = await spec.create(services.catalog, body, caller.token)
        record = with_etag(await catalog.settle(written, response), response)
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
        catalog: CatalogDep,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> Any:
        expected = patch_version(body, if_match)
        written = await spec.update(services.catalog, id, body, expected, caller.token)
        return with_etag(await catalog.settle(written, response), response)

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
            catalog: CatalogDep,
            response: Response,
            if_match: Annotated[str | None, Header()] = None,
        ) -> Any:
            version = expected_version(if_match, None).number if if_match else 0
            expected = ExpectedVersion(version, via_if_match=if_match is not None)
            written = await spec.set_active(services.catalog, id, active, expected, caller.token)
            return with_etag(await catalog.settle(written, response), response)

    add_active_route("deactivate", active=False, summary="Deactivate")
    add_active_route("activate", active=True, summary="Reactivate")


add_resource(
    CatalogResource(
        "/items", "items", "item", "items", "item", "List items", Item, ItemFields, ItemPatch, ItemListParams,
        CatalogClient.create_item, CatalogClient.update_item,
        CatalogClient.set_item_active,
    )
)  # fmt: skip
add_resource(
    CatalogResource(
        "/cities", "cities", "city", "cities", "city", "List cities", City, CityFields, CityPatch, ListParams,
        CatalogClient.create_city, CatalogClient.update_city,
        CatalogClient.set_city_active,
    )
)  # fmt: skip
add_resource(
    CatalogResource(
        "/vendors", "vendors", "vendor", "vendors", "vendor", "List vendors", Vendor, VendorFields, VendorPatch,
        ListParams, CatalogClient.create_vendor,
        CatalogClient.update_vendor, CatalogClient.set_vendor_active,
    )
)  # fmt: skip
add_resource(
    CatalogResource(
        # "costkeys": the summary as the API has always written it (the OpenAPI document stays as it is)
        "/cost-keys", "cost_keys", "cost_key", "cost_keys", "cost key", "List costkeys", CostKey, CostKeyFields,
        CostKeyPatch, ListParams, CatalogClient.create_cost_key,
        CatalogClient.update_cost_key, CatalogClient.set_cost_key_active,
    )
)  # fmt: skip


@router.post(
    "/cost-keys/{id}/split",
    summary="Split an amount by a cost key",
    description="Computes each city's part of an amount in cents; the parts add up to the amount exactly "
    "(largest remainder, ties to the city id that sorts first). Changes nothing.",
    response_model=Split,
)
async def split_cost(id: RecordId, body: SplitRequest, caller: CallerDep, services: ClientsDep) -> Split:
    return await services.catalog.split_cost(id, body, caller.token)
