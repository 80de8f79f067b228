"""Demand rounds (first version: list and create a draft)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from civicpool.demand.v1 import demand_pb2 as pb
from civicpool_common.auth import Role
from civicpool_common.timestamps import to_timestamp
from civicpool_common.vocabulary import RoundStatus
from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field, field_validator

from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.convert import MessageShape
from civicpool_gateway.routers.catalog import ClientsDep
from civicpool_gateway.schemas import ListParams, Page, Request, UtcDatetime, check_datetime_range

router = APIRouter(tags=["demand"])
ROUND_SHAPE = MessageShape(enums={"status": (pb.RoundStatus, RoundStatus)})


class RoundFields(Request):
    title: str = Field(min_length=1, max_length=200, examples=["Notebooks und Headsets 2027"])
    description: str = Field("", max_length=4000)
    opens_at: UtcDatetime
    closes_at: UtcDatetime

    _in_range = field_validator("opens_at", "closes_at")(check_datetime_range)


class Round(BaseModel):
    id: str
    title: str
    description: str
    owner_city_id: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    status: RoundStatus
    version: int
    created_by: str
    created_at: dt.datetime


@router.get("/rounds", summary="List demand rounds", response_model=Page[Round])
async def list_rounds(caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]) -> Any:
    request = pb.ListRoundsRequest(page=params.page())
    reply = await services.call("demand", services.demand.ListRounds, request, caller.token)
    return {"data": [ROUND_SHAPE.from_proto(r) for r in reply.rounds], "next_cursor": reply.next_cursor or None}


@router.post(
    "/rounds", summary="Create a demand round (draft)", response_model=Round, status_code=status.HTTP_201_CREATED
)
async def create_round(
    body: RoundFields,
    caller: Annotated[Caller, Depends(requires(Role.PROCUREMENT_LEAD))],
    services: ClientsDep,
    response: Response,
) -> Any:
    message = pb.Round(
        title=body.title,
        description=body.description,
        opens_at=to_timestamp(body.opens_at),
        closes_at=to_timestamp(body.closes_at),
    )
    reply = await services.call(
        "demand", services.demand.CreateRound, pb.CreateRoundRequest(round=message), caller.token
    )
    response.headers["Location"] = f"/api/v1/rounds/{reply.id}"
    return ROUND_SHAPE.from_proto(reply)
