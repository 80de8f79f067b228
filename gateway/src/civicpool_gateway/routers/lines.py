"""Demand lines of a round: a city's IT registers, changes and withdraws its own demand.

Lines are never deleted; every change is a new version with who and when, and
the history shows old -> new per field.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from civicpool_gateway import downloads
from civicpool_gateway.auth import CallerDep, CityItDep
from civicpool_gateway.catalog_reads import CatalogDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.demand_schemas import (
    Line,
    LineFields,
    LineHistory,
    LineListParams,
    LinePatch,
)
from civicpool_gateway.routers.rounds import RoundId, all_lines, line_table
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.versioning import optional_version, patch_version, with_etag

router = APIRouter(tags=["demand"])
LineId = ResourceId


@router.get(
    "/rounds/{id}/lines",
    summary="List a round's demand lines",
    description="City IT and finance see their own city's lines; leads and admins every city's. "
    "`format=csv|xlsx` downloads every matching line.",
    response_model=Page[Line],
    responses=downloads.DOWNLOAD_RESPONSES,
)
async def list_lines(
    id: RoundId,
    caller: CallerDep,
    services: ClientsDep,
    catalog: CatalogDep,
    params: Annotated[LineListParams, Query()],
) -> Any:
    if params.format != "json":
        table = line_table(await all_lines(services, catalog, caller, id, params))
        language = downloads.file_language(params.language)
        return downloads.download(table, params.format, f"round-{id}-lines", "Positionen", language)
    return await services.demand.list_lines(id, params, caller.token)


@router.post(
    "/rounds/{id}/lines",
    summary="Register demand for your city",
    description="Only while the round is open, only for items in its scope, only for your own city.",
    response_model=Line,
    status_code=status.HTTP_201_CREATED,
)
async def create_line(
    id: RoundId, body: LineFields, caller: CityItDep, services: ClientsDep, response: Response
) -> Line:
    city_id = body.city_id or caller.principal.city or ""
    line = await services.demand.create_line(id, city_id, body, caller.token)
    response.headers["Location"] = f"/api/v1/rounds/{id}/lines/{line.id}"
    return with_etag(line, response)


@router.get("/rounds/{id}/lines/{line_id}", summary="Read a demand line", response_model=Line)
async def get_line(id: RoundId, line_id: LineId, caller: CallerDep, services: ClientsDep, response: Response) -> Line:
    return with_etag(await services.demand.get_line(id, line_id, caller.token), response)


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
) -> Line:
    expected = patch_version(body, if_match)
    return with_etag(await services.demand.update_line(id, line_id, body, expected, caller.token), response)


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
) -> Line:
    expected = optional_version(if_match)
    return with_etag(await services.demand.withdraw_line(id, line_id, expected, caller.token), response)


@router.get(
    "/rounds/{id}/lines/{line_id}/history",
    summary="Every version of a demand line: who, when, old -> new",
    response_model=LineHistory,
)
async def line_history(id: RoundId, line_id: LineId, caller: CallerDep, services: ClientsDep) -> LineHistory:
    return await services.demand.line_history(id, line_id, caller.token)
