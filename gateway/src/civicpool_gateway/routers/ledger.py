"""The ledger: balanced, append-only postings; read them, or correct one by a reversing posting."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from typing import Annotated, Any

from civicpool.contracts.v1 import contracts_pb2 as pb
from fastapi import APIRouter, Query, Response, status

from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import LEDGER_SHAPE, LedgerListParams, LedgerTransaction, Operation, ReverseBody
from civicpool_gateway.routers.contracts import IdempotencyKey, operation_json
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
) -> Any:
    request = pb.ListLedgerTransactionsRequest(
        page=params.page(), contract_id=params.contract_id or "", city_id=params.city_id or ""
    )
    reply = await services.call("contracts", services.contracts.ListLedgerTransactions, request, caller.token)
    return {"data": [LEDGER_SHAPE.from_proto(t) for t in reply.transactions], "next_cursor": reply.next_cursor or None}


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
) -> Any:  # fmt: skip
    request = pb.ReverseTransactionRequest(id=id, reason=body.reason, idempotency_key=idempotency_key or "")
    reply = await services.call("contracts", services.contracts.ReverseTransaction, request, caller.token)
    return operation_json(reply, response)
