"""The tenders service's messages and their REST models: tenders and lots, bids, the evaluation, the award."""

from __future__ import annotations

from civicpool.catalog.v1 import catalog_pb2 as catalog_pb
from civicpool.tenders.v1 import tenders_pb2 as pb
from civicpool_common.vocabulary import (
    BidOutcome,
    BidStatus,
    ComplaintOutcome,
    HostingRegion,
    Procedure,
    TenderStatus,
    to_proto,
    words_of,
)

from civicpool_gateway.schemas import CityShare, Page
from civicpool_gateway.serde.contracts import contract_from_proto, contract_to_proto
from civicpool_gateway.serde.fields import (
    cursor_or_none,
    day,
    day_or_none,
    day_text,
    page_request,
    text_or_none,
    time_or_none,
    timestamp_or_none,
    to_timestamp,
    word,
)
from civicpool_gateway.tender_schemas import (
    AwardBody,
    AwardResult,
    Bid,
    BidFields,
    BidPrice,
    BidReplace,
    Complaint,
    ComplaintBody,
    ComplaintOutcomeBody,
    Document,
    DocumentVersion,
    EvaluateBody,
    Evaluation,
    ExternalAwardBody,
    ExternalItem,
    ExternalLot,
    ExternalPrice,
    ExternalProcedure,
    ExternalVendor,
    InformationNotice,
    InformationNoticeLot,
    Lot,
    LotAward,
    LotGroup,
    LotItem,
    Question,
    ScoreFields,
    ScoreRow,
    Standstill,
    Tender,
    TenderCreate,
    TenderEvent,
    TenderListParams,
    TenderPatch,
    VolumeTier,
    Weights,
)

TENDER_STATUSES = words_of(pb.TenderStatus, TenderStatus)
COMPLAINT_OUTCOMES = words_of(pb.ComplaintOutcome, ComplaintOutcome)
PROCEDURES = words_of(pb.Procedure, Procedure)
BID_STATUSES = words_of(pb.BidStatus, BidStatus)
BID_OUTCOMES = words_of(pb.BidOutcome, BidOutcome)
HOSTING_REGIONS = words_of(catalog_pb.HostingRegion, HostingRegion)


# -- tenders -------------------------------------------------------------------


def city_share_from_proto(message: pb.CityShare) -> CityShare:
    return CityShare(city_id=message.city_id, quantity=message.quantity)


def city_share_to_proto(share: CityShare) -> pb.CityShare:
    return pb.CityShare(city_id=share.city_id, quantity=share.quantity)


def lot_item_from_proto(message: pb.LotItem) -> LotItem:
    return LotItem(
        item_id=message.item_id,
        sku=message.sku,
        name=message.name,
        unit=message.unit,
        cpv_code=message.cpv_code,
        kind=message.kind,
        reference_price_cents=message.reference_price_cents,
        quantity=message.quantity,
        estimated_cents=message.estimated_cents,
        shares=[city_share_from_proto(s) for s in message.shares],
    )


def lot_item_to_proto(item: LotItem) -> pb.LotItem:
    return pb.LotItem(
        item_id=item.item_id,
        sku=item.sku,
        name=item.name,
        unit=item.unit,
        cpv_code=item.cpv_code,
        kind=item.kind,
        reference_price_cents=item.reference_price_cents,
        quantity=item.quantity,
        estimated_cents=item.estimated_cents,
        shares=[city_share_to_proto(s) for s in item.shares],
    )


def lot_from_proto(message: pb.Lot) -> Lot:
    return Lot(
        id=message.id,
        number=message.number,
        title=message.title,
        estimated_value_cents=message.estimated_value_cents,
        items=[lot_item_from_proto(i) for i in message.items],
        awarded_bid_id=message.awarded_bid_id,
        framework_bid_ids=list(message.framework_bid_ids),
    )


def lot_to_proto(lot: Lot) -> pb.Lot:
    return pb.Lot(
        id=lot.id,
        number=lot.number,
        title=lot.title,
        estimated_value_cents=lot.estimated_value_cents,
        items=[lot_item_to_proto(i) for i in lot.items],
        awarded_bid_id=lot.awarded_bid_id,
        framework_bid_ids=lot.framework_bid_ids,
    )


