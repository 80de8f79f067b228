"""The ContractsService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool.contracts.v1 import contracts_pb2_grpc
from civicpool_common import messages
from civicpool_common.catalog_replica import MESSAGES, CatalogReplica, following, open_feed
from civicpool_common.database import utc_now
from civicpool_common.errors import InvalidArgument
from civicpool_common.grpc_client import open_channel
from civicpool_common.grpc_server import current_principal, periodically
from civicpool_common.messages import Text
from civicpool_common.notify import NotificationRelay
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from civicpool_common.timestamps import date_field, network_today, timestamp_field, to_timestamp
from civicpool_common.vocabulary import (
    ChangeKind,
    ChargeVat,
    ContractStatus,
    InvoiceStatus,
    LegalGround,
    MiniCompetitionStatus,
    PassOnCause,
    from_proto,
    to_proto,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency
from civicpool_contracts.booking import Booking
from civicpool_contracts.changes import ChangeRequest, ChangeService, History, visible_additions
from civicpool_contracts.charge_settings import ChargeSettings, ChargeVatView
from civicpool_contracts.charges import ChargeService
from civicpool_contracts.clients import GrpcCatalog, GrpcDemandRounds
from civicpool_contracts.closing import close_months
from civicpool_contracts.competitions import CompetitionService, CompetitionView
from civicpool_contracts.config import ContractsSettings
from civicpool_contracts.invoice_reading import problem_text
from civicpool_contracts.invoice_reports import InvoiceReports
from civicpool_contracts.invoices import InvoiceService, InvoiceView
from civicpool_contracts.models import (
    Budget,
    BudgetChange,
    ChargeInvoice,
    ContractChange,
    ContractQuota,
    LedgerEntry,
    LedgerTransaction,
    NotificationOrder,
)
from civicpool_contracts.orders import OrderService
from civicpool_contracts.renewals import RenewalService, remind_notice_dates
from civicpool_contracts.reports import ReportService
from civicpool_contracts.service import AwardedItem, AwardOrder, ContractsService, ContractView
from civicpool_contracts.usage import Operation, UsageService, Utilisation

Context = grpc.aio.ServicerContext[Any, Any]


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
        lead_city_id=c.lead_city_id, version=c.version, created_at=to_timestamp(c.created_at), reference=c.reference,
        framework=framework_to_proto(view) if view.framework else None,
    )  # fmt: skip


def framework_to_proto(view: ContractView) -> pb.Framework:
    assert view.framework is not None
    f = view.framework.framework
    return pb.Framework(
        id=f.id, rank=view.contract.framework_rank, vendors=f.vendors, estimated_quantity=f.estimated_quantity,
        max_quantity=f.max_quantity, estimated_value_cents=f.estimated_value_cents, max_value_cents=f.max_value_cents,
        called_off=f.called_off, called_off_value_cents=f.called_off_value_cents,
        quotas=[pb.FrameworkCityUse(city_id=q.city_id, quota=q.quantity, called_off=q.called_off)
                for q in view.framework.quotas],
    )  # fmt: skip


def posting_to_proto(
    transaction: LedgerTransaction, entries: Sequence[LedgerEntry], booking: Booking | None
) -> pb.LedgerTransaction:
    return pb.LedgerTransaction(
        **_booking_fields(booking),
        id=transaction.id, kind=transaction.kind, contract_id=transaction.contract_id or "", memo=transaction.memo,
        reverses_id=transaction.reverses_id or "", created_by=transaction.created_by,
        created_at=to_timestamp(transaction.created_at),
        entries=[pb.LedgerEntry(account=e.account, amount_cents=e.amount_cents) for e in entries],
    )  # fmt: skip


def _booking_fields(booking: Booking | None) -> dict[str, str]:
    """A posting's reference numbers and its booking text, in the language of the request."""
    if booking is None:
        return {}
    return {
        "reference": booking.reference,
        "contract_reference": booking.contract_reference,
        "text": booking.text().render(messages.current_language.get()),
    }


