"""The contracts service's messages and their REST models: contracts, their use, the ledger, budgets, reports."""

from __future__ import annotations

import datetime as dt

from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool_common.vocabulary import (
    ChangeKind,
    ContractStatus,
    LegalGround,
    MiniCompetitionStatus,
    PassOnCause,
    to_proto,
    words_of,
)

from civicpool_gateway.contract_schemas import (
    Budget,
    BudgetBody,
    BudgetReport,
    BudgetRow,
    CallOff,
    CallOffBody,
    CityUse,
    Contract,
    ContractChange,
    ContractChangeBody,
    ContractHistory,
    ContractListParams,
    ContractTerms,
    ContractTotal,
    Framework,
    FrameworkCityUse,
    LedgerEntry,
    LedgerListParams,
    LedgerTransaction,
    MiniCompetition,
    MiniCompetitionBody,
    MiniCompetitionOffer,
    MoveBody,
    MovementRecord,
    OfferBody,
    Operation,
    PassOnBody,
    QuotaAddition,
    QuotaShift,
    QuotaShiftBody,
    RenewalBody,
    RenewalDue,
    RenewalRound,
    RenewalsDue,
    ReturnBody,
    ReverseBody,
    SharedCostBody,
    Statement,
    StatementLine,
    UseRow,
    Utilisation,
    UtilisationReport,
)
from civicpool_gateway.schemas import CityShare, ListParams, Page
from civicpool_gateway.serde.fields import (
    cursor_or_none,
    day,
    day_or_none,
    list_params_from_proto,
    page_request,
    text_or_none,
    time_or_none,
    timestamp_or_none,
    to_timestamp,
    word,
)

CONTRACT_STATUSES = words_of(pb.ContractStatus, ContractStatus)
CHANGE_KINDS = words_of(pb.ChangeKind, ChangeKind)
LEGAL_GROUNDS = words_of(pb.LegalGround, LegalGround)
PASS_ON_CAUSES = words_of(pb.PassOnCause, PassOnCause)
COMPETITION_STATUSES = words_of(pb.MiniCompetitionStatus, MiniCompetitionStatus)


# -- contracts -----------------------------------------------------------------


def contract_from_proto(message: pb.Contract) -> Contract:
    return Contract(
        id=message.id,
        tender_id=message.tender_id,
        lot_id=message.lot_id,
        bid_id=message.bid_id,
        vendor_id=message.vendor_id,
        lead_city_id=message.lead_city_id,
        reference=message.reference,
        item_id=message.item_id,
        sku=message.sku,
        name=message.name,
        unit=message.unit,
        kind=message.kind,
        unit_price_cents=message.unit_price_cents,
        ceiling_quantity=message.ceiling_quantity,
        ceiling_value_cents=message.ceiling_value_cents,
        starts_on=day(message.starts_on),
        ends_on=day(message.ends_on),
        renewal_notice_on=day(message.renewal_notice_on),
        status=word(message.status, CONTRACT_STATUSES),
        quotas=[CityShare(city_id=q.city_id, quantity=q.quantity) for q in message.quotas],
        version=message.version,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        framework=framework_from_proto(message.framework) if message.HasField("framework") else None,
    )


def framework_from_proto(message: pb.Framework) -> Framework:
    return Framework(
        id=message.id, rank=message.rank, vendors=message.vendors, estimated_quantity=message.estimated_quantity,
        max_quantity=message.max_quantity, estimated_value_cents=message.estimated_value_cents,
        max_value_cents=message.max_value_cents, called_off=message.called_off,
        called_off_value_cents=message.called_off_value_cents,
        quotas=[FrameworkCityUse(city_id=q.city_id, quota=q.quota, called_off=q.called_off) for q in message.quotas],
    )  # fmt: skip


def framework_to_proto(framework: Framework) -> pb.Framework:
    return pb.Framework(
        id=framework.id, rank=framework.rank, vendors=framework.vendors,
        estimated_quantity=framework.estimated_quantity, max_quantity=framework.max_quantity,
        estimated_value_cents=framework.estimated_value_cents, max_value_cents=framework.max_value_cents,
        called_off=framework.called_off, called_off_value_cents=framework.called_off_value_cents,
        quotas=[pb.FrameworkCityUse(city_id=q.city_id, quota=q.quota, called_off=q.called_off)
                for q in framework.quotas],
    )  # fmt: skip