def tender_event_from_proto(message: pb.TenderEvent) -> TenderEvent:
    return TenderEvent(
        action=message.action,
        actor=message.actor,
        at=time_or_none(message.HasField("at"), message.at),
        detail=message.detail,
    )


def tender_event_to_proto(event: TenderEvent) -> pb.TenderEvent:
    return pb.TenderEvent(action=event.action, actor=event.actor, at=to_timestamp(event.at), detail=event.detail)


def tender_from_proto(message: pb.Tender) -> Tender:
    return Tender(
        id=message.id,
        reference=message.reference,
        title=message.title,
        description=message.description,
        lead_city_id=message.lead_city_id,
        round_id=message.round_id,
        status=word(message.status, TENDER_STATUSES),
        estimated_value_cents=message.estimated_value_cents,
        participating_city_ids=list(message.participating_city_ids),
        recommended_procedure=word(message.recommended_procedure, PROCEDURES),
        recommendation_reason=message.recommendation_reason,
        procedure=word(message.procedure, PROCEDURES),
        procedure_justification=text_or_none(message.procedure_justification),
        bids_due_at=time_or_none(message.HasField("bids_due_at"), message.bids_due_at),
        questions_due_at=time_or_none(message.HasField("questions_due_at"), message.questions_due_at),
        standstill=message.standstill,
        standstill_ends_on=day_or_none(message.standstill_ends_on),
        contracts_activated_at=time_or_none(message.HasField("contracts_activated_at"), message.contracts_activated_at),
        external=ExternalProcedure(
            platform=message.external.platform,
            notice_number=message.external.notice_number,
            notice_date=day(message.external.notice_date),
        )
        if message.HasField("external")
        else None,
        bids_opened_at=time_or_none(message.HasField("bids_opened_at"), message.bids_opened_at),
        bids_opened_by=text_or_none(message.bids_opened_by),
        cancel_reason=text_or_none(message.cancel_reason),
        lots=[lot_from_proto(lot) for lot in message.lots],
        events=[tender_event_from_proto(e) for e in message.events],
        version=message.version,
        created_by=message.created_by,
        created_at=time_or_none(message.HasField("created_at"), message.created_at),
    )


def tender_to_proto(tender: Tender) -> pb.Tender:
    return pb.Tender(
        id=tender.id,
        reference=tender.reference,
        title=tender.title,
        description=tender.description,
        lead_city_id=tender.lead_city_id,
        round_id=tender.round_id,
        status=to_proto(tender.status, pb.TenderStatus, TenderStatus),
        estimated_value_cents=tender.estimated_value_cents,
        participating_city_ids=tender.participating_city_ids,
        recommended_procedure=to_proto(tender.recommended_procedure, pb.Procedure, Procedure),
        recommendation_reason=tender.recommendation_reason,
        procedure=to_proto(tender.procedure, pb.Procedure, Procedure),
        procedure_justification=tender.procedure_justification or "",
        bids_due_at=timestamp_or_none(tender.bids_due_at),
        questions_due_at=timestamp_or_none(tender.questions_due_at),
        standstill=tender.standstill,
        standstill_ends_on=tender.standstill_ends_on.isoformat() if tender.standstill_ends_on else "",
        contracts_activated_at=timestamp_or_none(tender.contracts_activated_at),
        external=pb.ExternalProcedure(
            platform=tender.external.platform,
            notice_number=tender.external.notice_number,
            notice_date=tender.external.notice_date.isoformat(),
        )
        if tender.external
        else None,
        bids_opened_at=timestamp_or_none(tender.bids_opened_at),
        bids_opened_by=tender.bids_opened_by or "",
        cancel_reason=tender.cancel_reason or "",
        lots=[lot_to_proto(lot) for lot in tender.lots],
        events=[tender_event_to_proto(e) for e in tender.events],
        version=tender.version,
        created_by=tender.created_by,
        created_at=to_timestamp(tender.created_at),
    )


def tender_create_to_proto(body: TenderCreate) -> pb.CreateTenderRequest:
    return pb.CreateTenderRequest(
        round_id=body.round_id,
        title=body.title,
        description=body.description,
        lot_groups=[pb.LotGroup(title=g.title, item_ids=g.item_ids) for g in body.lot_groups],
    )


