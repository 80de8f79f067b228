"""Budgets: what each city plans to spend on the network's contracts per year, set by its finance."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool_common.auth import Role
from fastapi import APIRouter, Depends, Header, Path, Query, Response

from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import Budget, BudgetBody
from civicpool_gateway.convert import PLAIN
from civicpool_gateway.routers.contracts import IdempotencyKey, mark_replayed
from civicpool_gateway.versioning import call_write, expected_version, versioned_out

router = APIRouter(tags=["reports"])
FinanceDep = Annotated[Caller, Depends(requires(Role.FINANCE))]


@router.get("/budgets", summary="Budgets per city and year", response_model=list[Budget])
async def list_budgets(
    caller: CallerDep, services: ClientsDep, year: Annotated[int | None, Query(ge=2000, le=2999)] = None
) -> Any:
    reply = await services.call(
        "contracts", services.contracts.ListBudgets, pb.ListBudgetsRequest(year=year or 0), caller.token
    )
    return [PLAIN.from_proto(b) for b in reply.budgets]


@router.put(
    "/budgets/{city_id}/{year}",
    summary="Set a city's budget for a year (finance)",
    description="Finance of the city (network finance: any city). A new budget needs no version; a change "
    "needs the one you read (`If-Match` or `version`).",
    response_model=Budget,
)
async def set_budget(
    city_id: Annotated[str, Path(min_length=1, max_length=40)],
    year: Annotated[int, Path(ge=2000, le=2999)],
    body: BudgetBody,
    caller: FinanceDep,
    services: ClientsDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    version, via_if_match = expected_version(if_match, body.version) if if_match or body.version else (0, False)
    request = pb.SetBudgetRequest(city_id=city_id, year=year, amount_cents=body.amount_cents,
                                  expected_version=version, idempotency_key=idempotency_key or "")  # fmt: skip
    reply = await call_write(services, "contracts", "SetBudget", request, caller, via_if_match=via_if_match)
    assert isinstance(reply, pb.Budget)
    mark_replayed(reply, response)
    return versioned_out(Budget, PLAIN, reply, response)
