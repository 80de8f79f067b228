"""Framework contracts made by awards, and their use: call-offs, the license pool, quota shifts."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, TypeVar

from civicpool_common.auth import Role
from fastapi import APIRouter, Depends, Header, Query, Response, status

from civicpool_gateway.auth import Caller, CallerDep, requires
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import (
    CallOffBody,
    Contract,
    ContractListParams,
    MoveBody,
    Operation,
    QuotaShift,
    QuotaShiftBody,
    RenewalBody,
    RenewalRound,
    ReturnBody,
    SharedCostBody,
    Utilisation,
)
from civicpool_gateway.schemas import Page, ResourceId
from civicpool_gateway.versioning import with_etag

router = APIRouter(tags=["contracts"])
VISIBILITY = (
    "Leads and admins see every contract; vendors their own; city IT and finance the contracts with a quota "
    "of their city, showing their own city's quota only."
)


@router.get("/contracts", summary="List framework contracts", description=VISIBILITY, response_model=Page[Contract])
async def list_contracts(
    caller: CallerDep, services: ClientsDep, params: Annotated[ContractListParams, Query()]
) -> Page[Contract]:
    return await services.contracts.list_contracts(params, caller.token)


@router.get("/contracts/{id}", summary="Read a framework contract", description=VISIBILITY, response_model=Contract)
async def get_contract(id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response) -> Contract:
    return with_etag(await services.contracts.get_contract(id, caller.token), response)


# -- contracts in use ---------------------------------------------------------------------------

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Send a new unique key (e.g. a UUID) with each change; a retry with the same key answers the "
        "first result and changes nothing (kept at least 24 hours). The same key with another body is refused (422).",
    ),
]
LeadDep = Annotated[Caller, Depends(requires(Role.PROCUREMENT_LEAD))]
USE_NOTE = (
    " One database transaction: guarded quantities, the movements and one balanced ledger posting. "
    "A refusal answers 409 saying what is left; nothing is posted."
)


Answer = TypeVar("Answer", Operation, QuotaShift)


def mark_replayed(replayed: bool, response: Response) -> None:
    """Say so when the answer comes from an earlier request with the same Idempotency-Key."""
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


def replay_marked(answer: Answer, response: Response) -> Answer:
    """The answer of a change, its header saying whether it is an earlier request's (`replayed`)."""
    mark_replayed(answer.replayed, response)
    return answer


@router.post(
    "/contracts/{id}/allocations",
    summary="Call off a quantity for a city",
    description="Within the city's quota and the contract's ceiling (quantity and value), while the contract is "
    "active; `from_pool`: license seats other cities returned. The city's IT, or a lead of the lead city." + USE_NOTE,
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def call_off(
    id: ResourceId, body: CallOffBody, caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    return replay_marked(await services.contracts.call_off(id, body, idempotency_key, caller.token), response)


@router.post(
    "/contracts/{id}/returns",
    summary="Return license seats to the contract's pool",
    description="Another city can then take them (`allocations` with `from_pool`). The city's IT, or a lead of "
    "the lead city." + USE_NOTE,
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def return_seats(
    id: ResourceId, body: ReturnBody, caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    return replay_marked(await services.contracts.return_seats(id, body, idempotency_key, caller.token), response)


@router.post(
    "/contracts/{id}/moves",
    summary="Move license seats from one city to another",
    description="One operation: the seats leave one city and reach the other together. A lead of the lead city."
    + USE_NOTE,
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def move_seats(
    id: ResourceId, body: MoveBody, caller: LeadDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    return replay_marked(await services.contracts.move_seats(id, body, idempotency_key, caller.token), response)


@router.post(
    "/contracts/{id}/quota-shifts",
    summary="Shift unused quota from one city to another",
    description="Recorded, never edited; only quota a city has not called off moves. A lead of the lead city. "
    "Both cities must be active member cities and parties to the contract (a quota in it); a member city without "
    "one becomes a party only with `add_party` and a reason.",
    response_model=QuotaShift,
    status_code=status.HTTP_201_CREATED,
)
async def shift_quota(
    id: ResourceId, body: QuotaShiftBody, caller: LeadDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> QuotaShift:  # fmt: skip
    return replay_marked(await services.contracts.shift_quota(id, body, idempotency_key, caller.token), response)


@router.post(
    "/contracts/{id}/shared-costs",
    summary="Post a cost of the contract, split among its cities",
    description="Split by a cost-sharing key of the catalog (equal, population, usage = each city's holding, "
    "fixed shares); the remainder cents go deterministically, so the parts add up to the cent. A lead of the "
    "lead city." + USE_NOTE,
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def share_cost(
    id: ResourceId, body: SharedCostBody, caller: LeadDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    return replay_marked(await services.contracts.share_cost(id, body, idempotency_key, caller.token), response)


@router.get(
    "/contracts/{id}/utilisation",
    summary="Quota, call-offs, returns, takes and holdings per city; the pool and the ceiling",
    description="City users see their own city's row only; vendors see none.",
    response_model=Utilisation,
)
async def utilisation(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Utilisation:
    return await services.contracts.utilisation(id, caller.token)


@router.post(
    "/contracts/{id}/renewal-round",
    summary="Start the renewal: a demand round pre-filled from each city's current holding",
    description="From the renewal notice date on; a lead of the lead city; once per contract (again: the same "
    "round). The round is a draft of the lead's city, each holding city has its line, and the cities confirm or "
    "change it once the round is open.",
    response_model=RenewalRound,
    status_code=status.HTTP_201_CREATED,
)
async def start_renewal_round(
    id: ResourceId, caller: LeadDep, services: ClientsDep, body: RenewalBody | None = None
) -> RenewalRound:
    return await services.contracts.start_renewal_round(id, body, caller.token)
