"""Joint tenders (first version: list)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool_common.vocabulary import TenderStatus
from fastapi import APIRouter, Query
from pydantic import BaseModel

from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.convert import MessageShape
from civicpool_gateway.schemas import ListParams, Page

router = APIRouter(tags=["tenders"])
TENDER_SHAPE = MessageShape(enums={"status": (pb.TenderStatus, TenderStatus)})


class Tender(BaseModel):
    id: str
    title: str
    lead_city_id: str
    round_id: str
    status: TenderStatus
    estimated_value_cents: int
    created_at: dt.datetime


@router.get("/tenders", summary="List joint tenders", response_model=Page[Tender])
async def list_tenders(caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]) -> Any:
    request = pb.ListTendersRequest(page=params.page())
    reply = await services.call("contracts", services.contracts.ListTenders, request, caller.token)
    return {"data": [TENDER_SHAPE.from_proto(t) for t in reply.tenders], "next_cursor": reply.next_cursor or None}