def tender_create_from_proto(request: pb.CreateTenderRequest) -> TenderCreate:
    return TenderCreate(
        round_id=request.round_id,
        title=request.title,
        description=request.description,
        lot_groups=[LotGroup(title=g.title, item_ids=list(g.item_ids)) for g in request.lot_groups],
    )


def tender_patch_to_proto(tender_id: str, patch: TenderPatch) -> pb.Tender:
    """The tender with the fields a PATCH changes (UpdateTender; `fields.update_mask` names them)."""
    return pb.Tender(
        id=tender_id,
        title=patch.title or "",
        description=patch.description or "",
        bids_due_at=timestamp_or_none(patch.bids_due_at),
        questions_due_at=timestamp_or_none(patch.questions_due_at),
        standstill=bool(patch.standstill),
        procedure=to_proto(patch.procedure, pb.Procedure, Procedure),
        procedure_justification=patch.procedure_justification or "",
    )


def tender_patch_from_proto(message: pb.Tender, mask: list[str]) -> TenderPatch:
    values = {
        "title": message.title,
        "description": message.description,
        "bids_due_at": time_or_none(message.HasField("bids_due_at"), message.bids_due_at),
        "questions_due_at": time_or_none(message.HasField("questions_due_at"), message.questions_due_at),
        "standstill": message.standstill,
        "procedure": word(message.procedure, PROCEDURES),
        "procedure_justification": text_or_none(message.procedure_justification),
    }
    return TenderPatch.model_validate({name: values[name] for name in mask})


def tenders_query_to_proto(params: TenderListParams) -> pb.ListTendersRequest:
    return pb.ListTendersRequest(
        page=page_request(params),
        status=to_proto(params.status, pb.TenderStatus, TenderStatus),
        reference=params.reference or "",
    )


def tenders_query_from_proto(request: pb.ListTendersRequest) -> TenderListParams:
    return TenderListParams(
        limit=request.page.limit,
        cursor=request.page.cursor or None,
        status=word(request.status, TENDER_STATUSES),
        reference=request.reference or None,
    )


def tenders_page_from_proto(reply: pb.ListTendersResponse) -> Page[Tender]:
    return Page[Tender](
        data=[tender_from_proto(t) for t in reply.tenders], next_cursor=cursor_or_none(reply.next_cursor)
    )


def tenders_page_to_proto(page: Page[Tender]) -> pb.ListTendersResponse:
    return pb.ListTendersResponse(tenders=[tender_to_proto(t) for t in page.data], next_cursor=page.next_cursor or "")


# -- bids ----------------------------------------------------------------------


def volume_tier_from_proto(message: pb.VolumeTier) -> VolumeTier:
    return VolumeTier(min_quantity=message.min_quantity, unit_price_cents=message.unit_price_cents)


def volume_tier_to_proto(tier: VolumeTier) -> pb.VolumeTier:
    return pb.VolumeTier(min_quantity=tier.min_quantity, unit_price_cents=tier.unit_price_cents)


def bid_price_from_proto(message: pb.BidPrice) -> BidPrice:
    return BidPrice(
        item_id=message.item_id,
        unit_price_cents=message.unit_price_cents,
        tiers=[volume_tier_from_proto(t) for t in message.tiers],
    )


def bid_price_to_proto(price: BidPrice) -> pb.BidPrice:
    return pb.BidPrice(
        item_id=price.item_id,
        unit_price_cents=price.unit_price_cents,
        tiers=[volume_tier_to_proto(t) for t in price.tiers],
    )


def bid_from_proto(message: pb.Bid) -> Bid:
    return Bid(
        id=message.id,
        tender_id=message.tender_id,
        lot_id=message.lot_id,
        vendor_id=message.vendor_id,
        status=word(message.status, BID_STATUSES),
        prices=[bid_price_from_proto(p) for p in message.prices],
        delivery_days=message.delivery_days,
        hosting_region=word(message.hosting_region, HOSTING_REGIONS),
        dpa_offered=message.dpa_offered,
        open_source=message.open_source,
        version=message.version,
        submitted_by=message.submitted_by,
        submitted_at=time_or_none(message.HasField("submitted_at"), message.submitted_at),
        updated_at=time_or_none(message.HasField("updated_at"), message.updated_at),
        evaluated_price_cents=message.evaluated_price_cents,
        data_protection_proposed=message.data_protection_proposed,
        data_protection_basis=message.data_protection_basis,
        outcome=word(message.outcome, BID_OUTCOMES),
    )


