"""The ledger: balanced, append-only postings; read them, or correct one by a reversing posting."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import LedgerListParams, LedgerTransaction, Operation, PassOnBody, ReverseBody
from civicpool_gateway.routers.contracts import IdempotencyKey, replay_marked
from civicpool_gateway.schemas import Page, ResourceId

router = APIRouter(tags=["ledger"])


@router.get(
    "/ledger/transactions",
    summary="Ledger postings",
    description="Oldest first. Leads and admins see all; city IT and finance the postings on their city's "
    "account. There is no way to post a raw entry: postings come from call-offs, returns, moves and reversals.",
    response_model=Page[LedgerTransaction],
)
async def list_transactions(
    caller: CallerDep, services: ClientsDep, params: Annotated[LedgerListParams, Query()]
) -> Page[LedgerTransaction]:
    return await services.contracts.list_ledger_transactions(params, caller.token)


@router.post(
    "/ledger/transactions/{id}/reverse",
    summary="Correct a posting by reversing it",
    description="A new posting with every entry negated and the quantities undone, referencing the original; "
    "nothing is changed or deleted. Once per posting. A lead of the lead city or an admin.",
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def reverse_transaction(
    id: ResourceId, body: ReverseBody, caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    operation = await services.contracts.reverse_transaction(id, body, idempotency_key, caller.token)
    return replay_marked(operation, response)


@router.post(
    "/ledger/transactions/{id}/pass-on",
    summary="Pass a framework call-off on to the next-ranked vendor",
    description="When the vendor of a call-off under a framework with several vendors declines it or cannot deliver "
    "in time (the cascade of § 21 (4) Nr. 1 VgV): in one operation the call-off is reversed at the amount it was "
    "posted and the same quantity is called off from the next vendor in rank order at its price, recorded with the "
    "cause and the reason. A call-off a mini-competition made goes instead to the competition's next offer, at "
    "the offered price (§ 21 (5) VgV). Answers the new call-off. The city's IT for its own call-off, or a lead of "
    "the lead city; once per call-off.",
    response_model=Operation,
    status_code=status.HTTP_201_CREATED,
)
async def pass_on_call_off(
    id: ResourceId, body: PassOnBody, caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Operation:  # fmt: skip
    operation = await services.contracts.pass_on_call_off(id, body, idempotency_key, caller.token)
    return replay_marked(operation, response)
