"""Framework contracts made by awards, and their use: call-offs, the license pool, quota shifts."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, TypeVar

from fastapi import APIRouter, Header, Query, Response, status

from civicpool_gateway.auth import CallerDep, LeadDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import (
    CallOff,
    CallOffBody,
    Contract,
    ContractChange,
    ContractChangeBody,
    ContractHistory,
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
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.versioning import version_if_named, with_etag

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


@router.get("/contracts/{id}/call-offs", summary="A contract's call-offs: the orders to deliver and to invoice",
            response_model=Page[CallOff],
            description="Oldest first. Each call-off from the vendor (not a take from the pool) with its number (the "
            "invoice's BT-13), city, quantity, unit price, whether it was reversed, and the city's Leitweg-ID (the "
            "invoice's BT-10). The contract's vendor, leads, admins and the network's finance see every city's; a "
            "city's users their own city's.")  # fmt: skip
async def list_call_offs(
    id: ResourceId, caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]
) -> Page[CallOff]:
    return await services.contracts.list_call_offs(id, params, caller.token)


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
USE_NOTE = (
    " One database transaction: guarded quantities, the movements and one balanced ledger posting. "
    "A refusal answers 409 saying what is left; nothing is posted."
)


Answer = TypeVar("Answer", Operation, QuotaShift, ContractChange)


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


# -- changes of contracts (§ 132 GWB) -----------------------------------------------------------

CHANGE_RULES = (
    "Kinds: `price_adjustment` (`unit_price_cents` under the index clause, `index_name`), `quantity_increase` "
    "(`quota_additions` to cities that are parties), `term_extension` (a later `ends_on`; the renewal notice date "
    "moves with it), `vendor_succession` (`vendor_id`, an active vendor). Each is worth (net): the price "
    "difference x what is left to call off; the quantity added x the price; the value per day of the term so far "
    "x the days added; nothing. Allowed while every change so far together stays within the de-minimis limits "
    "(§ 132 (3) GWB: at most the EU threshold and at most 10 % of the original value, at the higher indexed "
    "price); beyond them 409 unless `legal_ground` names a ground of § 132 (2) (`additional_supplies` and "
    "`unforeseeable`: at most 50 % of the original value per change). A new vendor always needs `succession` "
    "or `review_clause`. Past postings never change: call-offs after a price adjustment post at the new price."
)


@router.post(
    "/contracts/{id}/changes",
    summary="Change an active contract (§ 132 GWB)",
    description="A lead of the lead city, with a written justification. " + CHANGE_RULES + " Send the contract's "
    "ETag as If-Match (or `version`) to be sure it has not changed since you read it (412/409 when it has).",
    response_model=ContractChange,
    status_code=status.HTTP_201_CREATED,
)
async def change_contract(
    id: ResourceId, body: ContractChangeBody, caller: LeadDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None, if_match: Annotated[str | None, Header()] = None,
) -> ContractChange:  # fmt: skip
    expected = version_if_named(if_match, body.version)
    change = await services.contracts.change_contract(id, body, expected, idempotency_key, caller.token)
    return replay_marked(change, response)


@router.get(
    "/contracts/{id}/changes",
    summary="A contract's terms as awarded and every change since",
    description="With the de-minimis numbers of § 132 (3) GWB: the changes' net value together, the limit and "
    "what is left of it. " + VISIBILITY + " Quota additions show only the cities whose quotas you see.",
    response_model=ContractHistory,
)
async def contract_history(id: ResourceId, caller: CallerDep, services: ClientsDep) -> ContractHistory:
    return await services.contracts.contract_history(id, caller.token)