def bid_to_proto(bid: Bid) -> pb.Bid:
    return pb.Bid(
        id=bid.id,
        tender_id=bid.tender_id,
        lot_id=bid.lot_id,
        vendor_id=bid.vendor_id,
        status=to_proto(bid.status, pb.BidStatus, BidStatus),
        prices=[bid_price_to_proto(p) for p in bid.prices],
        delivery_days=bid.delivery_days,
        hosting_region=to_proto(bid.hosting_region, catalog_pb.HostingRegion, HostingRegion),
        dpa_offered=bid.dpa_offered,
        open_source=bid.open_source,
        version=bid.version,
        submitted_by=bid.submitted_by,
        submitted_at=to_timestamp(bid.submitted_at),
        updated_at=to_timestamp(bid.updated_at),
        evaluated_price_cents=bid.evaluated_price_cents,
        data_protection_proposed=bid.data_protection_proposed,
        data_protection_basis=bid.data_protection_basis,
        outcome=to_proto(bid.outcome, pb.BidOutcome, BidOutcome),
    )


def bid_fields_to_proto(fields: BidFields, bid_id: str = "") -> pb.Bid:
    """A bid as a vendor submits it (SubmitBid), or replaces the bid `bid_id` (ReplaceBid)."""
    return pb.Bid(
        id=bid_id,
        lot_id=fields.lot_id,
        prices=[bid_price_to_proto(p) for p in fields.prices],
        delivery_days=fields.delivery_days,
        hosting_region=to_proto(fields.hosting_region, catalog_pb.HostingRegion, HostingRegion),
        dpa_offered=fields.dpa_offered,
        open_source=fields.open_source,
    )


def bid_fields_from_proto(message: pb.Bid) -> BidFields:
    return BidFields(
        lot_id=message.lot_id,
        prices=[bid_price_from_proto(p) for p in message.prices],
        delivery_days=message.delivery_days,
        hosting_region=word(message.hosting_region, HOSTING_REGIONS),
        dpa_offered=message.dpa_offered,
        open_source=message.open_source,
    )


def bid_replace_to_proto(tender_id: str, bid_id: str, body: BidReplace, expected_version: int) -> pb.SubmitBidRequest:
    """A vendor's new bid in place of the bid `bid_id` (ReplaceBid)."""
    return pb.SubmitBidRequest(
        tender_id=tender_id, bid=bid_fields_to_proto(body, bid_id), expected_version=expected_version
    )


def bid_replace_from_proto(request: pb.SubmitBidRequest) -> BidReplace:
    return BidReplace(
        lot_id=request.bid.lot_id,
        prices=[bid_price_from_proto(p) for p in request.bid.prices],
        delivery_days=request.bid.delivery_days,
        hosting_region=word(request.bid.hosting_region, HOSTING_REGIONS),
        dpa_offered=request.bid.dpa_offered,
        open_source=request.bid.open_source,
        version=request.expected_version or None,
    )


def bids_page_from_proto(reply: pb.ListBidsResponse) -> Page[Bid]:
    """Every bid the caller may see: one page (next_cursor null)."""
    return Page[Bid](data=[bid_from_proto(b) for b in reply.bids], next_cursor=None)


def bids_page_to_proto(page: Page[Bid]) -> pb.ListBidsResponse:
    return pb.ListBidsResponse(bids=[bid_to_proto(b) for b in page.data])


# -- evaluation and award ------------------------------------------------------


def weights_from_proto(message: pb.Weights) -> Weights:
    return Weights(price=message.price, quality=message.quality, data_protection=message.data_protection)


def weights_to_proto(weights: Weights) -> pb.Weights:
    return pb.Weights(price=weights.price, quality=weights.quality, data_protection=weights.data_protection)


