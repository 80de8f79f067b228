"""Budgets: what each city plans to spend on the network's contracts per year, set by its finance."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from civicpool_gateway.auth import CallerDep, FinanceDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import Budget, BudgetBody
from civicpool_gateway.routers.contracts import IdempotencyKey, mark_replayed
from civicpool_gateway.versioning import version_if_named, with_etag

router = APIRouter(tags=["reports"])


@router.get("/budgets", summary="Budgets per city and year", response_model=list[Budget])
async def list_budgets(
    caller: CallerDep, services: ClientsDep, year: Annotated[int | None, Query(ge=2000, le=2999)] = None
) -> list[Budget]:
    return await services.contracts.list_budgets(year, caller.token)


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
) -> Budget:
    expected = version_if_named(if_match, body.version)
    answer = await services.contracts.set_budget(city_id, year, body, expected, idempotency_key, caller.token)
    mark_replayed(answer.replayed, response)
    return with_etag(answer.budget, response)