def operation_to_proto(operation: Operation) -> pb.Operation:
    return pb.Operation(
        id=operation.id,
        kind=operation.kind,
        contract_id=operation.contract.id,
        movements=[
            pb.MovementRecord(city_id=m.city_id, kind=m.kind, quantity=m.quantity, amount_cents=m.amount_cents)
            for m in operation.movements
        ],
        transaction=posting_to_proto(operation.transaction, operation.entries, operation.booking),
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


def _terms(price: int, quantity: int, ends_on: dt.date, vendor_id: str) -> pb.ContractTerms:
    return pb.ContractTerms(unit_price_cents=price, ceiling_quantity=quantity, ceiling_value_cents=price * quantity,
                            ends_on=ends_on.isoformat(), vendor_id=vendor_id)  # fmt: skip


def change_to_proto(
    change: ContractChange, quotas: Sequence[ContractQuota] | None, *, replayed: bool = False
) -> pb.ContractChange:
    """`quotas`: those the caller sees, whose cities' additions it is shown (None: every city)."""
    c = change
    additions = c.quota_additions if quotas is None else visible_additions(c, quotas)
    return pb.ContractChange(
        id=c.id, contract_id=c.contract_id, sequence=c.sequence, kind=to_proto(c.kind, pb.ChangeKind, ChangeKind),
        justification=c.justification, legal_ground=to_proto(c.legal_ground or None, pb.LegalGround, LegalGround),
        index_name=c.index_name,
        quota_additions=[pb.CityShare(city_id=city, quantity=added) for city, added in additions.items()],
        before=_terms(c.unit_price_cents_before, c.ceiling_quantity_before, c.ends_on_before, c.vendor_id_before),
        after=_terms(c.unit_price_cents_after, c.ceiling_quantity_after, c.ends_on_after, c.vendor_id_after),
        value_change_cents=c.value_change_cents, cumulative_change_cents=c.cumulative_change_cents,
        reference_value_cents=c.reference_value_cents, de_minimis_limit_cents=c.de_minimis_limit_cents,
        changed_by=c.changed_by, changed_at=to_timestamp(c.changed_at), replayed=replayed,
    )  # fmt: skip


def history_to_proto(history: History, quotas: Sequence[ContractQuota]) -> pb.ContractHistory:
    original, current, summary = history.original, history.current, history.summary()
    return pb.ContractHistory(
        contract_id=history.contract.id,
        original=_terms(original.unit_price_cents, original.ceiling_quantity, original.ends_on, original.vendor_id),
        current=_terms(current.unit_price_cents, current.ceiling_quantity, current.ends_on, current.vendor_id),
        changes=[change_to_proto(c, quotas) for c in history.changes],
        cumulative_change_cents=summary.cumulative_change_cents,
        reference_value_cents=summary.reference_value_cents, de_minimis_limit_cents=summary.de_minimis_limit_cents,
        de_minimis_left_cents=max(0, summary.de_minimis_limit_cents - summary.cumulative_change_cents),
    )  # fmt: skip


def _budget(budget: Budget | BudgetChange, *, replayed: bool = False) -> pb.Budget:
    return pb.Budget(city_id=budget.city_id, year=budget.year, amount_cents=budget.amount_cents, set_by=budget.set_by,
                     set_at=to_timestamp(budget.set_at), version=budget.version, replayed=replayed)  # fmt: skip


def competition_to_proto(view: CompetitionView, *, replayed: bool = False) -> pb.MiniCompetition:
    c = view.competition
    return pb.MiniCompetition(
        id=c.id, framework_id=c.framework_id, sku=view.contract.sku, name=view.contract.name, unit=view.contract.unit,
        quantities=[pb.CityShare(city_id=city, quantity=quantity) for city, quantity in view.quantities.items()],
        quantity=c.quantity, description=c.description, offers_due_at=to_timestamp(c.offers_due_at),
        status=to_proto(c.status, pb.MiniCompetitionStatus, MiniCompetitionStatus), created_by=c.created_by,
        created_at=to_timestamp(c.created_at),
        offers=[pb.MiniCompetitionOffer(vendor_id=o.vendor_id, contract_id=o.contract_id,
                                        unit_price_cents=o.unit_price_cents, note=o.note,
                                        submitted_at=to_timestamp(o.submitted_at), rank=o.rank,
                                        price_score_milli=o.price_score_milli, total_score_milli=o.total_score_milli)
                for o in view.offers],
        offers_received=view.offers_received, winner_vendor_id=view.winner_vendor_id,
        unit_price_cents=c.unit_price_cents, call_off_ids=view.call_off_ids,
        decided_at=to_timestamp(c.awarded_at) if c.awarded_at else None, decided_by=c.awarded_by, replayed=replayed,
    )  # fmt: skip


def _period_of(request: pb.InvoiceReportRequest) -> tuple[dt.date, dt.date]:
    """A report's period: `to` today by default, `from` the first of `to`'s year."""
    end = date_field(request.to, "to") or network_today()
    return date_field(getattr(request, "from"), "from") or end.replace(month=1, day=1), end


def _charge_vat(view: ChargeVatView) -> pb.ChargeVatSetting:
    return pb.ChargeVatSetting(
        treatment=to_proto(view.treatment, pb.ChargeVat, ChargeVat), set_by=view.set_by,
        set_at=to_timestamp(view.set_at) if view.set_at else None, outside_scope_today=view.today.outside_scope,
        vat_rate_bps_today=view.today.rate_bps, legal_note_today=view.today.note, replayed=view.replayed,
    )  # fmt: skip


def charge_to_proto(c: ChargeInvoice) -> pb.ChargeInvoice:
    return pb.ChargeInvoice(
        id=c.id, number=c.number, transaction_id=c.transaction_id, contract_id=c.contract_id,
        seller_city_id=c.seller_city_id, buyer_city_id=c.buyer_city_id, leitweg_id=c.leitweg_id,
        issue_date=c.issue_date.isoformat(), due_date=c.due_date.isoformat(), net_cents=c.net_cents,
        vat_cents=c.vat_cents, gross_cents=c.gross_cents, vat_category=c.vat_category, vat_rate_bps=c.vat_rate_bps,
        legal_note=c.legal_note, sha256=c.sha256, vat_transaction_id=c.vat_transaction_id, issued_by=c.issued_by,
        issued_at=to_timestamp(c.issued_at),
    )  # fmt: skip


def invoice_to_proto(view: InvoiceView) -> pb.Invoice:
    i, language = view.invoice, messages.current_language.get()
    problem = view.problem()
    return pb.Invoice(
        id=i.id, status=to_proto(i.status, pb.InvoiceStatus, InvoiceStatus), sha256=i.sha256, file_name=i.file_name,
        size_bytes=i.size_bytes, format=i.format, syntax=i.syntax, scenario=i.scenario, number=i.number,
        credit_note=i.credit_note, issue_date=i.issue_date.isoformat() if i.issue_date else "",
        buyer_reference=i.buyer_reference, city_id=i.city_id, vendor_id=i.vendor_id, contract_id=i.contract_id,
        contract_reference=i.contract_reference, order_reference=i.order_reference, currency=i.currency,
        net_cents=i.net_cents, tax_cents=i.tax_cents, gross_cents=i.gross_cents,
        lines=[pb.InvoiceLine(line_id=line.line_id, seller_item_id=line.seller_item_id, name=line.name,
                              quantity=line.quantity, unit_price_cents=line.unit_price_cents, net_cents=line.net_cents,
                              vat_rate_bps=line.vat_rate_bps) for line in view.lines],
        findings=[pb.InvoiceFinding(**finding) for finding in i.findings],
        mismatches=[pb.InvoiceMismatch(line_id=str(m["line_id"]), term=str(m["term"]), expected=str(m["expected"]),
                                       invoiced=str(m["invoiced"]), difference_cents=int(str(m["difference_cents"])),
                                       message=text.render(language))
                    for m, text in zip(i.mismatches, view.mismatch_texts(), strict=True)],
        problem=problem.render(language) if problem else "", duplicate_of=i.duplicate_of, uploaded_by=i.uploaded_by,
        uploaded_at=to_timestamp(i.uploaded_at), decided_by=i.decided_by,
        decided_at=to_timestamp(i.decided_at) if i.decided_at else None, rejection_reason=i.rejection_reason,
        transaction_id=i.transaction_id, replayed=view.replayed,
    )  # fmt: skip


class ContractsServicer(contracts_pb2_grpc.ContractsServiceServicer):
    def __init__(
        self,
        service: ContractsService,
        usage: UsageService,
        reports: ReportService,
        renewals: RenewalService,
        changes: ChangeService,
        competitions: CompetitionService,
        invoices: InvoiceService,
        orders: OrderService,
        invoice_reports: InvoiceReports,
        charge_settings: ChargeSettings,
        charges: ChargeService,
    ) -> None:
        self._service = service
        self._usage = usage
        self._reports = reports
        self._renewals = renewals
        self._changes = changes
        self._competitions = competitions
        self._invoices = invoices
        self._orders = orders
        self._invoice_reports = invoice_reports
        self._charge_settings = charge_settings
        self._charges = charges

    async def GetChargeVat(self, request: pb.GetChargeVatRequest, context: Context) -> pb.ChargeVatSetting:
        return _charge_vat(await self._charge_settings.current(current_principal()))

    async def SetChargeVat(self, request: pb.SetChargeVatRequest, context: Context) -> pb.ChargeVatSetting:
        treatment = from_proto(request.treatment, pb.ChargeVat, ChargeVat)
        if treatment is None:
            raise InvalidArgument.for_field("treatment", Text("say how the cities charge each other VAT"))
        view = await self._charge_settings.set(current_principal(), treatment, key=request.idempotency_key)
        return _charge_vat(view)

    async def GetInvoiceReport(self, request: pb.InvoiceReportRequest, context: Context) -> pb.InvoiceReport:
        start, end = _period_of(request)
        rows = await self._invoice_reports.by_status(current_principal(), request.city_id, start, end)
        return pb.InvoiceReport(city_id=request.city_id, to=end.isoformat(), rows=[pb.InvoiceStatusRow(**vars(r))
                                                                                   for r in rows],
                                **{"from": start.isoformat()})  # fmt: skip

    async def GetAccrualReport(self, request: pb.AccrualReportRequest, context: Context) -> pb.AccrualReport:
        at = date_field(request.at, "at") or network_today()
        rows = await self._invoice_reports.accruals(current_principal(), request.city_id, at)
        return pb.AccrualReport(city_id=request.city_id, at=at.isoformat(), rows=[pb.AccrualRow(**vars(r))
                                                                                   for r in rows])  # fmt: skip

    async def GetInvoiceLinesExport(self, request: pb.InvoiceReportRequest, context: Context) -> pb.InvoiceLinesExport:
        start, end = _period_of(request)
        rows = await self._invoice_reports.approved_lines(current_principal(), request.city_id, start, end)
        return pb.InvoiceLinesExport(
            city_id=request.city_id, to=end.isoformat(), **{"from": start.isoformat()},
            rows=[pb.InvoiceLineRow(**(vars(r) | {"approved_at": to_timestamp(r.approved_at)})) for r in rows],
        )  # fmt: skip

    async def ListCallOffs(self, request: pb.ListCallOffsRequest, context: Context) -> pb.ListCallOffsResponse:
        page = await self._orders.of_contract(
            current_principal(), request.contract_id, request.page.limit, request.page.cursor
        )
        return pb.ListCallOffsResponse(
            call_offs=[pb.CallOff(transaction_id=o.transaction_id, reference=o.reference, city_id=o.city_id,
                                  quantity=o.quantity, unit_price_cents=o.unit_price_cents,
                                  called_off_at=to_timestamp(o.called_off_at), reversed=o.reversed,
                                  leitweg_id=o.leitweg_id, billing_unit=o.billing_unit) for o in page.records],
            next_cursor=page.next_cursor,
        )  # fmt: skip

    # -- e-invoices ------------------------------------------------------------------------

    async def UploadInvoice(self, request: pb.UploadInvoiceRequest, context: Context) -> pb.Invoice:
        view = await self._invoices.upload(
            current_principal(), request.file_name, request.content, key=request.idempotency_key
        )
        return invoice_to_proto(view)

    async def CheckInvoice(self, request: pb.UploadInvoiceRequest, context: Context) -> pb.InvoiceCheck:
        digest, reading = await self._invoices.check(current_principal(), request.content)
        report, problem = reading.report, problem_text(reading.problem)
        return pb.InvoiceCheck(
            accepted=reading.status is None, sha256=digest, format=reading.format,
            syntax=report.syntax if report else "", scenario=report.scenario if report else "",
            number=reading.data.number if reading.data else "",
            findings=[pb.InvoiceFinding(**dataclasses.asdict(f)) for f in report.findings] if report else [],
            problem=problem.render(messages.current_language.get()) if problem else "",
        )  # fmt: skip

    async def ListInvoices(self, request: pb.ListInvoicesRequest, context: Context) -> pb.ListInvoicesResponse:
        status = from_proto(request.status, pb.InvoiceStatus, InvoiceStatus) or ""
        page = await self._invoices.list(
            current_principal(), city_id=request.city_id, vendor_id=request.vendor_id,
            contract_id=request.contract_id, status=status, limit=request.page.limit, cursor=request.page.cursor,
        )  # fmt: skip
        return pb.ListInvoicesResponse(invoices=[invoice_to_proto(v) for v in page.records],
                                       next_cursor=page.next_cursor)  # fmt: skip

    async def GetInvoice(self, request: pb.GetInvoiceRequest, context: Context) -> pb.Invoice:
        return invoice_to_proto(await self._invoices.get(current_principal(), request.id))

    async def GetInvoiceDocument(self, request: pb.GetInvoiceRequest, context: Context) -> pb.InvoiceDocument:
        invoice, content = await self._invoices.document(current_principal(), request.id)
        media_type = "application/pdf" if invoice.format == "pdf" else "application/xml"
        return pb.InvoiceDocument(file_name=invoice.file_name, media_type=media_type, sha256=invoice.sha256,
                                  content=content)  # fmt: skip

    async def ApproveInvoice(self, request: pb.DecideInvoiceRequest, context: Context) -> pb.Invoice:
        return invoice_to_proto(
            await self._invoices.approve(current_principal(), request.id, key=request.idempotency_key)
        )

    async def RejectInvoice(self, request: pb.DecideInvoiceRequest, context: Context) -> pb.Invoice:
        return invoice_to_proto(
            await self._invoices.reject(current_principal(), request.id, request.reason, key=request.idempotency_key)
        )

    # -- charges to member cities ----------------------------------------------------------

    async def IssueChargeInvoices(self, request: pb.IssueChargeInvoicesRequest, context: Context) -> pb.ChargeInvoices:
        issued = await self._charges.issue(current_principal(), request.transaction_id, request.payment_days)
        return pb.ChargeInvoices(invoices=[charge_to_proto(c) for c in issued.invoices], existing=issued.existing)

    async def ListChargeInvoices(
        self, request: pb.ListChargeInvoicesRequest, context: Context
    ) -> pb.ListChargeInvoicesResponse:
        page = await self._charges.list(
            current_principal(), transaction_id=request.transaction_id, city_id=request.city_id,
            limit=request.page.limit, cursor=request.page.cursor,
        )  # fmt: skip
        return pb.ListChargeInvoicesResponse(invoices=[charge_to_proto(c) for c in page.records],
                                             next_cursor=page.next_cursor)  # fmt: skip

    async def GetChargeInvoice(self, request: pb.GetChargeInvoiceRequest, context: Context) -> pb.ChargeInvoice:
        return charge_to_proto(await self._charges.get(current_principal(), request.id))

    async def GetChargeInvoiceDocument(
        self, request: pb.GetChargeInvoiceRequest, context: Context
    ) -> pb.InvoiceDocument:
        charge = await self._charges.get(current_principal(), request.id, with_document=True)
        return pb.InvoiceDocument(file_name=f"{charge.number}.xml", media_type="application/xml",
                                  sha256=charge.sha256, content=charge.content)  # fmt: skip

    # -- mini-competitions -----------------------------------------------------------------

    async def StartMiniCompetition(
        self, request: pb.StartMiniCompetitionRequest, context: Context
    ) -> pb.MiniCompetition:
        quantities = _per_city(request.quantities, "quantities")
        due = timestamp_field(request, "offers_due_at")
        if due is None:
            raise InvalidArgument.for_field("offers_due_at", Text("say by when the vendors offer"))
        view, replayed = await self._competitions.start(
            current_principal(), request.framework_id, quantities, due, request.description, key=request.idempotency_key
        )
        return competition_to_proto(view, replayed=replayed)

    async def ListMiniCompetitions(
        self, request: pb.ListMiniCompetitionsRequest, context: Context
    ) -> pb.ListMiniCompetitionsResponse:
        page = await self._competitions.of_framework(
            current_principal(), request.framework_id, request.page.limit, request.page.cursor
        )
        return pb.ListMiniCompetitionsResponse(
            mini_competitions=[competition_to_proto(v) for v in page.records], next_cursor=page.next_cursor
        )

    async def GetMiniCompetition(self, request: pb.GetMiniCompetitionRequest, context: Context) -> pb.MiniCompetition:
        return competition_to_proto(await self._competitions.get(current_principal(), request.id))

    async def SubmitOffer(self, request: pb.SubmitOfferRequest, context: Context) -> pb.MiniCompetition:
        view = await self._competitions.submit_offer(
            current_principal(), request.id, request.unit_price_cents, request.note
        )
        return competition_to_proto(view)

    async def DecideMiniCompetition(
        self, request: pb.DecideMiniCompetitionRequest, context: Context
    ) -> pb.MiniCompetition:
        view, replayed = await self._competitions.decide(current_principal(), request.id, key=request.idempotency_key)
        return competition_to_proto(view, replayed=replayed)

    # -- contracts in use ------------------------------------------------------------------

    async def CallOff(self, request: pb.CallOffRequest, context: Context) -> pb.Operation:
        operation = await self._usage.call_off(
            current_principal(), request.contract_id, request.city_id, request.quantity,
            from_pool=request.from_pool, key=request.idempotency_key,
        )  # fmt: skip
        return operation_to_proto(operation)

    async def ReturnSeats(self, request: pb.ReturnSeatsRequest, context: Context) -> pb.Operation:
        operation = await self._usage.return_seats(
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

    async def ChangeContract(self, request: pb.ChangeContractRequest, context: Context) -> pb.ContractChange:
        kind = from_proto(request.kind, pb.ChangeKind, ChangeKind)
        if kind is None:
            raise InvalidArgument.for_field("kind", Text("name the kind of change"))
        ground = from_proto(request.legal_ground, pb.LegalGround, LegalGround)
        additions = _per_city(request.quota_additions, "quota_additions")
        change = ChangeRequest(
            kind.value, request.justification, ground.value if ground else "", request.unit_price_cents,
            request.index_name, additions, date_field(request.ends_on, "ends_on"), request.vendor_id,
        )  # fmt: skip
        principal = current_principal()
        done, replayed = await self._changes.change(
            principal, request.contract_id, change, expected_version=request.expected_version,
            key=request.idempotency_key,
        )  # fmt: skip
        return change_to_proto(done, None, replayed=replayed)  # a lead of the lead city sees every city

    async def GetContractHistory(self, request: pb.GetContractRequest, context: Context) -> pb.ContractHistory:
        history, quotas = await self._changes.history(current_principal(), request.id)
        return history_to_proto(history, quotas)

    async def GetUtilisation(self, request: pb.GetContractRequest, context: Context) -> pb.Utilisation:
        return utilisation_to_proto(await self._usage.utilisation(current_principal(), request.id))

    async def ListLedgerTransactions(
        self, request: pb.ListLedgerTransactionsRequest, context: Context
    ) -> pb.ListLedgerTransactionsResponse:
        page = await self._usage.transactions(
            current_principal(), contract_id=request.contract_id, city_id=request.city_id, limit=request.page.limit,
            cursor=request.page.cursor, reference=request.reference,
        )  # fmt: skip
        return pb.ListLedgerTransactionsResponse(
            transactions=[posting_to_proto(p.transaction, p.entries, p.booking) for p in page.records],
            next_cursor=page.next_cursor,
        )

    async def ReverseTransaction(self, request: pb.ReverseTransactionRequest, context: Context) -> pb.Operation:
        operation = await self._usage.reverse(
            current_principal(), request.id, request.reason, key=request.idempotency_key
        )
        return operation_to_proto(operation)

    async def PassOnCallOff(self, request: pb.PassOnCallOffRequest, context: Context) -> pb.Operation:
        cause = from_proto(request.cause, pb.PassOnCause, PassOnCause)
        if cause is None:
            raise InvalidArgument.for_field("cause", Text("say why: the vendor declined, or cannot deliver in time"))
        operation = await self._competitions.pass_on(
            current_principal(), request.id, cause, request.reason, key=request.idempotency_key
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
            raise InvalidArgument.for_field("from" if start is None else "to", Text("name the period: from and to"))
        statement = await self._reports.statement(current_principal(), request.city_id, start, end)
        message = pb.Statement(
            city_id=statement.city_id, to=end.isoformat(), opening_cents=statement.opening_cents,
            closing_cents=statement.closing_cents,
            lines=[pb.StatementLine(posted_at=to_timestamp(x.posted_at), transaction_id=x.transaction_id,
                                    kind=x.kind, contract_id=x.contract_id, sku=x.sku, memo=x.memo,
                                    amount_cents=x.amount_cents, balance_cents=x.balance_cents,
                                    **_booking_fields(x.booking))
                   for x in statement.lines],
            by_contract=[pb.ContractTotal(contract_id=t.contract_id, sku=t.sku, name=t.name,
                                          amount_cents=t.amount_cents, contract_reference=t.contract_reference)
                         for t in statement.by_contract],
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

    async def CreateAwardContracts(
        self, request: pb.CreateAwardContractsRequest, context: Context
    ) -> pb.AwardContracts:
        views = await self._service.create_award_contracts(award_order_from_proto(request))
        return pb.AwardContracts(contracts=[contract_to_proto(v) for v in views])

    async def ListAwardContracts(self, request: pb.ListAwardContractsRequest, context: Context) -> pb.AwardContracts:
        views = await self._service.award_contracts(request.tender_id)
        return pb.AwardContracts(contracts=[contract_to_proto(v) for v in views])

    async def GetContract(self, request: pb.GetContractRequest, context: Context) -> pb.Contract:
        return contract_to_proto(await self._service.get_contract(current_principal(), request.id))

    async def ListContracts(self, request: pb.ListContractsRequest, context: Context) -> pb.ListContractsResponse:
        page = await self._service.list_contracts(
            current_principal(),
            request.page.limit,
            request.page.cursor,
            request.tender_id,
            request.city_id,
            request.reference,
        )
        return pb.ListContractsResponse(
            contracts=[contract_to_proto(v) for v in page.records], next_cursor=page.next_cursor
        )


def _per_city(shares: Sequence[pb.CityShare], field: str) -> dict[str, int]:
    """City -> quantity of a request's shares; a city named twice is refused by the field's name."""
    found: dict[str, int] = {}
    for share in shares:
        if share.city_id in found:
            raise InvalidArgument.for_field(field, Text("name each city once"))
        found[share.city_id] = share.quantity
    return found


def award_order_from_proto(message: pb.CreateAwardContractsRequest) -> AwardOrder:
    items = [
        AwardedItem(
            i.contract_id, i.lot_id, i.bid_id, i.vendor_id, i.item_id, i.sku, i.name, i.unit, i.kind,
            i.unit_price_cents, i.ceiling_quantity, {q.city_id: q.quantity for q in i.quotas}, i.framework_id,
            i.framework_rank or 1, i.estimated_quantity, i.quality_score, i.data_protection_score,
        )
        for i in message.items
    ]  # fmt: skip
    term = [date_field(getattr(message, name), name) for name in ("starts_on", "ends_on", "renewal_notice_on")]
    starts_on, ends_on, notice_on = (day or dt.date.min for day in term)  # a missing day: the CHECKs refuse it
    awarded_at = timestamp_field(message, "awarded_at")  # within the range of times, or refused
    if awarded_at is None:
        raise InvalidArgument.for_field("awarded_at", Text("say when the award was made"))
    state = {pb.AWARD_STATE_PENDING: ContractStatus.PENDING, pb.AWARD_STATE_REVOKED: ContractStatus.REVOKED}.get(
        message.state, ContractStatus.ACTIVE
    )
    weights = (message.price_weight, message.quality_weight, message.data_protection_weight)
    return AwardOrder(
        message.tender_id, message.lead_city_id, message.awarded_by, awarded_at,
        starts_on, ends_on, notice_on, items, state, weights if any(weights) else (100, 0, 0),
    )  # fmt: skip


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], settings: ContractsSettings
) -> AsyncIterator[None]:
    catalog_channel = open_channel(settings.catalog_address, "catalog")
    demand_channel = open_channel(settings.demand_address, "demand")
    notifications_channel = open_channel(settings.notifications_address, "notifications")
    identity = ServiceTokens("contracts", settings.client_secret.get_secret_value(), OidcSettings())
    deadline = settings.neighbour_deadline_seconds
    replica = CatalogReplica("contracts", open_feed(catalog_channel, identity), MESSAGES)
    catalog = GrpcCatalog(catalog_channel, deadline, replica)
    demand = GrpcDemandRounds(demand_channel, deadline, identity)
    service = ContractsService(sessions)
    usage = UsageService(sessions, catalog, settings.eu_threshold_cents)
    reports, renewals = ReportService(sessions, catalog), RenewalService(sessions, demand, catalog)
    changes = ChangeService(sessions, catalog, settings.eu_threshold_cents)
    competitions = CompetitionService(sessions, catalog, usage)
    invoices, orders = InvoiceService(sessions, catalog), OrderService(sessions, catalog)
    servicer = ContractsServicer(
        service,
        usage,
        reports,
        renewals,
        changes,
        competitions,
        invoices,
        orders,
        InvoiceReports(sessions),
        ChargeSettings(sessions),
        ChargeService(sessions, catalog),
    )
    contracts_pb2_grpc.add_ContractsServiceServicer_to_server(servicer, server)
    notices = NotificationRelay(sessions, NotificationOrder, notifications_channel, identity, deadline)
    keep = dt.timedelta(hours=settings.idempotency_keep_hours)

    async def forget_old_keys() -> str:
        forgotten = await idempotency.forget_old_keys(sessions, keep)
        return f"forgot {forgotten} idempotency keys older than {keep}" if forgotten else ""

    async def renewal_notices() -> str:
        added = await remind_notice_dates(sessions, network_today())
        return f"added {added} renewal notice(s)" if added else ""

    async def close_ledger_months() -> str:
        months = await close_months(sessions, utc_now())
        return f"closed the ledger's months {', '.join(m.strftime('%Y-%m') for m in months)}" if months else ""

    try:
        async with (
            following(replica),
            periodically(close_ledger_months, settings.close_interval_seconds, "close the ledger's months"),
            periodically(forget_old_keys, 3600, "forget old idempotency keys"),
            periodically(renewal_notices, settings.notice_interval_seconds, "add renewal notices"),
            periodically(notices.sweep, settings.relay_interval_seconds, "deliver notification events"),
        ):
            yield
    finally:
        await catalog_channel.close()
        await demand_channel.close()
        await notifications_channel.close()
        await identity.aclose()
