"""Demand rounds: create, read, open/close/cancel, and the network's aggregated demand.

The demand service decides who may see and do what (see its service module);
the gateway checks roles coarsely and maps messages.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool_common.auth import Role
from civicpool_common.timestamps import to_timestamp
from civicpool_common.vocabulary import RoundStatus, to_proto
from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic_core import to_json

from civicpool_gateway import spreadsheets
from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep, ServiceClients
from civicpool_gateway.demand_schemas import (
    LINE_SHAPE,
    ROUND_SHAPE,
    Aggregation,
    CancelBody,
    Round,
    RoundFields,
    RoundListParams,
    RoundPatch,
)
from civicpool_gateway.schemas import FormatQuery, Page, ResourceId
from civicpool_gateway.versioning import call_write, optional_version, patch_request, versioned_out

router = APIRouter(tags=["demand"])
LeadDep = Annotated[Caller, Depends(requires(Role.PROCUREMENT_LEAD))]
RoundId = ResourceId
IfMatch = Annotated[str | None, Header(description="The round's ETag; optional, checked when sent")]


def round_out(message: pb.Round, response: Response | None = None) -> Round:
    return versioned_out(Round, ROUND_SHAPE, message, response)


@router.get("/rounds", summary="List demand rounds", response_model=Page[Round])
async def list_rounds(caller: CallerDep, services: ClientsDep, params: Annotated[RoundListParams, Query()]) -> Any:
    request = pb.ListRoundsRequest(page=params.page(), status=to_proto(params.status, pb.RoundStatus, RoundStatus))
    reply = await services.call("demand", services.demand.ListRounds, request, caller.token)
    return {"data": [round_out(r) for r in reply.rounds], "next_cursor": reply.next_cursor or None}


@router.post(
    "/rounds",
    summary="Create a demand round (draft)",
    description="The round belongs to your city. Scope: the items listed and those whose CPV code starts "
    "with one of the prefixes; neither: every catalog item.",
    response_model=Round,
    status_code=status.HTTP_201_CREATED,
)
async def create_round(body: RoundFields, caller: LeadDep, services: ClientsDep, response: Response) -> Any:
    message = pb.Round(
        title=body.title,
        description=body.description,
        opens_at=to_timestamp(body.opens_at),
        closes_at=to_timestamp(body.closes_at),
        scope_item_ids=body.scope_item_ids,
        scope_cpv_prefixes=body.scope_cpv_prefixes,
    )
    reply = await services.call(
        "demand", services.demand.CreateRound, pb.CreateRoundRequest(round=message), caller.token
    )
    response.headers["Location"] = f"/api/v1/rounds/{reply.id}"
    return round_out(reply, response)


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
) -> Any:
    patch = patch_request(body, if_match)
    message = pb.Round(id=id, **ROUND_SHAPE.to_proto_fields(patch.changes))
    request = pb.UpdateRoundRequest(round=message, update_mask=patch.mask, expected_version=patch.version)
    reply = await call_write(services, "demand", "UpdateRound", request, caller, via_if_match=patch.via_if_match)
    assert isinstance(reply, pb.Round)
    return round_out(reply, response)


@router.get("/rounds/{id}", summary="Read a demand round", response_model=Round)
async def get_round(id: RoundId, caller: CallerDep, services: ClientsDep, response: Response) -> Any:
    reply = await services.call("demand", services.demand.GetRound, pb.GetRoundRequest(id=id), caller.token)
    return round_out(reply, response)


async def _transition(
    services: ServiceClients, rpc: str, request: pb.RoundTransitionRequest, caller: Caller, response: Response, *,
    via_if_match: bool,
) -> Round:  # fmt: skip
    reply = await call_write(services, "demand", rpc, request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Round)
    return round_out(reply, response)


TRANSITION_NOTE = "Only a procurement lead of the round's city. A transition the status forbids answers 409 naming "
"the current status (`current_status`)."


@router.post("/rounds/{id}/open", summary="Open a draft round for demand", description=TRANSITION_NOTE,
             response_model=Round)  # fmt: skip
async def open_round(
    id: RoundId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Any:
    version, via_if_match = optional_version(if_match)
    request = pb.RoundTransitionRequest(id=id, expected_version=version)
    return await _transition(services, "OpenRound", request, caller, response, via_if_match=via_if_match)


@router.post(
    "/rounds/{id}/close",
    summary="Close an open round now",
    description=TRANSITION_NOTE + " An open round also closes by itself at `closes_at`.",
    response_model=Round,
)
async def close_round(
    id: RoundId, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Any:
    version, via_if_match = optional_version(if_match)
    request = pb.RoundTransitionRequest(id=id, expected_version=version)
    return await _transition(services, "CloseRound", request, caller, response, via_if_match=via_if_match)


@router.post("/rounds/{id}/cancel", summary="Cancel a round, with a reason", description=TRANSITION_NOTE,
             response_model=Round)  # fmt: skip
async def cancel_round(
    id: RoundId, body: CancelBody, caller: LeadDep, services: ClientsDep, response: Response, if_match: IfMatch = None
) -> Any:
    version, via_if_match = optional_version(if_match)
    request = pb.RoundTransitionRequest(id=id, expected_version=version, reason=body.reason)
    return await _transition(services, "CancelRound", request, caller, response, via_if_match=via_if_match)


def aggregation_json(reply: pb.Aggregation) -> dict[str, Any]:
    """The Aggregation schema's JSON, straight from the message."""
    return {
        "round_id": reply.round_id,
        "items": [
            {
                "item_id": i.item_id, "sku": i.sku, "name": i.name, "unit": i.unit,
                "reference_price_cents": i.reference_price_cents, "total_quantity": i.total_quantity,
                "city_count": i.city_count, "line_count": i.line_count, "estimated_cents": i.estimated_cents,
                "cities": [
                    {"city_id": city, "quantity": quantity, "line_count": lines, "estimated_cents": cents}
                    for city, quantity, lines, cents in zip(
                        i.city_ids, i.city_quantities, i.city_line_counts, i.city_estimated_cents, strict=True
                    )
                ],
            }
            for i in reply.items
        ],
        "total_quantity": reply.total_quantity,
        "total_estimated_cents": reply.total_estimated_cents,
        "city_count": reply.city_count,
        "view": reply.view,
        "view_city_id": reply.view_city_id or None,
    }  # fmt: skip


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
    responses=spreadsheets.DOWNLOAD_RESPONSES,
)
async def aggregate_round(
    id: RoundId,
    caller: CallerDep,
    services: ClientsDep,
    format: FormatQuery = "json",
) -> Any:
    reply = await services.call(
        "demand", services.demand.AggregateRound, pb.AggregateRoundRequest(round_id=id), caller.token
    )
    aggregation = aggregation_json(reply)
    if format == "json":
        # Built field by field and sent as is: generic conversion and response-model validation of
        # thousands of nested entries cost more than the whole GROUP BY (see bench/aggregation.py); pydantic's
        # JSON writer (Rust) serializes the plain dicts without a second validation.
        return Response(to_json(aggregation), media_type="application/json")
    cities = sorted({c["city_id"] for item in aggregation["items"] for c in item["cities"]})
    rows = [
        {**{k: item[k] for k in AGGREGATE_COLUMNS}, **dict.fromkeys((f"qty_{city}" for city in cities), 0),
         **{f"qty_{c['city_id']}": c["quantity"] for c in item["cities"]}}
        for item in aggregation["items"]
    ]  # fmt: skip
    table = spreadsheets.frame(rows, [*AGGREGATE_COLUMNS, *(f"qty_{city}" for city in cities)])
    if format == "csv":
        return spreadsheets.download(table, "csv", f"round-{id}-aggregate", "Summen")
    # The lines that make the totals: withdrawn ones are history and count nowhere, so they are not listed.
    submitted = pb.ListLinesRequest(round_id=id, status=pb.LINE_STATUS_SUBMITTED)
    lines = await all_lines(services, caller, submitted)
    sheets = {"Summen": table, "Positionen": spreadsheets.frame(lines, LINE_EXPORT_COLUMNS)}
    return spreadsheets.attachment(spreadsheets.to_xlsx(sheets), "xlsx", f"round-{id}-aggregate")


