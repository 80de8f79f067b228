"""The gateway's client of the tenders service: tenders, bids, the evaluation, the award, the OCDS export."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from civicpool.tenders.v1 import tenders_pb2 as pb
from civicpool.tenders.v1.tenders_pb2_grpc import TendersServiceStub

from civicpool_gateway.clients.base import ServiceClient
from civicpool_gateway.schemas import ListParams, Page
from civicpool_gateway.serde import tenders as serde
from civicpool_gateway.serde.fields import page_request, update_mask
from civicpool_gateway.tender_schemas import (
    AwardBody,
    AwardResult,
    Bid,
    BidFields,
    BidReplace,
    Complaint,
    ComplaintBody,
    ComplaintOutcomeBody,
    Document,
    DocumentVersion,
    EvaluateBody,
    Evaluation,
    ExternalAwardBody,
    Question,
    Standstill,
    Tender,
    TenderCreate,
    TenderListParams,
    TenderPatch,
)
from civicpool_gateway.versioning import ExpectedVersion


@dataclass(frozen=True)
class DocumentOwner:
    """A tender's documents (bid_id ""), or one bid's."""

    tender_id: str
    bid_id: str = ""

    def message(self) -> pb.DocumentOwner:
        return pb.DocumentOwner(tender_id=self.tender_id, bid_id=self.bid_id)


@dataclass(frozen=True)
class DocumentUpload:
    file_name: str
    content: bytes
    title: str = ""
    document_id: str = ""  # "": a new document, else its next version


@dataclass(frozen=True)
class DocumentPiece:
    version: DocumentVersion
    data: bytes


class TendersClient(ServiceClient):
    def __init__(self, channel: grpc.aio.Channel, deadline_seconds: float) -> None:
        super().__init__("tenders", deadline_seconds)
        self._stub = TendersServiceStub(channel)

    # -- tenders ---------------------------------------------------------------

    async def list_tenders(self, params: TenderListParams, token: str) -> Page[Tender]:
        reply = await self._call(self._stub.ListTenders, serde.tenders_query_to_proto(params), token)
        return serde.tenders_page_from_proto(reply)

    async def get_tender(self, tender_id: str, token: str) -> Tender:
        reply = await self._call(self._stub.GetTender, pb.GetTenderRequest(id=tender_id), token)
        return serde.tender_from_proto(reply)

    async def create_tender(self, body: TenderCreate, token: str) -> Tender:
        reply = await self._call(self._stub.CreateTender, serde.tender_create_to_proto(body), token)
        return serde.tender_from_proto(reply)

    async def update_tender(self, tender_id: str, patch: TenderPatch, expected: ExpectedVersion, token: str) -> Tender:
        request = pb.UpdateTenderRequest(
            tender=serde.tender_patch_to_proto(tender_id, patch),
            update_mask=update_mask(patch),
            expected_version=expected.number,
        )
        return serde.tender_from_proto(await self._call(self._stub.UpdateTender, request, token, expected=expected))

    async def publish_tender(self, tender_id: str, expected: ExpectedVersion, token: str) -> Tender:
        request = pb.TenderTransitionRequest(id=tender_id, expected_version=expected.number)
        return serde.tender_from_proto(await self._call(self._stub.PublishTender, request, token, expected=expected))

    async def close_bidding(self, tender_id: str, expected: ExpectedVersion, token: str) -> Tender:
        request = pb.TenderTransitionRequest(id=tender_id, expected_version=expected.number)
        return serde.tender_from_proto(await self._call(self._stub.CloseBidding, request, token, expected=expected))

    async def cancel_tender(self, tender_id: str, reason: str, expected: ExpectedVersion, token: str) -> Tender:
        request = pb.TenderTransitionRequest(id=tender_id, expected_version=expected.number, reason=reason)
        return serde.tender_from_proto(await self._call(self._stub.CancelTender, request, token, expected=expected))

    async def evaluate_tender(
        self, tender_id: str, body: EvaluateBody, expected: ExpectedVersion, token: str
    ) -> Evaluation:
        request = serde.evaluate_to_proto(tender_id, body, expected.number)
        reply = await self._call(self._stub.EvaluateTender, request, token, expected=expected)
        return serde.evaluation_from_proto(reply)

    async def get_evaluation(self, tender_id: str, token: str) -> Evaluation:
        reply = await self._call(self._stub.GetEvaluation, pb.GetTenderRequest(id=tender_id), token)
        return serde.evaluation_from_proto(reply)

    async def award_tender(self, tender_id: str, body: AwardBody, expected: ExpectedVersion, token: str) -> AwardResult:
        request = serde.award_to_proto(tender_id, body, expected.number)
        reply = await self._call(self._stub.AwardTender, request, token, expected=expected)
        return serde.award_result_from_proto(reply)

    async def record_external_award(self, body: ExternalAwardBody, token: str) -> AwardResult:
        reply = await self._call(self._stub.RecordExternalAward, serde.external_award_to_proto(body), token)
        return serde.award_result_from_proto(reply)

    # -- after the award decision --------------------------------------------------------

    async def standstill(self, tender_id: str, token: str) -> Standstill:
        reply = await self._call(self._stub.GetStandstill, pb.GetTenderRequest(id=tender_id), token)
        return serde.standstill_from_proto(reply)

    async def activate_contracts(self, tender_id: str, expected: ExpectedVersion, token: str) -> AwardResult:
        request = pb.TenderTransitionRequest(id=tender_id, expected_version=expected.number)
        reply = await self._call(self._stub.ActivateContracts, request, token, expected=expected)
        return serde.award_result_from_proto(reply)

    async def complaints(self, tender_id: str, params: ListParams, token: str) -> Page[Complaint]:
        request = pb.ListComplaintsRequest(tender_id=tender_id, page=page_request(params))
        return serde.complaints_page_from_proto(await self._call(self._stub.ListComplaints, request, token))

    async def record_complaint(self, tender_id: str, body: ComplaintBody, token: str) -> Complaint:
        request = serde.complaint_request_to_proto(tender_id, body)
        return serde.complaint_from_proto(await self._call(self._stub.RecordComplaint, request, token))

    async def decide_complaint(
        self, tender_id: str, complaint_id: str, body: ComplaintOutcomeBody, expected: ExpectedVersion, token: str
    ) -> Complaint:
        request = serde.outcome_request_to_proto(tender_id, complaint_id, body, expected.number)
        reply = await self._call(self._stub.DecideComplaint, request, token, expected=expected)
        return serde.complaint_from_proto(reply)

    async def export_ocds(self, tender_id: str, token: str) -> str:
        """The tender as an OCDS release package: JSON text, as the standard defines it."""
        reply = await self._call(self._stub.ExportOcds, pb.GetTenderRequest(id=tender_id), token)
        return reply.json

    # -- bids ------------------------------------------------------------------

    async def list_bids(self, tender_id: str, lot_id: str | None, token: str) -> Page[Bid]:
        request = pb.ListBidsRequest(tender_id=tender_id, lot_id=lot_id or "")
        return serde.bids_page_from_proto(await self._call(self._stub.ListBids, request, token))

    async def submit_bid(self, tender_id: str, fields: BidFields, token: str) -> Bid:
        request = pb.SubmitBidRequest(tender_id=tender_id, bid=serde.bid_fields_to_proto(fields))
        return serde.bid_from_proto(await self._call(self._stub.SubmitBid, request, token))

    async def replace_bid(
        self, tender_id: str, bid_id: str, body: BidReplace, expected: ExpectedVersion, token: str
    ) -> Bid:
        request = serde.bid_replace_to_proto(tender_id, bid_id, body, expected.number)
        return serde.bid_from_proto(await self._call(self._stub.ReplaceBid, request, token, expected=expected))

    async def withdraw_bid(self, tender_id: str, bid_id: str, expected: ExpectedVersion, token: str) -> Bid:
        request = pb.WithdrawBidRequest(tender_id=tender_id, bid_id=bid_id, expected_version=expected.number)
        return serde.bid_from_proto(await self._call(self._stub.WithdrawBid, request, token, expected=expected))

    # -- documents -------------------------------------------------------------

    async def add_document(
        self, owner: DocumentOwner, upload: DocumentUpload, expected: ExpectedVersion, token: str
    ) -> Document:
        request = pb.AddDocumentRequest(
            owner=owner.message(), document_id=upload.document_id, title=upload.title, file_name=upload.file_name,
            content=upload.content, expected_version=expected.number,
        )  # fmt: skip
        reply = await self._call(self._stub.AddDocument, request, token, expected=expected)
        return serde.document_from_proto(reply)

    async def list_documents(self, owner: DocumentOwner, params: ListParams, token: str) -> Page[Document]:
        request = pb.ListDocumentsRequest(owner=owner.message(), page=page_request(params))
        return serde.documents_page_from_proto(await self._call(self._stub.ListDocuments, request, token))

    async def get_document(self, owner: DocumentOwner, document_id: str, token: str) -> Document:
        request = pb.GetDocumentRequest(owner=owner.message(), document_id=document_id)
        return serde.document_from_proto(await self._call(self._stub.GetDocument, request, token))

    async def read_document(
        self, owner: DocumentOwner, document_id: str, version: int, offset: int, token: str
    ) -> DocumentPiece:
        """One piece of a version's content from `offset` (empty at the end), with the version's facts."""
        request = pb.ReadDocumentRequest(owner=owner.message(), document_id=document_id, version=version,
                                         offset=offset)  # fmt: skip
        reply = await self._call(self._stub.ReadDocument, request, token)
        return DocumentPiece(serde.document_version_from_proto(reply.version), reply.data)

    # -- questions -------------------------------------------------------------

    async def ask_question(self, tender_id: str, question: str, token: str) -> Question:
        request = pb.AskQuestionRequest(tender_id=tender_id, question=question)
        return serde.question_from_proto(await self._call(self._stub.AskQuestion, request, token))

    async def answer_question(
        self, tender_id: str, question_id: str, answer: str, expected: ExpectedVersion, token: str
    ) -> Question:
        request = pb.AnswerQuestionRequest(tender_id=tender_id, question_id=question_id, answer=answer,
                                           expected_version=expected.number)  # fmt: skip
        return serde.question_from_proto(await self._call(self._stub.AnswerQuestion, request, token, expected=expected))

    async def publish_clarification(self, tender_id: str, text: str, token: str) -> Question:
        request = pb.PublishClarificationRequest(tender_id=tender_id, text=text)
        return serde.question_from_proto(await self._call(self._stub.PublishClarification, request, token))

    async def list_questions(self, tender_id: str, params: ListParams, token: str) -> Page[Question]:
        request = pb.ListQuestionsRequest(tender_id=tender_id, page=page_request(params))
        return serde.questions_page_from_proto(await self._call(self._stub.ListQuestions, request, token))