def contract_to_proto(contract: Contract) -> pb.Contract:
    return pb.Contract(
        id=contract.id,
        tender_id=contract.tender_id,
        lot_id=contract.lot_id,
        bid_id=contract.bid_id,
        vendor_id=contract.vendor_id,
        lead_city_id=contract.lead_city_id,
        reference=contract.reference,
        item_id=contract.item_id,
        sku=contract.sku,
        name=contract.name,
        unit=contract.unit,
        kind=contract.kind,
        unit_price_cents=contract.unit_price_cents,
        ceiling_quantity=contract.ceiling_quantity,
        ceiling_value_cents=contract.ceiling_value_cents,
        starts_on=contract.starts_on.isoformat(),
        ends_on=contract.ends_on.isoformat(),
        renewal_notice_on=contract.renewal_notice_on.isoformat(),
        status=to_proto(contract.status, pb.ContractStatus, ContractStatus),
        quotas=[pb.CityShare(city_id=q.city_id, quantity=q.quantity) for q in contract.quotas],
        version=contract.version,
        created_at=to_timestamp(contract.created_at),
        framework=framework_to_proto(contract.framework) if contract.framework else None,
    )


def call_off_record_from_proto(message: pb.CallOff) -> CallOff:
    return CallOff(
        transaction_id=message.transaction_id, reference=message.reference, city_id=message.city_id,
        quantity=message.quantity, unit_price_cents=message.unit_price_cents,
        called_off_at=time_or_none(message.HasField("called_off_at"), message.called_off_at),
        reversed=message.reversed, leitweg_id=message.leitweg_id, billing_unit=message.billing_unit,
    )  # fmt: skip


def call_off_record_to_proto(call_off: CallOff) -> pb.CallOff:
    return pb.CallOff(
        **call_off.model_dump(exclude={"called_off_at"}), called_off_at=to_timestamp(call_off.called_off_at)
    )


def call_offs_page_from_proto(reply: pb.ListCallOffsResponse) -> Page[CallOff]:
    return Page[CallOff](data=[call_off_record_from_proto(c) for c in reply.call_offs],
                         next_cursor=cursor_or_none(reply.next_cursor))  # fmt: skip


def call_offs_page_to_proto(page: Page[CallOff]) -> pb.ListCallOffsResponse:
    return pb.ListCallOffsResponse(call_offs=[call_off_record_to_proto(c) for c in page.data],
                                   next_cursor=page.next_cursor or "")  # fmt: skip


def call_offs_query_to_proto(contract_id: str, params: ListParams) -> pb.ListCallOffsRequest:
    return pb.ListCallOffsRequest(contract_id=contract_id, page=page_request(params))


def call_offs_query_from_proto(request: pb.ListCallOffsRequest) -> ListParams:
    return list_params_from_proto(request.page)


def contracts_query_to_proto(params: ContractListParams) -> pb.ListContractsRequest:
    return pb.ListContractsRequest(
        page=page_request(params),
        tender_id=params.tender_id or "",
        city_id=params.city_id or "",
        reference=params.reference or "",
    )


def contracts_query_from_proto(request: pb.ListContractsRequest) -> ContractListParams:
    return ContractListParams(
        limit=request.page.limit,
        cursor=request.page.cursor or None,
        tender_id=request.tender_id or None,
        city_id=request.city_id or None,
        reference=request.reference or None,
    )


def contracts_page_from_proto(reply: pb.ListContractsResponse) -> Page[Contract]:
    return Page[Contract](
        data=[contract_from_proto(c) for c in reply.contracts], next_cursor=cursor_or_none(reply.next_cursor)
    )


def contracts_page_to_proto(page: Page[Contract]) -> pb.ListContractsResponse:
    return pb.ListContractsResponse(
        contracts=[contract_to_proto(c) for c in page.data], next_cursor=page.next_cursor or ""
    )


# -- contracts in use: call-offs, returns, moves, shared costs, quota shifts ---


def call_off_to_proto(contract_id: str, body: CallOffBody, idempotency_key: str | None) -> pb.CallOffRequest:
    return pb.CallOffRequest(
        contract_id=contract_id,
        city_id=body.city_id,
        quantity=body.quantity,
        from_pool=body.from_pool,
        idempotency_key=idempotency_key or "",
    )


def call_off_from_proto(request: pb.CallOffRequest) -> CallOffBody:
    return CallOffBody(city_id=request.city_id, quantity=request.quantity, from_pool=request.from_pool)


def return_to_proto(contract_id: str, body: ReturnBody, idempotency_key: str | None) -> pb.ReturnSeatsRequest:
    return pb.ReturnSeatsRequest(
        contract_id=contract_id, city_id=body.city_id, quantity=body.quantity, idempotency_key=idempotency_key or ""
    )


