"""The gateway's client of the contracts service: contracts and their use, the ledger, budgets, reports."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import grpc
from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub

from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.contract_schemas import (
    Budget,
    BudgetBody,
    BudgetReport,
    CallOff,
    CallOffBody,
    Contract,
    ContractChange,
    ContractChangeBody,
    ContractHistory,
    ContractListParams,
    LedgerListParams,
    LedgerTransaction,
    MiniCompetition,
    MiniCompetitionBody,
    MoveBody,
    OfferBody,
    Operation,
    PassOnBody,
    QuotaShift,
    QuotaShiftBody,
    RenewalBody,
    RenewalRound,
    RenewalsDue,
    ReturnBody,
    ReverseBody,
    SharedCostBody,
    Statement,
    Utilisation,
    UtilisationReport,
)
from civicpool_gateway.invoice_schemas import (
    AccrualReport,
    ChargeInvoice,
    ChargeInvoiceListParams,
    ChargeInvoices,
    ChargeIssueBody,
    ChargeVatBody,
    ChargeVatSetting,
    Invoice,
    InvoiceCheck,
    InvoiceLinesExport,
    InvoiceListParams,
    InvoiceReport,
    RejectionBody,
)
from civicpool_gateway.schemas import ListParams, Page
from civicpool_gateway.serde import contracts as serde
from civicpool_gateway.serde import invoices
from civicpool_gateway.versioning import ExpectedVersion


class BudgetSet(NamedTuple):
    budget: Budget
    replayed: bool  # answered from an earlier request with the same Idempotency-Key


class ContractsClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float, report_deadline_seconds: float) -> None:
        super().__init__("contracts", deadline_seconds, report_deadline_seconds)
        self._stub = ContractsServiceStub(channel)

    # -- contracts -------------------------------------------------------------

    async def list_contracts(self, params: ContractListParams, token: str) -> Page[Contract]:
        reply = await self._call(self._stub.ListContracts, serde.contracts_query_to_proto(params), token)
        return serde.contracts_page_from_proto(reply)

    async def get_contract(self, contract_id: str, token: str) -> Contract:
        reply = await self._call(self._stub.GetContract, pb.GetContractRequest(id=contract_id), token)
        return serde.contract_from_proto(reply)

    async def list_call_offs(self, contract_id: str, params: ListParams, token: str) -> Page[CallOff]:
        request = serde.call_offs_query_to_proto(contract_id, params)
        return serde.call_offs_page_from_proto(await self._call(self._stub.ListCallOffs, request, token))

    # -- contracts in use ------------------------------------------------------

    async def call_off(self, contract_id: str, body: CallOffBody, idempotency_key: str | None, token: str) -> Operation:
        request = serde.call_off_to_proto(contract_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.CallOff, request, token))

    async def return_seats(
        self, contract_id: str, body: ReturnBody, idempotency_key: str | None, token: str
    ) -> Operation:
        request = serde.return_to_proto(contract_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.ReturnSeats, request, token))

    async def move_seats(self, contract_id: str, body: MoveBody, idempotency_key: str | None, token: str) -> Operation:
        request = serde.move_to_proto(contract_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.MoveSeats, request, token))

    async def shift_quota(
        self, contract_id: str, body: QuotaShiftBody, idempotency_key: str | None, token: str
    ) -> QuotaShift:
        request = serde.quota_shift_request_to_proto(contract_id, body, idempotency_key)
        return serde.quota_shift_from_proto(await self._call(self._stub.ShiftQuota, request, token))

    async def share_cost(
        self, contract_id: str, body: SharedCostBody, idempotency_key: str | None, token: str
    ) -> Operation:
        request = serde.shared_cost_to_proto(contract_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.ShareCost, request, token))

    async def change_contract(
        self, contract_id: str, body: ContractChangeBody, expected: ExpectedVersion, idempotency_key: str | None,
        token: str,
    ) -> ContractChange:  # fmt: skip
        request = serde.change_request_to_proto(contract_id, body, expected.number, idempotency_key)
        reply = await self._call(self._stub.ChangeContract, request, token, expected=expected)
        return serde.change_from_proto(reply)

    async def contract_history(self, contract_id: str, token: str) -> ContractHistory:
        reply = await self._call(self._stub.GetContractHistory, pb.GetContractRequest(id=contract_id), token)
        return serde.history_from_proto(reply)

    async def utilisation(self, contract_id: str, token: str) -> Utilisation:
        reply = await self._call(self._stub.GetUtilisation, pb.GetContractRequest(id=contract_id), token)
        return serde.utilisation_from_proto(reply)

    async def start_renewal_round(self, contract_id: str, body: RenewalBody | None, token: str) -> RenewalRound:
        request = serde.renewal_request_to_proto(contract_id, body)
        return serde.renewal_round_from_proto(await self._call(self._stub.StartRenewalRound, request, token))

    # -- the ledger ------------------------------------------------------------

    async def list_ledger_transactions(self, params: LedgerListParams, token: str) -> Page[LedgerTransaction]:
        request = serde.ledger_query_to_proto(params)
        return serde.ledger_page_from_proto(await self._call(self._stub.ListLedgerTransactions, request, token))

    async def reverse_transaction(
        self, transaction_id: str, body: ReverseBody, idempotency_key: str | None, token: str
    ) -> Operation:
        request = serde.reversal_to_proto(transaction_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.ReverseTransaction, request, token))

    async def pass_on_call_off(
        self, transaction_id: str, body: PassOnBody, idempotency_key: str | None, token: str
    ) -> Operation:
        request = serde.pass_on_to_proto(transaction_id, body, idempotency_key)
        return serde.operation_from_proto(await self._call(self._stub.PassOnCallOff, request, token))

    # -- mini-competitions -----------------------------------------------------

    async def start_mini_competition(
        self, framework_id: str, body: MiniCompetitionBody, idempotency_key: str | None, token: str
    ) -> MiniCompetition:
        request = serde.mini_competition_request_to_proto(framework_id, body, idempotency_key)
        return serde.mini_competition_from_proto(await self._call(self._stub.StartMiniCompetition, request, token))

    async def list_mini_competitions(self, framework_id: str, params: ListParams, token: str) -> Page[MiniCompetition]:
        request = serde.mini_competitions_query_to_proto(framework_id, params)
        return serde.mini_competitions_page_from_proto(
            await self._call(self._stub.ListMiniCompetitions, request, token)
        )

    async def get_mini_competition(self, competition_id: str, token: str) -> MiniCompetition:
        request = pb.GetMiniCompetitionRequest(id=competition_id)
        return serde.mini_competition_from_proto(await self._call(self._stub.GetMiniCompetition, request, token))

    async def submit_offer(self, competition_id: str, body: OfferBody, token: str) -> MiniCompetition:
        request = serde.offer_to_proto(competition_id, body)
        return serde.mini_competition_from_proto(await self._call(self._stub.SubmitOffer, request, token))

    async def decide_mini_competition(
        self, competition_id: str, idempotency_key: str | None, token: str
    ) -> MiniCompetition:
        request = pb.DecideMiniCompetitionRequest(id=competition_id, idempotency_key=idempotency_key or "")
        return serde.mini_competition_from_proto(await self._call(self._stub.DecideMiniCompetition, request, token))

    # -- e-invoices ------------------------------------------------------------

    async def upload_invoice(self, file_name: str, content: bytes, idempotency_key: str | None, token: str) -> Invoice:
        request = pb.UploadInvoiceRequest(file_name=file_name, content=content, idempotency_key=idempotency_key or "")
        return invoices.invoice_from_proto(await self._call(self._stub.UploadInvoice, request, token))

    async def check_invoice(self, file_name: str, content: bytes, token: str) -> InvoiceCheck:
        request = pb.UploadInvoiceRequest(file_name=file_name, content=content)
        return invoices.invoice_check_from_proto(await self._call(self._stub.CheckInvoice, request, token))

    async def list_invoices(self, params: InvoiceListParams, token: str) -> Page[Invoice]:
        request = invoices.invoices_query_to_proto(params)
        return invoices.invoices_page_from_proto(await self._call(self._stub.ListInvoices, request, token))

    async def get_invoice(self, invoice_id: str, token: str) -> Invoice:
        request = pb.GetInvoiceRequest(id=invoice_id)
        return invoices.invoice_from_proto(await self._call(self._stub.GetInvoice, request, token))

    async def invoice_document(self, invoice_id: str, token: str) -> pb.InvoiceDocument:
        return await self._call(self._stub.GetInvoiceDocument, pb.GetInvoiceRequest(id=invoice_id), token)

    async def approve_invoice(self, invoice_id: str, idempotency_key: str | None, token: str) -> Invoice:
        request = pb.DecideInvoiceRequest(id=invoice_id, idempotency_key=idempotency_key or "")
        return invoices.invoice_from_proto(await self._call(self._stub.ApproveInvoice, request, token))

    async def reject_invoice(
        self, invoice_id: str, body: RejectionBody, idempotency_key: str | None, token: str
    ) -> Invoice:
        request = invoices.rejection_to_proto(invoice_id, body, idempotency_key)
        return invoices.invoice_from_proto(await self._call(self._stub.RejectInvoice, request, token))

    async def invoice_report(self, city_id: str, start: dt.date, end: dt.date, token: str) -> InvoiceReport:
        request = pb.InvoiceReportRequest(city_id=city_id, to=end.isoformat(), **{"from": start.isoformat()})
        return invoices.invoice_report_from_proto(await self._report(self._stub.GetInvoiceReport, request, token))

    async def accrual_report(self, city_id: str, at: dt.date, token: str) -> AccrualReport:
        request = pb.AccrualReportRequest(city_id=city_id, at=at.isoformat())
        return invoices.accrual_report_from_proto(await self._report(self._stub.GetAccrualReport, request, token))

    async def invoice_lines(self, city_id: str, start: dt.date, end: dt.date, token: str) -> InvoiceLinesExport:
        request = pb.InvoiceReportRequest(city_id=city_id, to=end.isoformat(), **{"from": start.isoformat()})
        return invoices.invoice_lines_from_proto(await self._report(self._stub.GetInvoiceLinesExport, request, token))

    async def issue_charges(self, transaction_id: str, body: ChargeIssueBody, token: str) -> ChargeInvoices:
        request = invoices.charge_issue_to_proto(transaction_id, body)
        return invoices.charges_from_proto(await self._call(self._stub.IssueChargeInvoices, request, token))

    async def list_charges(self, params: ChargeInvoiceListParams, token: str) -> Page[ChargeInvoice]:
        request = invoices.charges_query_to_proto(params)
        return invoices.charges_page_from_proto(await self._call(self._stub.ListChargeInvoices, request, token))

    async def get_charge(self, charge_id: str, token: str) -> ChargeInvoice:
        request = pb.GetChargeInvoiceRequest(id=charge_id)
        return invoices.charge_from_proto(await self._call(self._stub.GetChargeInvoice, request, token))

    async def charge_document(self, charge_id: str, token: str) -> pb.InvoiceDocument:
        return await self._call(self._stub.GetChargeInvoiceDocument, pb.GetChargeInvoiceRequest(id=charge_id), token)

    async def charge_vat(self, token: str) -> ChargeVatSetting:
        reply = await self._call(self._stub.GetChargeVat, pb.GetChargeVatRequest(), token)
        return invoices.charge_vat_from_proto(reply)

    async def set_charge_vat(self, body: ChargeVatBody, idempotency_key: str | None, token: str) -> ChargeVatSetting:
        request = invoices.charge_vat_body_to_proto(body, idempotency_key)
        return invoices.charge_vat_from_proto(await self._call(self._stub.SetChargeVat, request, token))

    # -- budgets and reports ---------------------------------------------------

    async def set_budget(
        self,
        city_id: str,
        year: int,
        body: BudgetBody,
        expected: ExpectedVersion,
        idempotency_key: str | None,
        token: str,
    ) -> BudgetSet:
        request = serde.budget_request_to_proto(city_id, year, body, expected.number, idempotency_key)
        reply = await self._call(self._stub.SetBudget, request, token, expected=expected)
        return BudgetSet(serde.budget_from_proto(reply), reply.replayed)

    async def list_budgets(self, year: int | None, token: str) -> list[Budget]:
        """Every budget the caller may see, of one year (None: every year)."""
        reply = await self._call(self._stub.ListBudgets, pb.ListBudgetsRequest(year=year or 0), token)
        return serde.budgets_from_proto(reply)

    async def statement(self, city_id: str, start: dt.date, end: dt.date, token: str) -> Statement:
        request = serde.statement_request_to_proto(city_id, start, end)
        return serde.statement_from_proto(await self._report(self._stub.GetStatement, request, token))

    async def utilisation_report(self, contract_id: str, city_id: str, token: str) -> UtilisationReport:
        request = pb.UtilisationReportRequest(contract_id=contract_id, city_id=city_id)
        return serde.utilisation_report_from_proto(await self._report(self._stub.GetUtilisationReport, request, token))

    async def renewals_due(self, days: int, token: str) -> RenewalsDue:
        reply = await self._report(self._stub.ListRenewalsDue, pb.RenewalsDueRequest(days=days), token)
        return serde.renewals_due_from_proto(reply)

    async def budget_report(self, year: int | None, token: str) -> BudgetReport:
        """Budget against actual charges per city, of one year (None: this year)."""
        reply = await self._report(self._stub.GetBudgetReport, pb.BudgetReportRequest(year=year or 0), token)
        return serde.budget_report_from_proto(reply)