def score_row_from_proto(message: pb.ScoreRow) -> ScoreRow:
    return ScoreRow(
        lot_id=message.lot_id,
        bid_id=message.bid_id,
        vendor_id=message.vendor_id,
        evaluated_price_cents=message.evaluated_price_cents,
        price_score_milli=message.price_score_milli,
        quality_score=message.quality_score,
        data_protection_score=message.data_protection_score,
        data_protection_proposed=message.data_protection_proposed,
        data_protection_reason=message.data_protection_reason,
        total_score_milli=message.total_score_milli,
        rank=message.rank,
        quality_note=message.quality_note,
        tie_break=message.tie_break,
    )


def score_row_to_proto(row: ScoreRow) -> pb.ScoreRow:
    return pb.ScoreRow(
        lot_id=row.lot_id,
        bid_id=row.bid_id,
        vendor_id=row.vendor_id,
        evaluated_price_cents=row.evaluated_price_cents,
        price_score_milli=row.price_score_milli,
        quality_score=row.quality_score,
        data_protection_score=row.data_protection_score,
        data_protection_proposed=row.data_protection_proposed,
        data_protection_reason=row.data_protection_reason,
        total_score_milli=row.total_score_milli,
        rank=row.rank,
        quality_note=row.quality_note,
        tie_break=row.tie_break,
    )


def evaluation_from_proto(message: pb.Evaluation) -> Evaluation:
    return Evaluation(
        tender_id=message.tender_id,
        weights=weights_from_proto(message.weights),
        evaluated_by=message.evaluated_by,
        evaluated_at=time_or_none(message.HasField("evaluated_at"), message.evaluated_at),
        rows=[score_row_from_proto(r) for r in message.rows],
        tender_version=message.tender_version,
    )


def evaluation_to_proto(evaluation: Evaluation) -> pb.Evaluation:
    return pb.Evaluation(
        tender_id=evaluation.tender_id,
        weights=weights_to_proto(evaluation.weights),
        evaluated_by=evaluation.evaluated_by,
        evaluated_at=timestamp_or_none(evaluation.evaluated_at),
        rows=[score_row_to_proto(r) for r in evaluation.rows],
        tender_version=evaluation.tender_version,
    )


def score_to_proto(score: ScoreFields) -> pb.BidScoreInput:
    """One bid's scores; without `data_protection` the service takes the one proposed from the declarations."""
    return pb.BidScoreInput(
        bid_id=score.bid_id,
        quality=score.quality,
        data_protection=score.data_protection,  # None: unset (an optional field)
        data_protection_reason=score.data_protection_reason,
        quality_note=score.quality_note,
    )


def score_from_proto(message: pb.BidScoreInput) -> ScoreFields:
    return ScoreFields(
        bid_id=message.bid_id,
        quality=message.quality,
        data_protection=message.data_protection if message.HasField("data_protection") else None,
        data_protection_reason=message.data_protection_reason,
        quality_note=message.quality_note,
    )


def evaluate_to_proto(tender_id: str, body: EvaluateBody, expected_version: int) -> pb.EvaluateTenderRequest:
    return pb.EvaluateTenderRequest(
        tender_id=tender_id,
        expected_version=expected_version,
        weights=weights_to_proto(body.weights),
        scores=[score_to_proto(s) for s in body.scores],
    )


def evaluate_from_proto(request: pb.EvaluateTenderRequest) -> EvaluateBody:
    return EvaluateBody(
        weights=weights_from_proto(request.weights),
        scores=[score_from_proto(s) for s in request.scores],
        version=request.expected_version or None,
    )


def lot_award_to_proto(award: LotAward) -> pb.LotAward:
    return pb.LotAward(
        lot_id=award.lot_id, bid_id=award.bid_id, justification=award.justification, vendors=award.vendors
    )


def lot_award_from_proto(award: pb.LotAward) -> LotAward:
    return LotAward(
        lot_id=award.lot_id, bid_id=award.bid_id, justification=award.justification, vendors=award.vendors or 1
    )


def award_to_proto(tender_id: str, body: AwardBody, expected_version: int) -> pb.AwardTenderRequest:
    return pb.AwardTenderRequest(
        tender_id=tender_id,
        expected_version=expected_version,
        awards=[lot_award_to_proto(a) for a in body.awards],
        starts_on=day_text(body.starts_on),
        ends_on=day_text(body.ends_on),
        renewal_notice_on=day_text(body.renewal_notice_on),
    )