def return_from_proto(request: pb.ReturnSeatsRequest) -> ReturnBody:
    return ReturnBody(city_id=request.city_id, quantity=request.quantity)


def move_to_proto(contract_id: str, body: MoveBody, idempotency_key: str | None) -> pb.MoveSeatsRequest:
    return pb.MoveSeatsRequest(
        contract_id=contract_id,
        from_city_id=body.from_city_id,
        to_city_id=body.to_city_id,
        quantity=body.quantity,
        idempotency_key=idempotency_key or "",
    )


def move_from_proto(request: pb.MoveSeatsRequest) -> MoveBody:
    return MoveBody(from_city_id=request.from_city_id, to_city_id=request.to_city_id, quantity=request.quantity)


def quota_shift_request_to_proto(
    contract_id: str, body: QuotaShiftBody, idempotency_key: str | None
) -> pb.ShiftQuotaRequest:
    return pb.ShiftQuotaRequest(
        contract_id=contract_id,
        from_city_id=body.from_city_id,
        to_city_id=body.to_city_id,
        quantity=body.quantity,
        reason=body.reason,
        add_party=body.add_party,
        idempotency_key=idempotency_key or "",
    )


def quota_shift_request_from_proto(request: pb.ShiftQuotaRequest) -> QuotaShiftBody:
    return QuotaShiftBody(
        from_city_id=request.from_city_id,
        to_city_id=request.to_city_id,
        quantity=request.quantity,
        reason=request.reason,
        add_party=request.add_party,
    )


def shared_cost_to_proto(contract_id: str, body: SharedCostBody, idempotency_key: str | None) -> pb.ShareCostRequest:
    return pb.ShareCostRequest(
        contract_id=contract_id,
        amount_cents=body.amount_cents,
        memo=body.memo,
        cost_key_id=body.cost_key_id,
        idempotency_key=idempotency_key or "",
    )


def shared_cost_from_proto(request: pb.ShareCostRequest) -> SharedCostBody:
    return SharedCostBody(amount_cents=request.amount_cents, memo=request.memo, cost_key_id=request.cost_key_id)


def ledger_transaction_from_proto(message: pb.LedgerTransaction) -> LedgerTransaction:
    return LedgerTransaction(
        id=message.id,
        kind=message.kind,
        contract_id=message.contract_id,
        memo=message.memo,
        reverses_id=text_or_none(message.reverses_id),
        reference=text_or_none(message.reference),
        contract_reference=text_or_none(message.contract_reference),
        text=message.text,
        created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        entries=[LedgerEntry(account=e.account, amount_cents=e.amount_cents) for e in message.entries],
    )


def ledger_transaction_to_proto(transaction: LedgerTransaction) -> pb.LedgerTransaction:
    return pb.LedgerTransaction(
        id=transaction.id,
        kind=transaction.kind,
        contract_id=transaction.contract_id,
        memo=transaction.memo,
        reverses_id=transaction.reverses_id or "",
        reference=transaction.reference or "",
        contract_reference=transaction.contract_reference or "",
        text=transaction.text,
        created_by=transaction.created_by,
        created_at=to_timestamp(transaction.created_at),
        entries=[pb.LedgerEntry(account=e.account, amount_cents=e.amount_cents) for e in transaction.entries],
    )


def operation_from_proto(message: pb.Operation) -> Operation:
    return Operation(
        id=message.id,
        kind=message.kind,
        contract_id=message.contract_id,
        movements=[
            MovementRecord(city_id=m.city_id, kind=m.kind, quantity=m.quantity, amount_cents=m.amount_cents)
            for m in message.movements
        ],
        transaction=ledger_transaction_from_proto(message.transaction),
        replayed=message.replayed,
    )


def operation_to_proto(operation: Operation) -> pb.Operation:
    return pb.Operation(
        id=operation.id,
        kind=operation.kind,
        contract_id=operation.contract_id,
        movements=[
            pb.MovementRecord(city_id=m.city_id, kind=m.kind, quantity=m.quantity, amount_cents=m.amount_cents)
            for m in operation.movements
        ],
        transaction=ledger_transaction_to_proto(operation.transaction),
        replayed=operation.replayed,
    )


def quota_shift_from_proto(message: pb.QuotaShift) -> QuotaShift:
    return QuotaShift(
        id=message.id,
        contract_id=message.contract_id,
        from_city_id=message.from_city_id,
        to_city_id=message.to_city_id,
        quantity=message.quantity,
        reason=message.reason,
        created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        replayed=message.replayed,
        adds_party=message.adds_party,
    )