LINE_EXPORT_COLUMNS = ("id", "city_id", "sku", "item_name", "quantity", "needed_by", "justification", "priority",
                       "status", "version", "updated_by", "updated_at")  # fmt: skip


async def all_lines(services: ServiceClients, caller: Caller, request: pb.ListLinesRequest) -> list[dict[str, Any]]:
    """Every line the request matches (all pages), with the item's SKU and name, for a download."""
    lines: list[dict[str, Any]] = []
    request.page.limit = 500
    while True:
        reply = await services.call("demand", services.demand.ListLines, request, caller.token)
        lines += [LINE_SHAPE.from_proto(line) for line in reply.lines]
        if not reply.next_cursor:
            break
        request.page.cursor = reply.next_cursor
    item_ids = sorted({line["item_id"] for line in lines})
    items: dict[str, catalog_pb.Item] = {}
    for start in range(0, len(item_ids), 500):
        batch = catalog_pb.BatchGetItemsRequest(ids=item_ids[start : start + 500])
        found = await services.call("catalog", services.catalog.BatchGetItems, batch, caller.token)
        items.update((item.id, item) for item in found.items)
    for line in lines:
        item = items.get(line["item_id"])
        line["sku"], line["item_name"] = (item.sku, item.name) if item else ("", "")
        for key in ("priority", "status"):
            line[key] = str(line[key])
        line["needed_by"] = line["needed_by"] or ""
        line["updated_at"] = line["updated_at"].isoformat()
    return lines