def award_from_proto(request: pb.AwardTenderRequest) -> AwardBody:
    return AwardBody(
        awards=[lot_award_from_proto(a) for a in request.awards],
        starts_on=day_or_none(request.starts_on),
        ends_on=day_or_none(request.ends_on),
        renewal_notice_on=day_or_none(request.renewal_notice_on),
        version=request.expected_version or None,
    )


def award_result_from_proto(message: pb.AwardResult) -> AwardResult:
    return AwardResult(
        tender=tender_from_proto(message.tender),
        contracts=[contract_from_proto(c) for c in message.contracts],
        contracts_pending=message.contracts_pending,
    )


def award_result_to_proto(result: AwardResult) -> pb.AwardResult:
    return pb.AwardResult(
        tender=tender_to_proto(result.tender),
        contracts=[contract_to_proto(c) for c in result.contracts],
        contracts_pending=result.contracts_pending,
    )


def document_version_from_proto(v: pb.DocumentVersion) -> DocumentVersion:
    return DocumentVersion(
        version=v.version, file_name=v.file_name, media_type=v.media_type, size_bytes=v.size_bytes,
        sha256=v.sha256, uploaded_by=v.uploaded_by,
        uploaded_at=time_or_none(v.HasField("uploaded_at"), v.uploaded_at),
        after_publication=v.after_publication,
    )  # fmt: skip


def document_version_to_proto(v: DocumentVersion) -> pb.DocumentVersion:
    return pb.DocumentVersion(
        version=v.version, file_name=v.file_name, media_type=v.media_type, size_bytes=v.size_bytes,
        sha256=v.sha256, uploaded_by=v.uploaded_by, uploaded_at=to_timestamp(v.uploaded_at),
        after_publication=v.after_publication,
    )  # fmt: skip


def document_from_proto(message: pb.Document) -> Document:
    versions = [document_version_from_proto(v) for v in message.versions]
    return Document(
        id=message.id, tender_id=message.owner.tender_id, bid_id=text_or_none(message.owner.bid_id),
        title=message.title, version=versions[-1].version if versions else 0, versions=versions,
    )  # fmt: skip


def document_to_proto(document: Document) -> pb.Document:
    return pb.Document(
        id=document.id, owner=pb.DocumentOwner(tender_id=document.tender_id, bid_id=document.bid_id or ""),
        title=document.title, versions=[document_version_to_proto(v) for v in document.versions],
    )  # fmt: skip


def documents_page_to_proto(page: Page[Document]) -> pb.ListDocumentsResponse:
    return pb.ListDocumentsResponse(
        documents=[document_to_proto(d) for d in page.data], next_cursor=page.next_cursor or ""
    )


def documents_page_from_proto(reply: pb.ListDocumentsResponse) -> Page[Document]:
    return Page[Document](
        data=[document_from_proto(d) for d in reply.documents], next_cursor=cursor_or_none(reply.next_cursor)
    )


def question_from_proto(message: pb.Question) -> Question:
    return Question(
        id=message.id, tender_id=message.tender_id, question=message.question,
        asked_at=time_or_none(message.HasField("asked_at"), message.asked_at), answer=text_or_none(message.answer),
        answered_at=time_or_none(message.HasField("answered_at"), message.answered_at),
        answered_by=text_or_none(message.answered_by), vendor_id=text_or_none(message.vendor_id),
        asked_by=text_or_none(message.asked_by), asked_by_you=message.asked_by_caller, version=message.version,
    )  # fmt: skip


def question_to_proto(question: Question) -> pb.Question:
    return pb.Question(
        id=question.id, tender_id=question.tender_id, question=question.question,
        asked_at=to_timestamp(question.asked_at), answer=question.answer or "",
        answered_at=timestamp_or_none(question.answered_at), answered_by=question.answered_by or "",
        vendor_id=question.vendor_id or "", asked_by=question.asked_by or "", asked_by_caller=question.asked_by_you,
        version=question.version,
    )  # fmt: skip


def questions_page_from_proto(reply: pb.ListQuestionsResponse) -> Page[Question]:
    return Page[Question](
        data=[question_from_proto(q) for q in reply.questions], next_cursor=cursor_or_none(reply.next_cursor)
    )


