"""Demand rounds: create, read, open/close/cancel, and the network's aggregated demand.

The demand service decides who may see and do what (see its service module);
the gateway checks roles coarsely and maps messages.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool_common.vocabulary import LineStatus
from fastapi import APIRouter, Header, Query, Response, status
from pydantic_core import to_json

from civicpool_gateway import downloads
from civicpool_gateway.auth import Caller, CallerDep, LeadDep
from civicpool_gateway.catalog_reads import CatalogDep, CatalogReads
from civicpool_gateway.catalog_schemas import Item
from civicpool_gateway.clients import ClientsDep, ServiceClients
from civicpool_gateway.demand_schemas import (
    Aggregation,
    CancelBody,
    Line,
    LineListParams,
    Round,
    RoundFields,
    RoundListParams,
    RoundPatch,
)
from civicpool_gateway.schemas import FormatQuery, LanguageQuery, Page, ResourceId
from civicpool_gateway.versioning import optional_version, patch_version, with_etag

router = APIRouter(tags=["demand"])
RoundId = ResourceId
IfMatch = Annotated[str | None, Header(description="The round's ETag; optional, checked when sent")]


@router.get("/rounds", summary="List demand rounds", response_model=Page[Round])
async def list_rounds(
    caller: CallerDep, services: ClientsDep, params: Annotated[RoundListParams, Query()]
) -> Page[Round]:
    return await services.demand.list_rounds(params, caller.token)


@router.post(
    "/rounds",
    summary="Create a demand round (draft)",
    description="The round belongs to your city. Scope: the items listed and those whose CPV code starts "
    "with one of the prefixes; neither: every catalog item.",
    response_model=Round,
    status_code=status.HTTP_201_CREATED,
)
async def create_round(body: RoundFields, caller: LeadDep, services: ClientsDep, response: Response) -> Round:
    round_ = await services.demand.create_round(body, caller.token)
    response.headers["Location"] = f"/api/v1/rounds/{round_.id}"
    return with_etag(round_, response)


@router.patch(
    "/rounds/{id}",
    summary="Change a demand round",
    description="A draft changes freely; an open round only its title, description and a later `closes_at` "
    "(the cities are at work). Send only the fields to change, and the version you edited: the ETag as "
    "`If-Match` (a stale one answers 412) or `version` in the body (409).",
    response_model=Round,
)
async def update_round(
    id: RoundId,
    body: RoundPatch,
    caller: LeadDep,
    services: ClientsDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Round:
    expected = patch_version(body, if_match)
    return with_etag(await services.demand.update_round(id, body, expected, caller.token), response)


@router.get("/rounds/{id}", summary="Read a demand round", response_model=Round)
async def get_round(id: RoundId, caller: CallerDep, services: ClientsDep, response: Response) -> Round:
    return with_etag(await services.demand.get_round(id, caller.token), response)


TRANSITION_NOTE = "Only a procurement lead of the round's city. A transition the status forbids answers 409 naming "
"the current status (`current_status`)."


@router.post("/rounds/{id}/open", summary="Open a draft round for demand", description=TRANSITION_NOTE,
             response_model=Round)  # fmt: skip
async def open_round(
    id: RoundId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Round:
    expected = optional_version(if_match)
    return with_etag(await services.demand.open_round(id, expected, caller.token), response)


@router.post(
    "/rounds/{id}/close",
    summary="Close an open round now",
    description=TRANSITION_NOTE + " An open round also closes by itself at `closes_at`.",
    response_model=Round,
)
async def close_round(
    id: RoundId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Round:
    expected = optional_version(if_match)
    return with_etag(await services.demand.close_round(id, expected, caller.token), response)


@router.post("/rounds/{id}/cancel", summary="Cancel a round, with a reason", description=TRANSITION_NOTE,
             response_model=Round)  # fmt: skip
async def cancel_round(
    id: RoundId, body: CancelBody, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Round:
    expected = optional_version(if_match)
    return with_etag(await services.demand.cancel_round(id, body.reason, expected, caller.token), response)


AGGREGATE_COLUMNS = ("sku", "name", "unit", "reference_price_cents", "total_quantity", "city_count",
                     "line_count", "estimated_cents")  # fmt: skip


@router.get(
    "/rounds/{id}/aggregate",
    summary="The round's demand per item, with the per-city breakdown",
    description="Per item: total quantity, number of cities, estimated value (quantity x the catalog's "
    "reference price, cents). Leads and admins see every city's breakdown; city IT sees the network "
    "totals and its own city; finance its own city. `format=csv|xlsx` downloads it (XLSX adds the submitted "
    "lines, which add up to the totals).",
    response_model=Aggregation,
    responses=downloads.DOWNLOAD_RESPONSES,
)
async def aggregate_round(
    id: RoundId,
    caller: CallerDep,
    services: ClientsDep,
    catalog: CatalogDep,
    format: FormatQuery = "json",
    language: LanguageQuery = None,
) -> Any:
    aggregation = await services.demand.aggregate_round(id, caller.token)
    if format == "json":
        # Plain dicts, sent as they are: validating thousands of nested entries into the response model costs
        # more than the whole GROUP BY (see bench/aggregation.py); pydantic's JSON writer (Rust) serializes the
        # dicts without it. demand_schemas.AggregationJson is the Aggregation schema's JSON.
        return Response(to_json(aggregation), media_type="application/json")
    cities = sorted({c["city_id"] for item in aggregation["items"] for c in item["cities"]})
    rows = [
        {**item, **dict.fromkeys((f"qty_{city}" for city in cities), 0),
         **{f"qty_{c['city_id']}": c["quantity"] for c in item["cities"]}}
        for item in aggregation["items"]
    ]  # fmt: skip
    table = downloads.table(rows, [*AGGREGATE_COLUMNS, *(f"qty_{city}" for city in cities)])
    written_in = downloads.file_language(language)
    if format == "csv":
        return downloads.download(table, "csv", f"round-{id}-aggregate", "Summen", written_in)
    # The lines that make the totals: withdrawn ones are history and count nowhere, so they are not listed.
    lines = await all_lines(services, catalog, caller, id, LineListParams(status=LineStatus.SUBMITTED))
    sheets = {"Summen": table, "Positionen": line_table(lines)}
    return downloads.attachment(downloads.to_xlsx(sheets, written_in), "xlsx", f"round-{id}-aggregate")


LINE_EXPORT_COLUMNS = ("id", "city_id", "sku", "item_name", "quantity", "needed_by", "justification", "priority",
                       "status", "version", "updated_by", "updated_at")  # fmt: skip
LINE_LABELS = {"priority": "priority", "status": "line"}


def line_table(rows: list[dict[str, Any]]) -> downloads.Table:
    """Lines (rows of line_export_row) as a download's table: priority and status as their labels."""
    return downloads.table(rows, LINE_EXPORT_COLUMNS, LINE_LABELS)


async def all_lines(
    services: ServiceClients, catalog: CatalogReads, caller: Caller, round_id: str, params: LineListParams
) -> list[dict[str, Any]]:
    """Every line of the round the query matches (every page from its cursor on), as rows of a download with the
    item's SKU and name."""
    lines: list[Line] = []
    query = params.model_copy(update={"limit": 500})
    while True:
        page = await services.demand.list_lines(round_id, query, caller.token)
        lines += page.data
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    items = catalog.items({line.item_id for line in lines})
    return [line_export_row(line, items.get(line.item_id)) for line in lines]


def line_export_row(line: Line, item: Item | None) -> dict[str, Any]:
    """A line as a row of a download (LINE_EXPORT_COLUMNS): the item's SKU and name; dates, times and
    enumeration values as they are, downloads.py writes them for the reader."""
    return {
        "id": line.id,
        "city_id": line.city_id,
        "sku": item.sku if item else "",
        "item_name": item.name if item else "",
        "quantity": line.quantity,
        "needed_by": line.needed_by,
        "justification": line.justification,
        "priority": str(line.priority),
        "status": str(line.status),
        "version": line.version,
        "updated_by": line.updated_by,
        "updated_at": line.updated_at,
    }