def quota_shift_to_proto(shift: QuotaShift) -> pb.QuotaShift:
    return pb.QuotaShift(
        id=shift.id,
        contract_id=shift.contract_id,
        from_city_id=shift.from_city_id,
        to_city_id=shift.to_city_id,
        quantity=shift.quantity,
        reason=shift.reason,
        created_by=shift.created_by,
        created_at=to_timestamp(shift.created_at),
        replayed=shift.replayed,
        adds_party=shift.adds_party,
    )


def _city_use_from_proto(message: pb.CityUse) -> CityUse:
    return CityUse(
        city_id=message.city_id,
        quota=message.quota,
        called_off=message.called_off,
        returned=message.returned,
        taken=message.taken,
        holding=message.holding,
        quota_left=message.quota_left,
    )


def _city_use_to_proto(use: CityUse) -> pb.CityUse:
    return pb.CityUse(
        city_id=use.city_id,
        quota=use.quota,
        called_off=use.called_off,
        returned=use.returned,
        taken=use.taken,
        holding=use.holding,
        quota_left=use.quota_left,
    )


def utilisation_from_proto(message: pb.Utilisation) -> Utilisation:
    return Utilisation(
        contract_id=message.contract_id,
        sku=message.sku,
        kind=message.kind,
        unit_price_cents=message.unit_price_cents,
        ceiling_quantity=message.ceiling_quantity,
        called_off=message.called_off,
        ceiling_left=message.ceiling_left,
        in_pool=message.in_pool,
        cities=[_city_use_from_proto(c) for c in message.cities],
    )


def utilisation_to_proto(utilisation: Utilisation) -> pb.Utilisation:
    return pb.Utilisation(
        contract_id=utilisation.contract_id,
        sku=utilisation.sku,
        kind=utilisation.kind,
        unit_price_cents=utilisation.unit_price_cents,
        ceiling_quantity=utilisation.ceiling_quantity,
        called_off=utilisation.called_off,
        ceiling_left=utilisation.ceiling_left,
        in_pool=utilisation.in_pool,
        cities=[_city_use_to_proto(c) for c in utilisation.cities],
    )


def renewal_request_to_proto(contract_id: str, body: RenewalBody | None) -> pb.StartRenewalRoundRequest:
    return pb.StartRenewalRoundRequest(
        contract_id=contract_id, closes_at=timestamp_or_none(body.closes_at if body is not None else None)
    )


def renewal_request_from_proto(request: pb.StartRenewalRoundRequest) -> RenewalBody:
    return RenewalBody(closes_at=time_or_none(request.HasField("closes_at"), request.closes_at))


def renewal_round_from_proto(message: pb.RenewalRound) -> RenewalRound:
    return RenewalRound(contract_id=message.contract_id, round_id=message.round_id, existing=message.existing)


def renewal_round_to_proto(renewal: RenewalRound) -> pb.RenewalRound:
    return pb.RenewalRound(contract_id=renewal.contract_id, round_id=renewal.round_id, existing=renewal.existing)


# -- the ledger ----------------------------------------------------------------


def ledger_query_to_proto(params: LedgerListParams) -> pb.ListLedgerTransactionsRequest:
    return pb.ListLedgerTransactionsRequest(
        page=page_request(params),
        contract_id=params.contract_id or "",
        city_id=params.city_id or "",
        reference=params.reference or "",
    )


def ledger_query_from_proto(request: pb.ListLedgerTransactionsRequest) -> LedgerListParams:
    return LedgerListParams(
        limit=request.page.limit,
        cursor=request.page.cursor or None,
        contract_id=request.contract_id or None,
        city_id=request.city_id or None,
        reference=request.reference or None,
    )


def ledger_page_from_proto(reply: pb.ListLedgerTransactionsResponse) -> Page[LedgerTransaction]:
    return Page[LedgerTransaction](
        data=[ledger_transaction_from_proto(t) for t in reply.transactions],
        next_cursor=cursor_or_none(reply.next_cursor),
    )


def ledger_page_to_proto(page: Page[LedgerTransaction]) -> pb.ListLedgerTransactionsResponse:
    return pb.ListLedgerTransactionsResponse(
        transactions=[ledger_transaction_to_proto(t) for t in page.data], next_cursor=page.next_cursor or ""
    )


def reversal_to_proto(
    transaction_id: str, body: ReverseBody, idempotency_key: str | None
) -> pb.ReverseTransactionRequest:
    return pb.ReverseTransactionRequest(id=transaction_id, reason=body.reason, idempotency_key=idempotency_key or "")


def reversal_from_proto(request: pb.ReverseTransactionRequest) -> ReverseBody:
    return ReverseBody(reason=request.reason)


