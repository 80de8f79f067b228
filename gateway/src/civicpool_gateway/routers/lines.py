"""Demand lines of a round: a city's IT registers, changes and withdraws its own demand.

Lines are never deleted; every change is a new version with who and when, and
the history shows old -> new per field.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.demand.v1 import demand_pb2 as pb
from civicpool_common.auth import Role
from civicpool_common.vocabulary import LineStatus, to_proto
from fastapi import APIRouter, Depends, Header, Query, Response, status

from civicpool_gateway import spreadsheets
from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.demand_schemas import (
    LINE_SHAPE,
    VERSION_SHAPE,
    Line,
    LineFields,
    LineHistory,
    LineListParams,
    LinePatch,
)
from civicpool_gateway.routers.rounds import LINE_EXPORT_COLUMNS, RoundId, all_lines
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.versioning import call_write, optional_version, patch_request, versioned_out

router = APIRouter(tags=["demand"])
CityItDep = Annotated[Caller, Depends(requires(Role.CITY_IT))]
LineId = ResourceId


def line_out(message: pb.Line, response: Response | None = None) -> Line:
    return versioned_out(Line, LINE_SHAPE, message, response)


@router.get(
    "/rounds/{id}/lines",
    summary="List a round's demand lines",
    description="City IT and finance see their own city's lines; leads and admins every city's. "
    "`format=csv|xlsx` downloads every matching line.",
    response_model=Page[Line],
    responses=spreadsheets.DOWNLOAD_RESPONSES,
)
async def list_lines(
    id: RoundId, caller: CallerDep, services: ClientsDep, params: Annotated[LineListParams, Query()]
) -> Any:
    request = pb.ListLinesRequest(
        page=params.page(),
        round_id=id,
        city_id=params.city_id or "",
        item_id=params.item_id or "",
        status=to_proto(params.status, pb.LineStatus, LineStatus),
    )
    if params.format != "json":
        table = spreadsheets.frame(await all_lines(services, caller, request), LINE_EXPORT_COLUMNS)
        return spreadsheets.download(table, params.format, f"round-{id}-lines", "Positionen")
    reply = await services.call("demand", services.demand.ListLines, request, caller.token)
    return {"data": [line_out(line) for line in reply.lines], "next_cursor": reply.next_cursor or None}


@router.post(
    "/rounds/{id}/lines",
    summary="Register demand for your city",
    description="Only while the round is open, only for items in its scope, only for your own city.",
    response_model=Line,
    status_code=status.HTTP_201_CREATED,
)
async def create_line(
    id: RoundId, body: LineFields, caller: CityItDep, services: ClientsDep, response: Response
) -> Any:
    message = pb.Line(
        round_id=id,
        city_id=body.city_id or caller.principal.city or "",
        **LINE_SHAPE.to_proto_fields(body.model_dump(exclude={"city_id"})),
    )
    reply = await services.call("demand", services.demand.CreateLine, pb.CreateLineRequest(line=message), caller.token)
    response.headers["Location"] = f"/api/v1/rounds/{id}/lines/{reply.id}"
    return line_out(reply, response)


@router.get("/rounds/{id}/lines/{line_id}", summary="Read a demand line", response_model=Line)
async def get_line(id: RoundId, line_id: LineId, caller: CallerDep, services: ClientsDep, response: Response) -> Any:
    request = pb.GetLineRequest(round_id=id, id=line_id)
    return line_out(await services.call("demand", services.demand.GetLine, request, caller.token), response)


@router.patch(
    "/rounds/{id}/lines/{line_id}",
    summary="Change a demand line",
    description="Send only the fields to change, and the version you edited: the ETag as `If-Match` "
    "(a stale one answers 412) or `version` in the body (a stale one answers 409).",
    response_model=Line,
)
async def update_line(
    id: RoundId,
    line_id: LineId,
    body: LinePatch,
    caller: CityItDep,
    services: ClientsDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    patch = patch_request(body, if_match)
    message = pb.Line(round_id=id, id=line_id, **LINE_SHAPE.to_proto_fields(patch.changes))
    request = pb.UpdateLineRequest(line=message, update_mask=patch.mask, expected_version=patch.version)
    reply = await call_write(services, "demand", "UpdateLine", request, caller, via_if_match=patch.via_if_match)
    assert isinstance(reply, pb.Line)
    return line_out(reply, response)


@router.post(
    "/rounds/{id}/lines/{line_id}/withdraw",
    summary="Withdraw a demand line",
    description="The line stays in the history with status withdrawn and no longer counts. `If-Match` is optional.",
    response_model=Line,
)
async def withdraw_line(
    id: RoundId,
    line_id: LineId,
    caller: CityItDep,
    services: ClientsDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    version, via_if_match = optional_version(if_match)
    request = pb.WithdrawLineRequest(round_id=id, id=line_id, expected_version=version)
    reply = await call_write(services, "demand", "WithdrawLine", request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Line)
    return line_out(reply, response)


@router.get(
    "/rounds/{id}/lines/{line_id}/history",
    summary="Every version of a demand line: who, when, old -> new",
    response_model=LineHistory,
)
async def line_history(id: RoundId, line_id: LineId, caller: CallerDep, services: ClientsDep) -> Any:
    request = pb.GetLineRequest(round_id=id, id=line_id)
    reply = await services.call("demand", services.demand.GetLineHistory, request, caller.token)
    return {"line": line_out(reply.line), "versions": [VERSION_SHAPE.from_proto(v) for v in reply.versions]}