def questions_page_to_proto(page: Page[Question]) -> pb.ListQuestionsResponse:
    return pb.ListQuestionsResponse(
        questions=[question_to_proto(q) for q in page.data], next_cursor=page.next_cursor or ""
    )


# -- after the award decision -----------------------------------------------------------------


def _notice_lot_from_proto(m: pb.InformationNoticeLot) -> InformationNoticeLot:
    return InformationNoticeLot(
        lot_id=m.lot_id, lot_number=m.lot_number, lot_title=m.lot_title, winner_vendor_id=m.winner_vendor_id,
        winner_name=m.winner_name, rank=m.rank, bidders=m.bidders, total_score_milli=m.total_score_milli,
        winner_score_milli=m.winner_score_milli, evaluated_price_cents=m.evaluated_price_cents,
        winner_price_cents=m.winner_price_cents,
    )  # fmt: skip


def _notice_lot_to_proto(lot: InformationNoticeLot) -> pb.InformationNoticeLot:
    return pb.InformationNoticeLot(**lot.model_dump())


def standstill_from_proto(message: pb.Standstill) -> Standstill:
    return Standstill(
        tender_id=message.tender_id,
        applies=message.applies,
        sent_at=time_or_none(message.HasField("sent_at"), message.sent_at),
        days=message.days or None,
        last_day=day_or_none(message.last_day),
        earliest_conclusion_on=day_or_none(message.earliest_conclusion_on),
        legal_basis=text_or_none(message.legal_basis),
        notices=[
            InformationNotice(
                id=n.id,
                vendor_id=n.vendor_id,
                lots=[_notice_lot_from_proto(lot) for lot in n.lots],
                earliest_conclusion_on=day(n.earliest_conclusion_on),
                sent_at=time_or_none(n.HasField("sent_at"), n.sent_at),
                electronic=n.electronic,
            )
            for n in message.notices
        ],
    )


def standstill_to_proto(standstill: Standstill) -> pb.Standstill:
    return pb.Standstill(
        tender_id=standstill.tender_id,
        applies=standstill.applies,
        sent_at=timestamp_or_none(standstill.sent_at),
        days=standstill.days or 0,
        last_day=standstill.last_day.isoformat() if standstill.last_day else "",
        earliest_conclusion_on=(
            standstill.earliest_conclusion_on.isoformat() if standstill.earliest_conclusion_on else ""
        ),
        legal_basis=standstill.legal_basis or "",
        notices=[
            pb.InformationNotice(
                id=n.id,
                vendor_id=n.vendor_id,
                lots=[_notice_lot_to_proto(lot) for lot in n.lots],
                earliest_conclusion_on=n.earliest_conclusion_on.isoformat(),
                sent_at=to_timestamp(n.sent_at),
                electronic=n.electronic,
            )
            for n in standstill.notices
        ],
    )


def complaint_from_proto(m: pb.Complaint) -> Complaint:
    return Complaint(
        id=m.id, tender_id=m.tender_id, received_on=day(m.received_on), chamber=m.chamber,
        reference=text_or_none(m.reference), note=text_or_none(m.note), recorded_by=m.recorded_by,
        recorded_at=time_or_none(m.HasField("recorded_at"), m.recorded_at),
        outcome=word(m.outcome, COMPLAINT_OUTCOMES), decided_on=day_or_none(m.decided_on),
        outcome_note=text_or_none(m.outcome_note), outcome_recorded_by=text_or_none(m.outcome_recorded_by),
        outcome_recorded_at=time_or_none(m.HasField("outcome_recorded_at"), m.outcome_recorded_at),
        version=m.version,
    )  # fmt: skip


def complaint_to_proto(c: Complaint) -> pb.Complaint:
    return pb.Complaint(
        id=c.id, tender_id=c.tender_id, received_on=c.received_on.isoformat(), chamber=c.chamber,
        reference=c.reference or "", note=c.note or "", recorded_by=c.recorded_by,
        recorded_at=to_timestamp(c.recorded_at), outcome=to_proto(c.outcome, pb.ComplaintOutcome, ComplaintOutcome),
        decided_on=c.decided_on.isoformat() if c.decided_on else "", outcome_note=c.outcome_note or "",
        outcome_recorded_by=c.outcome_recorded_by or "", outcome_recorded_at=timestamp_or_none(c.outcome_recorded_at),
        version=c.version,
    )  # fmt: skip