def pass_on_to_proto(transaction_id: str, body: PassOnBody, idempotency_key: str | None) -> pb.PassOnCallOffRequest:
    return pb.PassOnCallOffRequest(id=transaction_id, cause=to_proto(body.cause, pb.PassOnCause, PassOnCause),
                                   reason=body.reason, idempotency_key=idempotency_key or "")  # fmt: skip


def pass_on_from_proto(request: pb.PassOnCallOffRequest) -> PassOnBody:
    return PassOnBody(cause=word(request.cause, PASS_ON_CAUSES), reason=request.reason)


# -- budgets -------------------------------------------------------------------


def budget_from_proto(message: pb.Budget) -> Budget:
    """A budget (whether the answer is a replay, `replayed`, is the caller's to read from the message)."""
    return Budget(
        city_id=message.city_id,
        year=message.year,
        amount_cents=message.amount_cents,
        set_by=message.set_by,
        set_at=time_or_none(message.HasField("set_at"), message.set_at),
        version=message.version,
    )


def budget_to_proto(budget: Budget, *, replayed: bool = False) -> pb.Budget:
    return pb.Budget(
        city_id=budget.city_id,
        year=budget.year,
        amount_cents=budget.amount_cents,
        set_by=budget.set_by,
        set_at=to_timestamp(budget.set_at),
        version=budget.version,
        replayed=replayed,
    )


def budget_request_to_proto(
    city_id: str, year: int, body: BudgetBody, expected_version: int, idempotency_key: str | None
) -> pb.SetBudgetRequest:
    return pb.SetBudgetRequest(
        city_id=city_id,
        year=year,
        amount_cents=body.amount_cents,
        expected_version=expected_version,
        idempotency_key=idempotency_key or "",
    )


def budget_request_from_proto(request: pb.SetBudgetRequest) -> BudgetBody:
    return BudgetBody(amount_cents=request.amount_cents, version=request.expected_version or None)


def budgets_from_proto(reply: pb.ListBudgetsResponse) -> list[Budget]:
    return [budget_from_proto(b) for b in reply.budgets]


def budgets_to_proto(budgets: list[Budget]) -> pb.ListBudgetsResponse:
    return pb.ListBudgetsResponse(budgets=[budget_to_proto(b) for b in budgets])


# -- finance reports -----------------------------------------------------------


def statement_request_to_proto(city_id: str, start: dt.date, end: dt.date) -> pb.StatementRequest:
    """A city's statement from `start` to `end`, both included."""
    return pb.StatementRequest(city_id=city_id, to=end.isoformat(), **{"from": start.isoformat()})  # a keyword


def statement_request_from_proto(request: pb.StatementRequest) -> tuple[str, dt.date, dt.date]:
    """The city, the first and the last day of a statement request."""
    return request.city_id, day(getattr(request, "from")), day(request.to)


def statement_from_proto(message: pb.Statement) -> Statement:
    return Statement.model_validate(
        {
            "city_id": message.city_id,
            "from": day(getattr(message, "from")),
            "to": day(message.to),
            "opening_cents": message.opening_cents,
            "closing_cents": message.closing_cents,
            "lines": [
                StatementLine(
                    posted_at=time_or_none(line.HasField("posted_at"), line.posted_at),
                    transaction_id=line.transaction_id,
                    kind=line.kind,
                    contract_id=line.contract_id,
                    sku=line.sku,
                    memo=line.memo,
                    reference=text_or_none(line.reference),
                    contract_reference=text_or_none(line.contract_reference),
                    text=line.text,
                    amount_cents=line.amount_cents,
                    balance_cents=line.balance_cents,
                )
                for line in message.lines
            ],
            "by_contract": [
                ContractTotal(
                    contract_id=t.contract_id,
                    contract_reference=text_or_none(t.contract_reference),
                    sku=t.sku,
                    name=t.name,
                    amount_cents=t.amount_cents,
                )
                for t in message.by_contract
            ],
        }
    )


def statement_to_proto(statement: Statement) -> pb.Statement:
    return pb.Statement(
        city_id=statement.city_id,
        to=statement.to.isoformat(),
        opening_cents=statement.opening_cents,
        closing_cents=statement.closing_cents,
        lines=[
            pb.StatementLine(
                posted_at=to_timestamp(line.posted_at),
                transaction_id=line.transaction_id,
                kind=line.kind,
                contract_id=line.contract_id,
                sku=line.sku,
                memo=line.memo,
                reference=line.reference or "",
                contract_reference=line.contract_reference or "",
                text=line.text,
                amount_cents=line.amount_cents,
                balance_cents=line.balance_cents,
            )
            for line in statement.lines
        ],
        by_contract=[
            pb.ContractTotal(
                contract_id=t.contract_id,
                contract_reference=t.contract_reference or "",
                sku=t.sku,
                name=t.name,
                amount_cents=t.amount_cents,
            )
            for t in statement.by_contract
        ],
        **{"from": statement.from_.isoformat()},
    )


