"""The TendersService servicer: proto <-> domain, nothing else."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import holidays
from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.tenders.v1 import tenders_pb2 as pb
from civicpool.tenders.v1 import tenders_pb2_grpc
from civicpool_common import scoring
from civicpool_common.catalog_replica import MESSAGES, CatalogReplica, following, open_feed
from civicpool_common.errors import InvalidArgument
from civicpool_common.grpc_client import open_channel
from civicpool_common.grpc_server import current_principal, periodically
from civicpool_common.messages import Text
from civicpool_common.notify import NotificationRelay
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.settings import OidcSettings
from civicpool_common.timestamps import date_field, timestamp_field, to_timestamp
from civicpool_common.vocabulary import (
    BidOutcome,
    BidStatus,
    ComplaintOutcome,
    HostingRegion,
    Procedure,
    TenderStatus,
    from_proto,
    to_proto,
)
from google.protobuf import json_format
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_tenders import deadlines
from civicpool_tenders.awarding import AwardDecision, ScoreInput
from civicpool_tenders.bids import BidDraft, BidView, bid_prices
from civicpool_tenders.clients import GrpcAwardContracts, GrpcCatalog, GrpcDemandRounds
from civicpool_tenders.config import TendersSettings
from civicpool_tenders.documents import DocumentService, DocumentView, Limits, Owner, Upload
from civicpool_tenders.external import ExternalAward, ExternalAwards, ExternalItem, ExternalLot, ExternalVendor
from civicpool_tenders.lots import LotGroup
from civicpool_tenders.models import Complaint, DocumentVersion, InformationNotice, NotificationOrder
from civicpool_tenders.questions import QuestionService, QuestionView
from civicpool_tenders.relay import AwardRelay
from civicpool_tenders.rules import ContractTerm
from civicpool_tenders.service import TendersService
from civicpool_tenders.standstill import StandstillService, StandstillView
from civicpool_tenders.views import EvaluationView, TenderView

Context = grpc.aio.ServicerContext[Any, Any]


def _optional_time(value: dt.datetime | None) -> Any:
    return to_timestamp(value) if value is not None else None


def tender_to_proto(view: TenderView) -> pb.Tender:
    t = view.tender
    hide = view.for_vendor
    message = pb.Tender(
        id=t.id,
        reference=t.reference,
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
        questions_due_at=_optional_time(deadlines.questions_due(t)),
        standstill=t.standstill,
        standstill_ends_on=t.standstill_ends_on.isoformat() if t.standstill_ends_on else "",
        contracts_activated_at=_optional_time(t.contracts_activated_at),
        external=pb.ExternalProcedure(
            platform=t.external_platform, notice_number=t.external_notice_number,
            notice_date=t.external_notice_date.isoformat() if t.external_notice_date else "",
        ) if t.external_platform else None,
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
            framework_bid_ids=lot_view.lot.framework_bid_ids,
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


def version_to_proto(version: DocumentVersion) -> pb.DocumentVersion:
    return pb.DocumentVersion(
        version=version.version, file_name=version.file_name, media_type=version.media_type,
        size_bytes=version.size_bytes, sha256=version.sha256, uploaded_by=version.uploaded_by,
        uploaded_at=to_timestamp(version.uploaded_at), after_publication=version.after_publication,
    )  # fmt: skip


def document_to_proto(view: DocumentView) -> pb.Document:
    document = view.document
    return pb.Document(
        id=document.id,
        owner=pb.DocumentOwner(tender_id=document.tender_id, bid_id=document.bid_id),
        title=document.title,
        versions=[version_to_proto(v) for v in view.versions],
    )


def question_to_proto(view: QuestionView) -> pb.Question:
    q = view.question
    return pb.Question(
        id=q.id, tender_id=q.tender_id, question=q.question, asked_at=to_timestamp(q.asked_at), answer=q.answer,
        answered_at=_optional_time(q.answered_at), answered_by=q.answered_by,
        vendor_id=q.vendor_id if view.shows_asker else "", asked_by=q.asked_by if view.shows_asker else "",
        asked_by_caller=view.asked_by_caller, version=q.version,
    )  # fmt: skip


def _owner(message: pb.DocumentOwner) -> Owner:
    return Owner(message.tender_id, message.bid_id)


def standstill_to_proto(view: StandstillView) -> pb.Standstill:
    period = view.period
    notices = [_notice_to_proto(n) for n in view.notices]
    if period is None:  # no standstill runs (any more): the award's notices, as sent, and nothing else
        return pb.Standstill(tender_id=view.tender.id, applies=False, notices=notices)
    return pb.Standstill(
        tender_id=view.tender.id, applies=True, sent_at=to_timestamp(period.sent_at), days=period.days,
        last_day=period.last_day.isoformat(), earliest_conclusion_on=period.earliest_conclusion_on.isoformat(),
        legal_basis=period.legal_basis, notices=notices,
    )  # fmt: skip


def _notice_to_proto(notice: InformationNotice) -> pb.InformationNotice:
    lots = [json_format.ParseDict(lot, pb.InformationNoticeLot()) for lot in notice.lots]  # stored as the message
    return pb.InformationNotice(id=notice.id, vendor_id=notice.vendor_id, lots=lots,
                                earliest_conclusion_on=notice.earliest_conclusion_on.isoformat(),
                                sent_at=to_timestamp(notice.sent_at), electronic=notice.electronic)  # fmt: skip


def complaint_to_proto(c: Complaint) -> pb.Complaint:
    return pb.Complaint(
        id=c.id, tender_id=c.tender_id, received_on=c.received_on.isoformat(), chamber=c.chamber,
        reference=c.reference, note=c.note, recorded_by=c.recorded_by, recorded_at=to_timestamp(c.recorded_at),
        outcome=to_proto(c.outcome or None, pb.ComplaintOutcome, ComplaintOutcome),
        decided_on=c.decided_on.isoformat() if c.decided_on else "", outcome_note=c.outcome_note,
        outcome_recorded_by=c.outcome_recorded_by, outcome_recorded_at=_optional_time(c.outcome_recorded_at),
        version=c.version,
    )  # fmt: skip


class TendersServicer(tenders_pb2_grpc.TendersServiceServicer):
    def __init__(
        self, service: TendersService, documents: DocumentService, questions: QuestionService,
        standstills: StandstillService, external: ExternalAwards, settings: TendersSettings,
    ) -> None:  # fmt: skip
        self._service = service
        self._external = external
        self._documents = documents
        self._questions = questions
        self._standstills = standstills
        self._settings = settings

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
        page = await self._service.list_tenders(
            current_principal(), request.page.limit, request.page.cursor, status, request.reference
        )
        return pb.ListTendersResponse(tenders=[tender_to_proto(v) for v in page.records], next_cursor=page.next_cursor)

    async def UpdateTender(self, request: pb.UpdateTenderRequest, context: Context) -> pb.Tender:
        message = request.tender
        readers: dict[str, Callable[[], object]] = {
            "title": lambda: message.title.strip(),
            "description": lambda: message.description.strip(),
            "bids_due_at": lambda: timestamp_field(message, "bids_due_at"),
            "questions_due_at": lambda: timestamp_field(message, "questions_due_at"),
            "standstill": lambda: message.standstill,
            "procedure": lambda: _procedure(message.procedure),
            "procedure_justification": lambda: message.procedure_justification.strip(),
        }
        unknown = sorted(set(request.update_mask.paths) - set(readers))
        if unknown:
            raise InvalidArgument.for_field(
                "update_mask", Text("unknown or read-only fields: {fields}", fields=", ".join(unknown))
            )
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
        decisions = [AwardDecision(a.lot_id, a.bid_id, a.justification, a.vendors or 1) for a in request.awards]
        view, contracts = await self._service.award(
            current_principal(), request.tender_id, decisions, term, request.expected_version
        )
        return pb.AwardResult(
            tender=tender_to_proto(view), contracts=contracts or [], contracts_pending=contracts is None
        )

    async def RecordExternalAward(self, request: pb.RecordExternalAwardRequest, context: Context) -> pb.AwardResult:
        principal = current_principal()
        lots = [
            ExternalLot(
                lot.title,
                [ExternalItem(i.item_id, i.estimated_quantity, i.max_quantity) for i in lot.items],
                [ExternalVendor(v.vendor_id, {p.item_id: p.unit_price_cents for p in v.prices}) for v in lot.vendors],
            )
            for lot in request.lots
        ]
        award = ExternalAward(
            request.round_id, request.title, request.description, request.platform, request.notice_number,
            date_field(request.notice_date, "notice_date"), from_proto(request.procedure, pb.Procedure, Procedure),
            lots, ContractTerm(date_field(request.starts_on, "starts_on"), date_field(request.ends_on, "ends_on"),
                               date_field(request.renewal_notice_on, "renewal_notice_on")),
        )  # fmt: skip
        tender_id, contracts = await self._external.record(principal, award)
        view = await self._service.get_tender(principal, tender_id)
        return pb.AwardResult(
            tender=tender_to_proto(view), contracts=contracts or [], contracts_pending=contracts is None
        )

    # -- after the award decision -----------------------------------------------------------

    async def GetStandstill(self, request: pb.GetTenderRequest, context: Context) -> pb.Standstill:
        return standstill_to_proto(await self._standstills.view(current_principal(), request.id))

    async def ActivateContracts(self, request: pb.TenderTransitionRequest, context: Context) -> pb.AwardResult:
        principal = current_principal()
        contracts = await self._standstills.activate(principal, request.id, request.expected_version)
        view = await self._service.get_tender(principal, request.id)
        return pb.AwardResult(
            tender=tender_to_proto(view), contracts=contracts or [], contracts_pending=contracts is None
        )

    async def ListComplaints(self, request: pb.ListComplaintsRequest, context: Context) -> pb.ListComplaintsResponse:
        page = await self._standstills.complaints(
            current_principal(), request.tender_id, request.page.limit, request.page.cursor
        )
        return pb.ListComplaintsResponse(
            complaints=[complaint_to_proto(c) for c in page.records], next_cursor=page.next_cursor
        )

    async def RecordComplaint(self, request: pb.RecordComplaintRequest, context: Context) -> pb.Complaint:
        received_on = date_field(request.received_on, "received_on")
        if received_on is None:
            raise InvalidArgument.for_field("received_on", Text("say when the chamber's application was received"))
        complaint = await self._standstills.record_complaint(
            current_principal(), request.tender_id, received_on, request.chamber, request.reference, request.note
        )
        return complaint_to_proto(complaint)

    async def DecideComplaint(self, request: pb.DecideComplaintRequest, context: Context) -> pb.Complaint:
        outcome = from_proto(request.outcome, pb.ComplaintOutcome, ComplaintOutcome)
        decided_on = date_field(request.decided_on, "decided_on")
        if outcome is None or decided_on is None:
            raise InvalidArgument.for_field(
                "outcome" if outcome is None else "decided_on", Text("say what the chamber decided, and when")
            )
        complaint = await self._standstills.decide_complaint(
            current_principal(), request.tender_id, request.complaint_id, outcome.value, decided_on, request.note,
            request.expected_version,
        )  # fmt: skip
        return complaint_to_proto(complaint)

    async def ExportOcds(self, request: pb.GetTenderRequest, context: Context) -> pb.OcdsPackage:
        package = await self._service.ocds_package(current_principal(), request.id, self._settings.ocid_prefix)
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

    # -- documents -------------------------------------------------------------------------

    async def AddDocument(self, request: pb.AddDocumentRequest, context: Context) -> pb.Document:
        upload = Upload(request.file_name, request.content, request.title, request.document_id,
                        request.expected_version)  # fmt: skip
        return document_to_proto(await self._documents.add(current_principal(), _owner(request.owner), upload))

    async def ListDocuments(self, request: pb.ListDocumentsRequest, context: Context) -> pb.ListDocumentsResponse:
        page = await self._documents.list(
            current_principal(), _owner(request.owner), request.page.limit, request.page.cursor
        )
        return pb.ListDocumentsResponse(
            documents=[document_to_proto(v) for v in page.records], next_cursor=page.next_cursor
        )

    async def GetDocument(self, request: pb.GetDocumentRequest, context: Context) -> pb.Document:
        view = await self._documents.get(current_principal(), _owner(request.owner), request.document_id)
        return document_to_proto(view)

    async def ReadDocument(self, request: pb.ReadDocumentRequest, context: Context) -> pb.DocumentChunk:
        version, data = await self._documents.read(
            current_principal(), _owner(request.owner), request.document_id, request.version, request.offset
        )
        return pb.DocumentChunk(version=version_to_proto(version), data=data)

    # -- questions -------------------------------------------------------------------------

    async def AskQuestion(self, request: pb.AskQuestionRequest, context: Context) -> pb.Question:
        return question_to_proto(await self._questions.ask(current_principal(), request.tender_id, request.question))

    async def AnswerQuestion(self, request: pb.AnswerQuestionRequest, context: Context) -> pb.Question:
        view = await self._questions.answer(
            current_principal(), request.tender_id, request.question_id, request.answer, request.expected_version
        )
        return question_to_proto(view)

    async def PublishClarification(self, request: pb.PublishClarificationRequest, context: Context) -> pb.Question:
        return question_to_proto(await self._questions.clarify(current_principal(), request.tender_id, request.text))

    async def ListQuestions(self, request: pb.ListQuestionsRequest, context: Context) -> pb.ListQuestionsResponse:
        page = await self._questions.list(current_principal(), request.tender_id, request.page.limit,
                                          request.page.cursor)  # fmt: skip
        return pb.ListQuestionsResponse(
            questions=[question_to_proto(v) for v in page.records], next_cursor=page.next_cursor
        )


def _procedure(number: int) -> Procedure:
    procedure = from_proto(number, pb.Procedure, Procedure)
    if procedure is None:
        raise InvalidArgument.for_field(
            "procedure", Text("must be one of {values}", values=", ".join(p.value for p in Procedure))
        )
    return procedure


@contextlib.asynccontextmanager
async def register(
    server: grpc.aio.Server, sessions: async_sessionmaker[AsyncSession], settings: TendersSettings
) -> AsyncIterator[None]:
    channels = [open_channel(address, name) for name, address in (
        ("catalog", settings.catalog_address), ("demand", settings.demand_address),
        ("contracts", settings.contracts_address), ("notifications", settings.notifications_address),
    )]  # fmt: skip
    catalog_channel, demand_channel, contracts_channel, notifications_channel = channels
    identity = ServiceTokens("tenders", settings.client_secret.get_secret_value(), OidcSettings())
    deadline = settings.neighbour_deadline_seconds
    replica = CatalogReplica("tenders", open_feed(catalog_channel, identity), MESSAGES)
    catalog = GrpcCatalog(catalog_channel, deadline, replica)
    demand = GrpcDemandRounds(demand_channel, deadline, identity)
    relay = AwardRelay(sessions, GrpcAwardContracts(contracts_channel, deadline, identity))
    public_holidays = holidays.country_holidays("DE", subdiv=settings.holiday_region)
    service = TendersService(sessions, demand, catalog, settings.value_limits(), relay, public_holidays)
    standstills = StandstillService(sessions, relay, public_holidays)
    notices = NotificationRelay(sessions, NotificationOrder, notifications_channel, identity, deadline)
    limits = Limits(settings.max_document_bytes, settings.max_documents_bytes_per_tender)
    documents = DocumentService(sessions, catalog, limits)
    questions = QuestionService(sessions, catalog)
    external = ExternalAwards(sessions, demand, catalog, relay)
    servicer = TendersServicer(service, documents, questions, standstills, external, settings)
    tenders_pb2_grpc.add_TendersServiceServicer_to_server(servicer, server)

    async def remind_ended_standstills() -> str:
        reminded = await standstills.remind_ended()
        return f"reminded the leads of {reminded} ended standstill(s)" if reminded else ""

    try:
        async with (
            following(replica),
            periodically(relay.sweep, settings.relay_interval_seconds, "deliver awards' contracts"),
            periodically(notices.sweep, settings.relay_interval_seconds, "deliver notification events"),
            periodically(remind_ended_standstills, settings.relay_interval_seconds, "remind of ended standstills"),
        ):
            yield
    finally:
        for channel in channels:
            await channel.close()
        await identity.aclose()
