"""Procurement documents of a tender (the lead city's) and of a bid (its vendor's, sealed with the bid).

Uploads are multipart forms with one file; the tenders service checks the type by content, the limits and
who may add what. Downloads stream: the file is read from the service piece by piece.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

import base64
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from civicpool_common.messages import N_, Text
from civicpool_common.reasons import Reason
from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from civicpool_gateway.auth import Caller, CallerDep, LeadDep, VendorDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.clients.tenders import DocumentOwner, DocumentUpload
from civicpool_gateway.problems import Problem
from civicpool_gateway.schemas import ListParams, Page, ResourceId
from civicpool_gateway.tender_schemas import Document
from civicpool_gateway.versioning import optional_version, with_etag

router = APIRouter(tags=["tenders"])
IfMatch = Annotated[str | None, Header(description="The document's ETag (its current version); checked when sent")]
Title = Annotated[str, Form(max_length=200, description="The document's title; default: the file name")]
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000, description="Default: the current version")]

# The tenders service limits a file (25 MB by default, at most 30 MB); the body may carry that and the form.
MAX_DOCUMENT_BODY_BYTES = 30 * 1024 * 1024 + 64 * 1024
DOCUMENTS_PATH = r"/api/v1/tenders/[^/]+/(bids/[^/]+/)?documents(/[^/]+)?"
TOO_LARGE = Text(N_("the file is larger than {limit} MB, more than any document may have"), limit=30)
UPLOAD_NOTE = (
    "A multipart form with `file` (PDF, DOCX, XLSX, ODT or ZIP, told by its content; the name's extension "
    "must match it; at most 25 MB unless the service is configured otherwise, and all versions of the "
    "tender's or bid's documents together within their limit). The file is kept with its SHA-256; nothing is "
    "overwritten or deleted."
)
TENDER_UPLOAD_NOTE = (
    " Only a procurement lead of the lead city, while the tender is a draft or open for bids; after "
    "publication only while at least 6 days (Berlin calendar) remain before `bids_due_at` (§ 20 (3) VgV; "
    "409 otherwise: extend the deadline first). A change after publication is in the event log and every "
    "vendor is told by e-mail."
)
BID_UPLOAD_NOTE = (
    " Only the bid's vendor, while bids are accepted. Sealed like the bid: the lead city reads it after bidding "
    "is closed."
)


async def _upload(file: UploadFile, title: str, document_id: str = "") -> DocumentUpload:
    content = await file.read(MAX_DOCUMENT_BODY_BYTES + 1)
    if len(content) > MAX_DOCUMENT_BODY_BYTES:
        raise Problem(Reason.PAYLOAD_TOO_LARGE, TOO_LARGE)
    return DocumentUpload(file.filename or "", content, title, document_id)


async def _download(
    services: ClientsDep, caller: Caller, owner: DocumentOwner, document_id: str, version: int | None
) -> StreamingResponse:
    """The version's content as it streams from the service; its first piece read before answering, so a
    refusal is a problem, not a broken download."""
    client = services.tenders
    first = await client.read_document(owner, document_id, version or 0, 0, caller.token)
    found = first.version

    async def pieces() -> AsyncIterator[bytes]:
        piece, offset = first, 0
        while piece.data:
            yield piece.data
            offset += len(piece.data)
            if offset >= found.size_bytes:
                return
            piece = await client.read_document(owner, document_id, found.version, offset, caller.token)

    digest = base64.b64encode(bytes.fromhex(found.sha256)).decode()
    headers = {
        "Content-Length": str(found.size_bytes),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.file_name, safe='')}",
        "ETag": f'"{found.sha256}"',
        "Repr-Digest": f"sha-256=:{digest}:",  # RFC 9530
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(pieces(), media_type=found.media_type, headers=headers)


# The types the tenders service accepts (its file_types.py), as a download is served.
DOCUMENT_MEDIA_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/zip",
)
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media_type: {} for media_type in DOCUMENT_MEDIA_TYPES}, "description": "The file"}
}


# -- a tender's documents ---------------------------------------------------------------------


@router.get("/tenders/{id}/documents", summary="List a tender's documents", response_model=Page[Document],
            description="The lead city and the network's admins always; once published the participating cities "
            "and every vendor. Versions changed after publication are marked (`after_publication`).")  # fmt: skip
async def list_tender_documents(
    id: ResourceId, caller: CallerDep, services: ClientsDep, params: Annotated[ListParams, Query()]
) -> Page[Document]:
    return await services.tenders.list_documents(DocumentOwner(tender_id=id), params, caller.token)


@router.post("/tenders/{id}/documents", summary="Add a document to a tender", response_model=Document,
             status_code=status.HTTP_201_CREATED, description=UPLOAD_NOTE + TENDER_UPLOAD_NOTE)  # fmt: skip
async def add_tender_document(
    id: ResourceId, file: Annotated[UploadFile, File()], caller: LeadDep, services: ClientsDep, response: Response,
    title: Title = "",
) -> Document:  # fmt: skip
    upload = await _upload(file, title)
    document = await services.tenders.add_document(
        DocumentOwner(tender_id=id), upload, optional_version(None), caller.token
    )
    response.headers["Location"] = f"/api/v1/tenders/{id}/documents/{document.id}"
    return with_etag(document, response)


@router.get("/tenders/{id}/documents/{doc_id}", summary="A tender document and its versions",
            response_model=Document)  # fmt: skip
async def get_tender_document(
    id: ResourceId, doc_id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response
) -> Document:
    document = await services.tenders.get_document(DocumentOwner(tender_id=id), doc_id, caller.token)
    return with_etag(document, response)


@router.put("/tenders/{id}/documents/{doc_id}", summary="Upload a new version of a tender document",
            response_model=Document, description=UPLOAD_NOTE + TENDER_UPLOAD_NOTE)  # fmt: skip
async def add_tender_document_version(
    id: ResourceId, doc_id: ResourceId, file: Annotated[UploadFile, File()], caller: LeadDep, services: ClientsDep,
    response: Response, if_match: IfMatch = None,
) -> Document:  # fmt: skip
    upload = await _upload(file, "", doc_id)
    document = await services.tenders.add_document(
        DocumentOwner(tender_id=id), upload, optional_version(if_match), caller.token
    )
    return with_etag(document, response)


@router.get("/tenders/{id}/documents/{doc_id}/content", summary="Download a tender document",
            response_class=StreamingResponse, responses=FILE_RESPONSES)  # fmt: skip
async def download_tender_document(
    id: ResourceId, doc_id: ResourceId, caller: CallerDep, services: ClientsDep, version: VersionQuery = None
) -> StreamingResponse:
    return await _download(services, caller, DocumentOwner(tender_id=id), doc_id, version)


# -- a bid's documents ------------------------------------------------------------------------


@router.get("/tenders/{id}/bids/{bid_id}/documents", summary="List a bid's documents",
            response_model=Page[Document],
            description="The bid's vendor; the lead city after bidding is closed.")  # fmt: skip
async def list_bid_documents(
    id: ResourceId, bid_id: ResourceId, caller: CallerDep, services: ClientsDep,
    params: Annotated[ListParams, Query()],
) -> Page[Document]:  # fmt: skip
    owner = DocumentOwner(tender_id=id, bid_id=bid_id)
    return await services.tenders.list_documents(owner, params, caller.token)


@router.post("/tenders/{id}/bids/{bid_id}/documents", summary="Attach a document to your bid",
             response_model=Document, status_code=status.HTTP_201_CREATED,
             description=UPLOAD_NOTE + BID_UPLOAD_NOTE)  # fmt: skip
async def add_bid_document(
    id: ResourceId, bid_id: ResourceId, file: Annotated[UploadFile, File()], caller: VendorDep,
    services: ClientsDep, response: Response, title: Title = "",
) -> Document:  # fmt: skip
    upload = await _upload(file, title)
    owner = DocumentOwner(tender_id=id, bid_id=bid_id)
    document = await services.tenders.add_document(owner, upload, optional_version(None), caller.token)
    response.headers["Location"] = f"/api/v1/tenders/{id}/bids/{bid_id}/documents/{document.id}"
    return with_etag(document, response)


@router.get("/tenders/{id}/bids/{bid_id}/documents/{doc_id}", summary="A bid's document and its versions",
            response_model=Document)  # fmt: skip
async def get_bid_document(
    id: ResourceId, bid_id: ResourceId, doc_id: ResourceId, caller: CallerDep, services: ClientsDep,
    response: Response,
) -> Document:  # fmt: skip
    owner = DocumentOwner(tender_id=id, bid_id=bid_id)
    return with_etag(await services.tenders.get_document(owner, doc_id, caller.token), response)


@router.put("/tenders/{id}/bids/{bid_id}/documents/{doc_id}", summary="Upload a new version of your bid's document",
            response_model=Document, description=UPLOAD_NOTE + BID_UPLOAD_NOTE)  # fmt: skip
async def add_bid_document_version(
    id: ResourceId, bid_id: ResourceId, doc_id: ResourceId, file: Annotated[UploadFile, File()], caller: VendorDep,
    services: ClientsDep, response: Response, if_match: IfMatch = None,
) -> Document:  # fmt: skip
    upload = await _upload(file, "", doc_id)
    owner = DocumentOwner(tender_id=id, bid_id=bid_id)
    document = await services.tenders.add_document(owner, upload, optional_version(if_match), caller.token)
    return with_etag(document, response)


@router.get("/tenders/{id}/bids/{bid_id}/documents/{doc_id}/content", summary="Download a bid's document",
            response_class=StreamingResponse, responses=FILE_RESPONSES)  # fmt: skip
async def download_bid_document(
    id: ResourceId, bid_id: ResourceId, doc_id: ResourceId, caller: CallerDep, services: ClientsDep,
    version: VersionQuery = None,
) -> StreamingResponse:  # fmt: skip
    owner = DocumentOwner(tender_id=id, bid_id=bid_id)
    return await _download(services, caller, owner, doc_id, version)