def use_row_from_proto(message: pb.UseRow) -> UseRow:
    return UseRow(
        contract_id=message.contract_id,
        sku=message.sku,
        name=message.name,
        kind=message.kind,
        vendor_id=message.vendor_id,
        unit_price_cents=message.unit_price_cents,
        city_id=message.city_id,
        quota=message.quota,
        called_off=message.called_off,
        returned=message.returned,
        taken=message.taken,
        holding=message.holding,
        quota_left=message.quota_left,
        cost_cents=message.cost_cents,
    )


def use_row_to_proto(row: UseRow) -> pb.UseRow:
    return pb.UseRow(
        contract_id=row.contract_id,
        sku=row.sku,
        name=row.name,
        kind=row.kind,
        vendor_id=row.vendor_id,
        unit_price_cents=row.unit_price_cents,
        city_id=row.city_id,
        quota=row.quota,
        called_off=row.called_off,
        returned=row.returned,
        taken=row.taken,
        holding=row.holding,
        quota_left=row.quota_left,
        cost_cents=row.cost_cents,
    )


def utilisation_report_from_proto(message: pb.UtilisationReport) -> UtilisationReport:
    return UtilisationReport(rows=[use_row_from_proto(r) for r in message.rows])


def utilisation_report_to_proto(report: UtilisationReport) -> pb.UtilisationReport:
    return pb.UtilisationReport(rows=[use_row_to_proto(r) for r in report.rows])


def renewals_due_from_proto(message: pb.RenewalsDue) -> RenewalsDue:
    return RenewalsDue(
        contracts=[
            RenewalDue(contract=contract_from_proto(d.contract), days_left=d.days_left) for d in message.contracts
        ]
    )


def renewals_due_to_proto(renewals: RenewalsDue) -> pb.RenewalsDue:
    return pb.RenewalsDue(
        contracts=[
            pb.RenewalDue(contract=contract_to_proto(d.contract), days_left=d.days_left) for d in renewals.contracts
        ]
    )


def budget_row_from_proto(message: pb.BudgetRow) -> BudgetRow:
    """A city's year; without a budget set, budget and remaining are null."""
    return BudgetRow(
        city_id=message.city_id,
        year=message.year,
        budget_cents=message.budget_cents if message.has_budget else None,
        actual_cents=message.actual_cents,
        remaining_cents=message.remaining_cents if message.has_budget else None,
    )


def budget_row_to_proto(row: BudgetRow) -> pb.BudgetRow:
    return pb.BudgetRow(
        city_id=row.city_id,
        year=row.year,
        has_budget=row.budget_cents is not None,
        budget_cents=row.budget_cents or 0,
        actual_cents=row.actual_cents,
        remaining_cents=row.remaining_cents or 0,
    )


def budget_report_from_proto(message: pb.BudgetReport) -> BudgetReport:
    return BudgetReport(rows=[budget_row_from_proto(r) for r in message.rows])


def budget_report_to_proto(report: BudgetReport) -> pb.BudgetReport:
    return pb.BudgetReport(rows=[budget_row_to_proto(r) for r in report.rows])


# -- changes of contracts (§ 132 GWB) ---------------------------------------------------------


def change_request_to_proto(
    contract_id: str, body: ContractChangeBody, version: int, idempotency_key: str | None
) -> pb.ChangeContractRequest:
    return pb.ChangeContractRequest(
        contract_id=contract_id,
        kind=to_proto(body.kind, pb.ChangeKind, ChangeKind),
        justification=body.justification,
        legal_ground=to_proto(body.legal_ground, pb.LegalGround, LegalGround),
        unit_price_cents=body.unit_price_cents or 0,
        index_name=body.index_name or "",
        quota_additions=[pb.CityShare(city_id=a.city_id, quantity=a.quantity) for a in body.quota_additions],
        ends_on=body.ends_on.isoformat() if body.ends_on else "",
        vendor_id=body.vendor_id or "",
        expected_version=version,
        idempotency_key=idempotency_key or "",
    )


