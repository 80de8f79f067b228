"""The ContractsService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool.contracts.v1 import contracts_pb2_grpc
from civicpool_common.database import utc_now
from civicpool_common.errors import InvalidArgument
from civicpool_common.grpc_client import open_channel
from civicpool_common.grpc_server import current_principal, periodically
from civicpool_common.paging import PageWindow
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from civicpool_common.timestamps import date_field, timestamp_field, to_timestamp
from civicpool_common.vocabulary import (
    BidOutcome,
    BidStatus,
    ContractStatus,
    HostingRegion,
    Procedure,
    TenderStatus,
    from_proto,
    to_proto,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency, ocds, scoring
from civicpool_contracts.awarding import AwardDecision, ScoreInput
from civicpool_contracts.bids import BidDraft, BidView, bid_prices
from civicpool_contracts.config import ContractsSettings
from civicpool_contracts.lots import LotGroup
from civicpool_contracts.models import Budget, BudgetChange, LedgerEntry, LedgerTransaction
from civicpool_contracts.neighbours import GrpcCatalog, GrpcDemandRounds
from civicpool_contracts.renewals import RenewalService
from civicpool_contracts.reports import ReportService
from civicpool_contracts.service import ContractsService, ContractTerm, ContractView, EvaluationView, TenderView
from civicpool_contracts.usage import Operation, UsageService, Utilisation

Context = grpc.aio.ServicerContext[Any, Any]


def _optional_time(value: dt.datetime | None) -> Any:
    return to_timestamp(value) if value is not None else None


def tender_to_proto(view: TenderView) -> pb.Tender:
    t = view.tender
    hide = view.for_vendor
    message = pb.Tender(
        id=t.id,
        title=t.title,
        description=t.description,
        lead_city_id=t.lead_city_id,
        round_id=t.round_id,
        status=to_proto(t.status, pb.TenderStatus, TenderStatus),
        estimated_value_cents=0 if hide else t.estimated_value_cents,
        created_at=to_timestamp(t.created_at),
        participating_city_ids=t.participating_city_ids,
        recommended_procedure=to_proto(None if hide else t.recommended_procedure, pb.Procedure, Procedure),
        recommendation_reason="" if hide else t.recommendation_reason,
        procedure=to_proto(t.procedure, pb.Procedure, Procedure),
        procedure_justification="" if hide else t.procedure_justification,
        bids_due_at=_optional_time(t.bids_due_at),
        version=t.version,
        created_by=t.created_by,
        cancel_reason=t.cancel_reason,
        bids_opened_at=_optional_time(t.bids_opened_at),
        bids_opened_by=t.bids_opened_by,
        events=[pb.TenderEvent(action=e.action, actor=e.actor, at=to_timestamp(e.at), detail=e.detail)
                for e in view.events],
    )  # fmt: skip
    for lot_view in view.lots:
        lot = message.lots.add(
            id=lot_view.lot.id,
            number=lot_view.lot.number,
            title=lot_view.lot.title,
            estimated_value_cents=0 if hide else lot_view.lot.estimated_value_cents,
            awarded_bid_id=lot_view.lot.awarded_bid_id,
        )
        for item in lot_view.items:
            lot.items.add(
                item_id=item.item_id, sku=item.sku, name=item.name, unit=item.unit, cpv_code=item.cpv_code,
                kind=item.kind, reference_price_cents=0 if hide else item.reference_price_cents,
                quantity=item.quantity, estimated_cents=0 if hide else item.quantity * item.reference_price_cents,
                shares=[pb.CityShare(city_id=s.city_id, quantity=s.quantity)
                        for s in lot_view.shares.get(item.item_id, [])],
            )  # fmt: skip
    return message


def bid_to_proto(view: BidView) -> pb.Bid:
    bid = view.bid
    return pb.Bid(
        id=bid.id,
        tender_id=bid.tender_id,
        lot_id=bid.lot_id,
        vendor_id=bid.vendor_id,
        status=to_proto(bid.status, pb.BidStatus, BidStatus),
        prices=[
            pb.BidPrice(
                item_id=p.item_id,
                unit_price_cents=p.unit_price_cents,
                tiers=[
                    pb.VolumeTier(min_quantity=t.min_quantity, unit_price_cents=t.unit_price_cents) for t in p.tiers
                ],
            )
            for p in bid_prices(bid)
        ],
        delivery_days=bid.delivery_days,
        hosting_region=to_proto(bid.hosting_region or None, catalog_pb.HostingRegion, HostingRegion),
        dpa_offered=bid.dpa_offered,
        open_source=bid.open_source,
        version=bid.version,
        submitted_by=bid.submitted_by,
        submitted_at=to_timestamp(bid.submitted_at),
        updated_at=to_timestamp(bid.updated_at),
        evaluated_price_cents=view.evaluated_price_cents,
        data_protection_proposed=view.data_protection_proposed,
        data_protection_basis=view.data_protection_basis,
        outcome=to_proto(view.outcome, pb.BidOutcome, BidOutcome),
    )


def evaluation_to_proto(view: EvaluationView) -> pb.Evaluation:
    t = view.tender
    return pb.Evaluation(
        tender_id=t.id,
        weights=pb.Weights(price=t.weight_price, quality=t.weight_quality, data_protection=t.weight_data_protection),
        evaluated_by=t.evaluated_by,
        evaluated_at=_optional_time(t.evaluated_at),
        tender_version=t.version,
        rows=[
            pb.ScoreRow(
                lot_id=r.lot_id,
                bid_id=r.bid_id,
                vendor_id=r.vendor_id,
                evaluated_price_cents=r.evaluated_price_cents,
                price_score_milli=r.price_score_milli,
                quality_score=r.quality_score,
                data_protection_score=r.data_protection_score,
                data_protection_proposed=r.data_protection_proposed,
                data_protection_reason=r.data_protection_reason,
                total_score_milli=r.total_score_milli,
                rank=r.rank,
                quality_note=r.quality_note,
                tie_break=r.tie_break,
            )
            for r in view.rows
        ],
    )


def contract_to_proto(view: ContractView) -> pb.Contract:
    c = view.contract
    return pb.Contract(
        id=c.id, tender_id=c.tender_id, lot_id=c.lot_id, bid_id=c.bid_id, vendor_id=c.vendor_id, item_id=c.item_id,
        sku=c.sku, name=c.name, unit=c.unit, kind=c.kind, unit_price_cents=c.unit_price_cents,
        ceiling_quantity=c.ceiling_quantity, ceiling_value_cents=c.ceiling_value_cents,
        starts_on=c.starts_on.isoformat(), ends_on=c.ends_on.isoformat(),
        renewal_notice_on=c.renewal_notice_on.isoformat(),
        status=to_proto(view.status, pb.ContractStatus, ContractStatus),
        quotas=[pb.CityShare(city_id=q.city_id, quantity=q.quantity) for q in view.quotas],
        lead_city_id=c.lead_city_id, version=c.version, created_at=to_timestamp(c.created_at),
    )  # fmt: skip


def posting_to_proto(transaction: LedgerTransaction, entries: Sequence[LedgerEntry]) -> pb.LedgerTransaction:
    return pb.LedgerTransaction(
        id=transaction.id, kind=transaction.kind, contract_id=transaction.contract_id or "", memo=transaction.memo,
        reverses_id=transaction.reverses_id or "", created_by=transaction.created_by,
        created_at=to_timestamp(transaction.created_at),
        entries=[pb.LedgerEntry(account=e.account, amount_cents=e.amount_cents) for e in entries],
    )  # fmt: skip


def operation_to_proto(operation: Operation) -> pb.Operation:
    return pb.Operation(
        id=operation.id,
        kind=operation.kind,
        contract_id=operation.contract.id,
        movements=[
            pb.MovementRecord(city_id=m.city_id, kind=m.kind, quantity=m.quantity, amount_cents=m.amount_cents)
            for m in operation.movements
        ],
        transaction=posting_to_proto(operation.transaction, operation.entries),
        replayed=operation.replayed,
    )


def utilisation_to_proto(use: Utilisation) -> pb.Utilisation:
    c = use.contract
    return pb.Utilisation(
        contract_id=c.id, sku=c.sku, kind=c.kind, unit_price_cents=c.unit_price_cents,
        ceiling_quantity=c.ceiling_quantity, called_off=c.called_off, ceiling_left=c.ceiling_quantity - c.called_off,
        in_pool=c.in_pool,
        cities=[pb.CityUse(city_id=u.city_id, quota=u.quantity, called_off=u.called_off, returned=u.returned,
                           taken=u.taken, holding=u.holding, quota_left=u.quota_left) for u in use.cities],
    )  # fmt: skip


def _budget(budget: Budget | BudgetChange, *, replayed: bool = False) -> pb.Budget:
    return pb.Budget(city_id=budget.city_id, year=budget.year, amount_cents=budget.amount_cents, set_by=budget.set_by,
                     set_at=to_timestamp(budget.set_at), version=budget.version, replayed=replayed)  # fmt: skip


def _bid_draft(message: pb.Bid) -> BidDraft:
    return BidDraft(
        lot_id=message.lot_id,
        prices=[
            scoring.ItemPrice(
                p.item_id.strip(),
                p.unit_price_cents,
                tuple(scoring.Tier(t.min_quantity, t.unit_price_cents) for t in p.tiers),
            )
            for p in message.prices
        ],
        delivery_days=message.delivery_days,
        hosting_region=from_proto(message.hosting_region, catalog_pb.HostingRegion, HostingRegion),
        dpa_offered=message.dpa_offered,
        open_source=message.open_source,
    )


class ContractsServicer(contracts_pb2_grpc.ContractsServiceServicer):
    def __init__(
        self,
        service: ContractsService,
        usage: UsageService,
        reports: ReportService,
        renewals: RenewalService,
        settings: ContractsSettings,
        catalog: GrpcCatalog,
    ) -> None:
        self._service = service
        self._usage = usage
        self._reports = reports
        self._renewals = renewals
        self._settings = settings
        self._catalog = catalog

    # -- contracts in use ------------------------------------------------------------------

    async def CallOff(self, request: pb.CallOffRequest, context: Context) -> pb.Operation:
        operation = await self._usage.call_off(
            current_principal(), request.contract_id, request.city_id, request.quantity,
            from_pool=request.from_pool, key=request.idempotency_key,
        )  # fmt: skip
        return operation_to_proto(operation)

    async def ReturnSeats(self, request: pb.ReturnSeatsRequest, context: Context) -> pb.Operation:
        operation = await self._usage.give_back(
            current_principal(), request.contract_id, request.city_id, request.quantity, key=request.idempotency_key
        )
        return operation_to_proto(operation)

    async def MoveSeats(self, request: pb.MoveSeatsRequest, context: Context) -> pb.Operation:
        operation = await self._usage.move(
            current_principal(), request.contract_id, request.from_city_id, request.to_city_id, request.quantity,
            key=request.idempotency_key,
        )  # fmt: skip
        return operation_to_proto(operation)

    async def ShiftQuota(self, request: pb.ShiftQuotaRequest, context: Context) -> pb.QuotaShift:
        shift, replayed = await self._usage.shift_quota(
            current_principal(), request.contract_id, request.from_city_id, request.to_city_id, request.quantity,
            request.reason, add_party=request.add_party, key=request.idempotency_key,
        )  # fmt: skip
        return pb.QuotaShift(
            id=shift.id, contract_id=shift.contract_id, from_city_id=shift.from_city_id, to_city_id=shift.to_city_id,
            quantity=shift.quantity, reason=shift.reason, created_by=shift.created_by,
            created_at=to_timestamp(shift.created_at), replayed=replayed, adds_party=shift.adds_party,
        )  # fmt: skip

    async def GetUtilisation(self, request: pb.GetContractRequest, context: Context) -> pb.Utilisation:
        return utilisation_to_proto(await self._usage.utilisation(current_principal(), request.id))

    async def ListLedgerTransactions(
        self, request: pb.ListLedgerTransactionsRequest, context: Context
    ) -> pb.ListLedgerTransactionsResponse:
        window = PageWindow.requested(request.page.limit, request.page.cursor)
        postings = await self._usage.transactions(
            current_principal(), contract_id=request.contract_id, city_id=request.city_id, limit=window.fetch,
            after=window.after,
        )  # fmt: skip
        page, next_cursor = window.close(postings, lambda p: p.transaction.id)
        return pb.ListLedgerTransactionsResponse(
            transactions=[posting_to_proto(p.transaction, p.entries) for p in page], next_cursor=next_cursor
        )

    async def ReverseTransaction(self, request: pb.ReverseTransactionRequest, context: Context) -> pb.Operation:
        operation = await self._usage.reverse(
            current_principal(), request.id, request.reason, key=request.idempotency_key
        )
        return operation_to_proto(operation)

    async def ShareCost(self, request: pb.ShareCostRequest, context: Context) -> pb.Operation:
        operation = await self._usage.share_cost(
            current_principal(), request.contract_id, request.amount_cents, request.memo, request.cost_key_id,
            key=request.idempotency_key,
        )  # fmt: skip
        return operation_to_proto(operation)

    async def StartRenewalRound(self, request: pb.StartRenewalRoundRequest, context: Context) -> pb.RenewalRound:
        renewal = await self._renewals.start(
            current_principal(), request.contract_id, timestamp_field(request, "closes_at")
        )
        return pb.RenewalRound(contract_id=renewal.contract_id, round_id=renewal.round_id, existing=renewal.existing)

    # -- finance reports -------------------------------------------------------------------

    async def GetStatement(self, request: pb.StatementRequest, context: Context) -> pb.Statement:
        start, end = date_field(getattr(request, "from"), "from"), date_field(request.to, "to")
        if start is None or end is None:
            raise InvalidArgument.for_field("from" if start is None else "to", "name the period: from and to")
        statement = await self._reports.statement(current_principal(), request.city_id, start, end)
        message = pb.Statement(
            city_id=statement.city_id, to=end.isoformat(), opening_cents=statement.opening_cents,
            closing_cents=statement.closing_cents,
            lines=[pb.StatementLine(posted_at=to_timestamp(x.posted_at), transaction_id=x.transaction_id,
                                    kind=x.kind, contract_id=x.contract_id, sku=x.sku, memo=x.memo,
                                    amount_cents=x.amount_cents, balance_cents=x.balance_cents)
                   for x in statement.lines],
            by_contract=[pb.ContractTotal(contract_id=t.contract_id, sku=t.sku, name=t.name,
                                          amount_cents=t.amount_cents) for t in statement.by_contract],
        )  # fmt: skip
        setattr(message, "from", start.isoformat())
        return message

    async def GetUtilisationReport(
        self, request: pb.UtilisationReportRequest, context: Context
    ) -> pb.UtilisationReport:
        rows = await self._reports.utilisation(current_principal(), request.contract_id, request.city_id)
        return pb.UtilisationReport(rows=[pb.UseRow(**vars(row)) for row in rows])

    async def ListRenewalsDue(self, request: pb.RenewalsDueRequest, context: Context) -> pb.RenewalsDue:
        due = await self._reports.renewals_due(current_principal(), request.days)
        return pb.RenewalsDue(
            contracts=[
                pb.RenewalDue(contract=contract_to_proto(ContractView(d.contract)), days_left=d.days_left) for d in due
            ]
        )

    async def SetBudget(self, request: pb.SetBudgetRequest, context: Context) -> pb.Budget:
        change, replayed = await self._reports.set_budget(
            current_principal(), request.city_id, request.year, request.amount_cents, request.expected_version,
            key=request.idempotency_key,
        )  # fmt: skip
        return _budget(change, replayed=replayed)

    async def ListBudgets(self, request: pb.ListBudgetsRequest, context: Context) -> pb.ListBudgetsResponse:
        budgets = await self._reports.budgets(current_principal(), request.year or None)
        return pb.ListBudgetsResponse(budgets=[_budget(b) for b in budgets])

    async def GetBudgetReport(self, request: pb.BudgetReportRequest, context: Context) -> pb.BudgetReport:
        year = request.year or utc_now().year
        rows = await self._reports.budget_vs_actual(current_principal(), year)
        return pb.BudgetReport(
            rows=[pb.BudgetRow(city_id=r.city_id, year=r.year, has_budget=r.budget_cents is not None,
                               budget_cents=r.budget_cents or 0, actual_cents=r.actual_cents,
                               remaining_cents=r.remaining_cents or 0) for r in rows]
        )  # fmt: skip

    # -- tenders ---------------------------------------------------------------------------

    async def CreateTender(self, request: pb.CreateTenderRequest, context: Context) -> pb.Tender:
        groups = [LotGroup(g.title, [i.strip() for i in g.item_ids]) for g in request.lot_groups]
        view = await self._service.create_tender(
            current_principal(), request.round_id, request.title, request.description, groups
        )
        return tender_to_proto(view)

    async def GetTender(self, request: pb.GetTenderRequest, context: Context) -> pb.Tender:
        return tender_to_proto(await self._service.get_tender(current_principal(), request.id))

    async def ListTenders(self, request: pb.ListTendersRequest, context: Context) -> pb.ListTendersResponse:
        status = from_proto(request.status, pb.TenderStatus, TenderStatus)
        views, next_cursor = await self._service.list_tenders(
            current_principal(), request.page.limit, request.page.cursor, status
        )
        return pb.ListTendersResponse(tenders=[tender_to_proto(v) for v in views], next_cursor=next_cursor)

    async def UpdateTender(self, request: pb.UpdateTenderRequest, context: Context) -> pb.Tender:
        message = request.tender
        readers: dict[str, Callable[[], object]] = {
            "title": lambda: message.title.strip(),
            "description": lambda: message.description.strip(),
            "bids_due_at": lambda: timestamp_field(message, "bids_due_at"),
            "procedure": lambda: _procedure(message.procedure),
            "procedure_justification": lambda: message.procedure_justification.strip(),
        }
        unknown = sorted(set(request.update_mask.paths) - set(readers))
        if unknown:
            raise InvalidArgument.for_field("update_mask", f"unknown or read-only fields: {', '.join(unknown)}")
        changes = {path: readers[path]() for path in request.update_mask.paths}
        view = await self._service.update_tender(current_principal(), message.id, changes, request.expected_version)
        return tender_to_proto(view)

    async def _transition(self, request: pb.TenderTransitionRequest, action: str) -> pb.Tender:
        view = await self._service.transition(
            current_principal(), request.id, action, request.expected_version, request.reason
        )
        return tender_to_proto(view)

    async def PublishTender(self, request: pb.TenderTransitionRequest, context: Context) -> pb.Tender:
        return await self._transition(request, "publish")

    async def CloseBidding(self, request: pb.TenderTransitionRequest, context: Context) -> pb.Tender:
        return await self._transition(request, "close_bidding")

    async def CancelTender(self, request: pb.TenderTransitionRequest, context: Context) -> pb.Tender:
        return await self._transition(request, "cancel")

    async def EvaluateTender(self, request: pb.EvaluateTenderRequest, context: Context) -> pb.Evaluation:
        w = request.weights
        inputs = [
            ScoreInput(s.bid_id, s.quality, s.data_protection if s.HasField("data_protection") else None,
                       s.data_protection_reason, s.quality_note)
            for s in request.scores
        ]  # fmt: skip
        view = await self._service.evaluate(
            current_principal(),
            request.tender_id,
            scoring.Weights(w.price, w.quality, w.data_protection),
            inputs,
            request.expected_version,
        )
        return evaluation_to_proto(view)

    async def GetEvaluation(self, request: pb.GetTenderRequest, context: Context) -> pb.Evaluation:
        return evaluation_to_proto(await self._service.get_evaluation(current_principal(), request.id))

    async def AwardTender(self, request: pb.AwardTenderRequest, context: Context) -> pb.AwardResult:
        term = ContractTerm(
            date_field(request.starts_on, "starts_on"),
            date_field(request.ends_on, "ends_on"),
            date_field(request.renewal_notice_on, "renewal_notice_on"),
        )
        decisions = [AwardDecision(a.lot_id, a.bid_id, a.justification) for a in request.awards]
        view, contracts = await self._service.award(
            current_principal(), request.tender_id, decisions, term, request.expected_version
        )
        return pb.AwardResult(tender=tender_to_proto(view), contracts=[contract_to_proto(c) for c in contracts])

    async def ExportOcds(self, request: pb.GetTenderRequest, context: Context) -> pb.OcdsPackage:
        principal = current_principal()
        view, contracts, bids = await self._service.ocds_inputs(principal, request.id)
        cities = await self._catalog.cities(principal)
        vendors = await self._catalog.vendors(principal)
        package = ocds.release_package(
            view, contracts, bids, cities, vendors, ocid_prefix=self._settings.ocid_prefix, published_at=utc_now()
        )
        return pb.OcdsPackage(json=json.dumps(package, ensure_ascii=False))

    async def SubmitBid(self, request: pb.SubmitBidRequest, context: Context) -> pb.Bid:
        view = await self._service.submit_bid(current_principal(), request.tender_id, _bid_draft(request.bid))
        return bid_to_proto(view)

    async def ReplaceBid(self, request: pb.SubmitBidRequest, context: Context) -> pb.Bid:
        view = await self._service.replace_bid(
            current_principal(), request.tender_id, request.bid.id, _bid_draft(request.bid), request.expected_version
        )
        return bid_to_proto(view)

    async def WithdrawBid(self, request: pb.WithdrawBidRequest, context: Context) -> pb.Bid:
        view = await self._service.withdraw_bid(
            current_principal(), request.tender_id, request.bid_id, request.expected_version
        )
        return bid_to_proto(view)

    async def ListBids(self, request: pb.ListBidsRequest, context: Context) -> pb.ListBidsResponse:
        views = await self._service.list_bids(current_principal(), request.tender_id, request.lot_id)
        return pb.ListBidsResponse(bids=[bid_to_proto(v) for v in views])

    async def GetContract(self, request: pb.GetContractRequest, context: Context) -> pb.Contract:
        return contract_to_proto(await self._service.get_contract(current_principal(), request.id))

    async def ListContracts(self, request: pb.ListContractsRequest, context: Context) -> pb.ListContractsResponse:
        views, next_cursor = await self._service.list_contracts(
            current_principal(), request.page.limit, request.page.cursor, request.tender_id, request.city_id
        )
        return pb.ListContractsResponse(contracts=[contract_to_proto(v) for v in views], next_cursor=next_cursor)


def _procedure(number: int) -> Procedure:
    procedure = from_proto(number, pb.Procedure, Procedure)
    if procedure is None:
        raise InvalidArgument.for_field("procedure", "choose one of " + ", ".join(p.value for p in Procedure))
    return procedure


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], settings: ContractsSettings
) -> AsyncIterator[None]:
    catalog_channel = open_channel(settings.catalog_address, "catalog")
    demand_channel = open_channel(settings.demand_address, "demand")
    identity = ServiceTokens("contracts", settings.client_secret.get_secret_value(), OidcSettings())
    deadline = settings.neighbour_deadline_seconds
    catalog, demand = GrpcCatalog(catalog_channel, deadline), GrpcDemandRounds(demand_channel, deadline, identity)
    service = ContractsService(sessions, demand, catalog, settings.value_limits())
    usage = UsageService(sessions, catalog, settings.eu_threshold_cents)
    reports, renewals = ReportService(sessions, catalog), RenewalService(sessions, demand, catalog)
    servicer = ContractsServicer(service, usage, reports, renewals, settings, catalog)
    contracts_pb2_grpc.add_ContractsServiceServicer_to_server(servicer, server)
    keep = dt.timedelta(hours=settings.idempotency_keep_hours)

    async def forget_old_keys() -> str:
        forgotten = await idempotency.forget_old_keys(sessions, keep)
        return f"forgot {forgotten} idempotency keys older than {keep}" if forgotten else ""

    try:
        async with periodically(forget_old_keys, 3600, "forget old idempotency keys"):
            yield
    finally:
        await catalog_channel.close()
        await demand_channel.close()
        await identity.aclose()