def complaints_page_from_proto(message: pb.ListComplaintsResponse) -> Page[Complaint]:
    return Page[Complaint](
        data=[complaint_from_proto(c) for c in message.complaints], next_cursor=cursor_or_none(message.next_cursor)
    )


def complaints_page_to_proto(page: Page[Complaint]) -> pb.ListComplaintsResponse:
    return pb.ListComplaintsResponse(
        complaints=[complaint_to_proto(c) for c in page.data], next_cursor=page.next_cursor or ""
    )


def complaint_request_to_proto(tender_id: str, body: ComplaintBody) -> pb.RecordComplaintRequest:
    return pb.RecordComplaintRequest(tender_id=tender_id, received_on=body.received_on.isoformat(),
                                     chamber=body.chamber, reference=body.reference, note=body.note)  # fmt: skip


def complaint_request_from_proto(request: pb.RecordComplaintRequest) -> ComplaintBody:
    return ComplaintBody(received_on=day(request.received_on), chamber=request.chamber,
                         reference=request.reference, note=request.note)  # fmt: skip


def outcome_request_to_proto(
    tender_id: str, complaint_id: str, body: ComplaintOutcomeBody, version: int
) -> pb.DecideComplaintRequest:
    return pb.DecideComplaintRequest(
        tender_id=tender_id, complaint_id=complaint_id,
        outcome=to_proto(body.outcome, pb.ComplaintOutcome, ComplaintOutcome),
        decided_on=body.decided_on.isoformat(), note=body.note, expected_version=version,
    )  # fmt: skip


def outcome_request_from_proto(request: pb.DecideComplaintRequest) -> ComplaintOutcomeBody:
    return ComplaintOutcomeBody(
        outcome=word(request.outcome, COMPLAINT_OUTCOMES),  # unset: refused by the model
        decided_on=day(request.decided_on), note=request.note, version=request.expected_version or None,
    )  # fmt: skip


def external_award_to_proto(body: ExternalAwardBody) -> pb.RecordExternalAwardRequest:
    return pb.RecordExternalAwardRequest(
        round_id=body.round_id, title=body.title, description=body.description, platform=body.platform,
        notice_number=body.notice_number, notice_date=body.notice_date.isoformat(),
        procedure=to_proto(body.procedure, pb.Procedure, Procedure),
        lots=[pb.ExternalLot(
            title=lot.title,
            items=[pb.ExternalItem(item_id=i.item_id, estimated_quantity=i.estimated_quantity,
                                   max_quantity=i.max_quantity) for i in lot.items],
            vendors=[pb.ExternalVendor(vendor_id=v.vendor_id, prices=[
                pb.ExternalPrice(item_id=p.item_id, unit_price_cents=p.unit_price_cents) for p in v.prices
            ]) for v in lot.vendors],
        ) for lot in body.lots],
        starts_on=day_text(body.starts_on), ends_on=day_text(body.ends_on),
        renewal_notice_on=day_text(body.renewal_notice_on),
    )  # fmt: skip


def external_award_from_proto(request: pb.RecordExternalAwardRequest) -> ExternalAwardBody:
    return ExternalAwardBody(
        round_id=request.round_id, title=request.title, description=request.description, platform=request.platform,
        notice_number=request.notice_number, notice_date=day(request.notice_date),
        procedure=word(request.procedure, PROCEDURES),  # unset: refused by the model
        lots=[ExternalLot(
            title=lot.title,
            items=[ExternalItem(item_id=i.item_id, estimated_quantity=i.estimated_quantity,
                                max_quantity=i.max_quantity) for i in lot.items],
            vendors=[ExternalVendor(vendor_id=v.vendor_id, prices=[
                ExternalPrice(item_id=p.item_id, unit_price_cents=p.unit_price_cents) for p in v.prices
            ]) for v in lot.vendors],
        ) for lot in request.lots],
        starts_on=day_or_none(request.starts_on), ends_on=day_or_none(request.ends_on),
        renewal_notice_on=day_or_none(request.renewal_notice_on),
    )  # fmt: skip