def change_request_from_proto(request: pb.ChangeContractRequest) -> ContractChangeBody:
    return ContractChangeBody(
        kind=word(request.kind, CHANGE_KINDS),  # unset: refused by the model
        justification=request.justification,
        legal_ground=word(request.legal_ground, LEGAL_GROUNDS),
        unit_price_cents=request.unit_price_cents or None,
        index_name=request.index_name or None,
        quota_additions=[QuotaAddition(city_id=a.city_id, quantity=a.quantity) for a in request.quota_additions],
        ends_on=day_or_none(request.ends_on),
        vendor_id=request.vendor_id or None,
        version=request.expected_version or None,
    )


def _terms_from_proto(message: pb.ContractTerms) -> ContractTerms:
    return ContractTerms(unit_price_cents=message.unit_price_cents, ceiling_quantity=message.ceiling_quantity,
                         ceiling_value_cents=message.ceiling_value_cents, ends_on=day(message.ends_on),
                         vendor_id=message.vendor_id)  # fmt: skip


def _terms_to_proto(terms: ContractTerms) -> pb.ContractTerms:
    return pb.ContractTerms(unit_price_cents=terms.unit_price_cents, ceiling_quantity=terms.ceiling_quantity,
                            ceiling_value_cents=terms.ceiling_value_cents, ends_on=terms.ends_on.isoformat(),
                            vendor_id=terms.vendor_id)  # fmt: skip


def change_from_proto(message: pb.ContractChange) -> ContractChange:
    kind = word(message.kind, CHANGE_KINDS)
    assert kind is not None  # every stored change has its kind
    return ContractChange(
        id=message.id,
        contract_id=message.contract_id,
        sequence=message.sequence,
        kind=kind,
        justification=message.justification,
        legal_ground=word(message.legal_ground, LEGAL_GROUNDS),
        index_name=text_or_none(message.index_name),
        quota_additions=[CityShare(city_id=a.city_id, quantity=a.quantity) for a in message.quota_additions],
        before=_terms_from_proto(message.before),
        after=_terms_from_proto(message.after),
        value_change_cents=message.value_change_cents,
        cumulative_change_cents=message.cumulative_change_cents,
        reference_value_cents=message.reference_value_cents,
        de_minimis_limit_cents=message.de_minimis_limit_cents,
        changed_by=message.changed_by,
        changed_at=time_or_none(message.HasField("changed_at"), message.changed_at),
        replayed=message.replayed,
    )


def change_to_proto(change: ContractChange) -> pb.ContractChange:
    return pb.ContractChange(
        id=change.id,
        contract_id=change.contract_id,
        sequence=change.sequence,
        kind=to_proto(change.kind, pb.ChangeKind, ChangeKind),
        justification=change.justification,
        legal_ground=to_proto(change.legal_ground, pb.LegalGround, LegalGround),
        index_name=change.index_name or "",
        quota_additions=[pb.CityShare(city_id=a.city_id, quantity=a.quantity) for a in change.quota_additions],
        before=_terms_to_proto(change.before),
        after=_terms_to_proto(change.after),
        value_change_cents=change.value_change_cents,
        cumulative_change_cents=change.cumulative_change_cents,
        reference_value_cents=change.reference_value_cents,
        de_minimis_limit_cents=change.de_minimis_limit_cents,
        changed_by=change.changed_by,
        changed_at=to_timestamp(change.changed_at),
        replayed=change.replayed,
    )


def history_from_proto(message: pb.ContractHistory) -> ContractHistory:
    return ContractHistory(
        contract_id=message.contract_id,
        original=_terms_from_proto(message.original),
        current=_terms_from_proto(message.current),
        changes=[change_from_proto(c) for c in message.changes],
        cumulative_change_cents=message.cumulative_change_cents,
        reference_value_cents=message.reference_value_cents,
        de_minimis_limit_cents=message.de_minimis_limit_cents,
        de_minimis_left_cents=message.de_minimis_left_cents,
    )


def history_to_proto(history: ContractHistory) -> pb.ContractHistory:
    return pb.ContractHistory(
        contract_id=history.contract_id,
        original=_terms_to_proto(history.original),
        current=_terms_to_proto(history.current),
        changes=[change_to_proto(c) for c in history.changes],
        cumulative_change_cents=history.cumulative_change_cents,
        reference_value_cents=history.reference_value_cents,
        de_minimis_limit_cents=history.de_minimis_limit_cents,
        de_minimis_left_cents=history.de_minimis_left_cents,
    )


# -- mini-competitions ---------------------------------------------------------


def mini_competition_request_to_proto(
    framework_id: str, body: MiniCompetitionBody, idempotency_key: str | None
) -> pb.StartMiniCompetitionRequest:
    return pb.StartMiniCompetitionRequest(
        framework_id=framework_id,
        quantities=[pb.CityShare(city_id=q.city_id, quantity=q.quantity) for q in body.quantities],
        offers_due_at=to_timestamp(body.offers_due_at),
        description=body.description,
        idempotency_key=idempotency_key or "",
    )


