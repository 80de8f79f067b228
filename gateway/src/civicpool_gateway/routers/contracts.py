"""Framework contracts made by awards."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.contracts.v1 import contracts_pb2 as pb
from fastapi import APIRouter, Query, Response

from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.concurrency import versioned_out
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.tender_schemas import CONTRACT_SHAPE, Contract, ContractListParams

router = APIRouter(tags=["contracts"])
VISIBILITY = (
    "Leads and admins see every contract; vendors their own; city IT and finance the contracts with a quota "
    "of their city, showing their own city's quota only."
)


@router.get("/contracts", summary="List framework contracts", description=VISIBILITY, response_model=Page[Contract])
async def list_contracts(
    caller: CallerDep, services: ClientsDep, params: Annotated[ContractListParams, Query()]
) -> Any:
    request = pb.ListContractsRequest(
        page=params.page(), tender_id=params.tender_id or "", city_id=params.city_id or ""
    )
    reply = await services.call("contracts", services.contracts.ListContracts, request, caller.token)
    return {"data": [CONTRACT_SHAPE.from_proto(c) for c in reply.contracts], "next_cursor": reply.next_cursor or None}


@router.get("/contracts/{id}", summary="Read a framework contract", description=VISIBILITY, response_model=Contract)
async def get_contract(id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response) -> Any:
    reply = await services.call("contracts", services.contracts.GetContract, pb.GetContractRequest(id=id), caller.token)
    return versioned_out(Contract, CONTRACT_SHAPE, reply, response)