def mini_competition_request_from_proto(request: pb.StartMiniCompetitionRequest) -> MiniCompetitionBody:
    return MiniCompetitionBody(
        quantities=[QuotaAddition(city_id=q.city_id, quantity=q.quantity) for q in request.quantities],
        offers_due_at=time_or_none(request.HasField("offers_due_at"), request.offers_due_at),
        description=request.description,
    )


def offer_to_proto(competition_id: str, body: OfferBody) -> pb.SubmitOfferRequest:
    return pb.SubmitOfferRequest(id=competition_id, unit_price_cents=body.unit_price_cents, note=body.note)


def offer_from_proto(request: pb.SubmitOfferRequest) -> OfferBody:
    return OfferBody(unit_price_cents=request.unit_price_cents, note=request.note)


def mini_competition_from_proto(message: pb.MiniCompetition) -> MiniCompetition:
    return MiniCompetition(
        id=message.id, framework_id=message.framework_id, sku=message.sku, name=message.name, unit=message.unit,
        quantities=[CityShare(city_id=q.city_id, quantity=q.quantity) for q in message.quantities],
        quantity=message.quantity, description=message.description,
        offers_due_at=time_or_none(message.HasField("offers_due_at"), message.offers_due_at),
        status=word(message.status, COMPETITION_STATUSES), created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
        offers=[MiniCompetitionOffer(
            vendor_id=o.vendor_id, contract_id=o.contract_id, unit_price_cents=o.unit_price_cents, note=o.note,
            submitted_at=time_or_none(o.HasField("submitted_at"), o.submitted_at), rank=o.rank,
            price_score_milli=o.price_score_milli, total_score_milli=o.total_score_milli,
        ) for o in message.offers],
        offers_received=message.offers_received, winner_vendor_id=message.winner_vendor_id,
        unit_price_cents=message.unit_price_cents, call_off_ids=list(message.call_off_ids),
        decided_at=time_or_none(message.HasField("decided_at"), message.decided_at), decided_by=message.decided_by,
        replayed=message.replayed,
    )  # fmt: skip


def mini_competition_to_proto(competition: MiniCompetition) -> pb.MiniCompetition:
    return pb.MiniCompetition(
        id=competition.id, framework_id=competition.framework_id, sku=competition.sku, name=competition.name,
        unit=competition.unit,
        quantities=[pb.CityShare(city_id=q.city_id, quantity=q.quantity) for q in competition.quantities],
        quantity=competition.quantity, description=competition.description,
        offers_due_at=to_timestamp(competition.offers_due_at),
        status=to_proto(competition.status, pb.MiniCompetitionStatus, MiniCompetitionStatus),
        created_by=competition.created_by, created_at=to_timestamp(competition.created_at),
        offers=[pb.MiniCompetitionOffer(
            vendor_id=o.vendor_id, contract_id=o.contract_id, unit_price_cents=o.unit_price_cents, note=o.note,
            submitted_at=to_timestamp(o.submitted_at), rank=o.rank, price_score_milli=o.price_score_milli,
            total_score_milli=o.total_score_milli,
        ) for o in competition.offers],
        offers_received=competition.offers_received, winner_vendor_id=competition.winner_vendor_id,
        unit_price_cents=competition.unit_price_cents, call_off_ids=competition.call_off_ids,
        decided_at=timestamp_or_none(competition.decided_at), decided_by=competition.decided_by,
        replayed=competition.replayed,
    )  # fmt: skip


def mini_competitions_query_to_proto(framework_id: str, params: ListParams) -> pb.ListMiniCompetitionsRequest:
    return pb.ListMiniCompetitionsRequest(framework_id=framework_id, page=page_request(params))


def mini_competitions_query_from_proto(request: pb.ListMiniCompetitionsRequest) -> ListParams:
    return list_params_from_proto(request.page)


def mini_competitions_page_from_proto(message: pb.ListMiniCompetitionsResponse) -> Page[MiniCompetition]:
    return Page[MiniCompetition](
        data=[mini_competition_from_proto(c) for c in message.mini_competitions],
        next_cursor=cursor_or_none(message.next_cursor),
    )


def mini_competitions_page_to_proto(page: Page[MiniCompetition]) -> pb.ListMiniCompetitionsResponse:
    return pb.ListMiniCompetitionsResponse(mini_competitions=[mini_competition_to_proto(c) for c in page.data],
                                           next_cursor=page.next_cursor or "")  # fmt: skip
