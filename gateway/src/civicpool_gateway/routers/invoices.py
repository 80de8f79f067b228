"""E-invoices (E-Rechnung): vendors upload XRechnung or ZUGFeRD, the official rules check them, civicpool matches them
against contracts and call-offs, and the city's finance approves (four eyes) or rejects them. See docs/invoices.md.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

import base64
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from civicpool_common.messages import N_, Text
from civicpool_common.reasons import Reason
from civicpool_common.vocabulary import InvoiceStatus
from fastapi import APIRouter, File, Query, Response, UploadFile, status

from civicpool_gateway.auth import AdminDep, CallerDep, FinanceDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.invoice_schemas import (
    ChargeInvoice,
    ChargeInvoiceListParams,
    ChargeInvoices,
    ChargeIssueBody,
    ChargeVatBody,
    ChargeVatSetting,
    Invoice,
    InvoiceCheck,
    InvoiceListParams,
    RejectionBody,
)
from civicpool_gateway.problems import Problem
from civicpool_gateway.routers.contracts import IdempotencyKey, mark_replayed
from civicpool_gateway.schemas import Page, ResourceId

router = APIRouter(tags=["invoices"])
# The service keeps a file up to 10 MiB and records a larger one by its hash; beyond this the body is refused here.
MAX_INVOICE_BODY_BYTES = 24 * 1024 * 1024
INVOICES_PATH = r"/api/v1/invoices(/check)?"  # an upload, and a check of the same file
TOO_LARGE = Text(N_("the file is larger than {limit} MB, more than any invoice may have"), limit=24)
WHO_SEES = (
    "A vendor sees its own invoices, a city's finance its city's, the network's finance and admins all; anyone "
    "else none (404, as for a missing one)."
)
UPLOAD_NOTE = (
    "A multipart form with `file`: XRechnung 3.0 in UBL 2.1 (Invoice, CreditNote) or UN/CEFACT CII, or a "
    "ZUGFeRD/Factur-X PDF/A-3 with the CII embedded (profile EN 16931 or XRECHNUNG; BASIC and below are not enough "
    "for a public buyer), at most 10 MiB. A vendor's user uploads its vendor's invoices; a city's finance one its "
    "city received elsewhere. Every upload is kept with its SHA-256. What is no invoice one may read (not XML, "
    "a DOCTYPE or entities, a PDF without an embedded invoice, too large) is refused with a 422 problem naming the "
    "kept record (`invoice_id`). Otherwise the answer is 201 with the invoice, whose `status` says what became of "
    "it: `invalid` (the official rules: see `findings`), `duplicate` (the vendor's number again), `mismatched` (see "
    "`mismatches`) or `matched` (waiting for the city's finance)."
)


@router.post("/invoices", summary="Upload an e-invoice", response_model=Invoice, status_code=status.HTTP_201_CREATED,
             description=UPLOAD_NOTE)  # fmt: skip
async def upload_invoice(
    file: Annotated[UploadFile, File()], caller: CallerDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Invoice:  # fmt: skip
    invoice = await services.contracts.upload_invoice(
        file.filename or "", await _content(file), idempotency_key, caller.token
    )
    if invoice.status == InvoiceStatus.REFUSED:
        raise Problem(Reason.UNREADABLE_FILE, invoice.problem, extra={"invoice_id": invoice.id,
                                                                       "sha256": invoice.sha256})  # fmt: skip
    response.headers["Location"] = f"/api/v1/invoices/{invoice.id}"
    mark_replayed(invoice.replayed, response)
    return invoice


@router.post("/invoices/check", summary="Check an e-invoice by the official rules, nothing kept",
             response_model=InvoiceCheck,
             description="The same file as for an upload (a multipart form with `file`), read and checked by the same "
             "official rules, and nothing kept: send it when `accepted`. A file that is no invoice one may read is "
             "answered the same way, with `problem` saying why. Who may upload may check. Matching against the "
             "contract and call-offs needs the upload.")  # fmt: skip
async def check_invoice(file: Annotated[UploadFile, File()], caller: CallerDep, services: ClientsDep) -> InvoiceCheck:
    return await services.contracts.check_invoice(file.filename or "", await _content(file), caller.token)


async def _content(file: UploadFile) -> bytes:
    """The uploaded file, refused (413) beyond what any invoice may have."""
    content = await file.read(MAX_INVOICE_BODY_BYTES + 1)
    if len(content) > MAX_INVOICE_BODY_BYTES:
        raise Problem(Reason.PAYLOAD_TOO_LARGE, TOO_LARGE)
    return content


@router.get("/invoices", summary="List e-invoices", response_model=Page[Invoice],
            description="Newest first. " + WHO_SEES)  # fmt: skip
async def list_invoices(
    caller: CallerDep, services: ClientsDep, params: Annotated[InvoiceListParams, Query()]
) -> Page[Invoice]:
    return await services.contracts.list_invoices(params, caller.token)


@router.get("/invoices/{id}", summary="Read an e-invoice", response_model=Invoice, description=WHO_SEES)
async def get_invoice(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Invoice:
    return await services.contracts.get_invoice(id, caller.token)


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}, "application/pdf": {}}, "description": "The file as uploaded"}
}


@router.get("/invoices/{id}/document", summary="Download the file of an e-invoice", response_class=Response,
            responses=FILE_RESPONSES, description=WHO_SEES + " A file over the limit was not kept (404).")  # fmt: skip
async def download_invoice(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Response:
    return _file(await services.contracts.invoice_document(id, caller.token))


class StoredFile(Protocol):
    """An invoice's file as the contracts client hands it over."""

    file_name: str
    media_type: str
    sha256: str
    content: bytes


def _file(document: StoredFile) -> Response:
    """An invoice's file as a download, with its SHA-256 as ETag and digest."""
    digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
    return Response(document.content, media_type=document.media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.file_name, safe='')}",
        "ETag": f'"{document.sha256}"', "Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff",
    })  # fmt: skip


@router.post("/invoices/{id}/approve", summary="Approve a matched e-invoice for payment (the city's finance)",
             response_model=Invoice,
             description="By the finance of the invoice's city, not by whoever uploaded it (four eyes), once: "
             "posts the invoice to the ledger (net against what was called off, the VAT to the city, the gross as "
             "owed to the vendor; a credit note the other way). Only a `matched` invoice (409 otherwise).")  # fmt: skip
async def approve_invoice(
    id: ResourceId, caller: FinanceDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Invoice:  # fmt: skip
    invoice = await services.contracts.approve_invoice(id, idempotency_key, caller.token)
    mark_replayed(invoice.replayed, response)
    return invoice


@router.post("/invoices/{id}/reject", summary="Reject an e-invoice with a reason the vendor reads",
             response_model=Invoice,
             description="By the finance of the invoice's city; a `matched` or `mismatched` invoice (409 "
             "otherwise). The vendor may then send a corrected invoice, with the same number too.")  # fmt: skip
async def reject_invoice(
    id: ResourceId, body: RejectionBody, caller: FinanceDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Invoice:  # fmt: skip
    invoice = await services.contracts.reject_invoice(id, body, idempotency_key, caller.token)
    mark_replayed(invoice.replayed, response)
    return invoice


# -- VAT on charges between member cities ---------------------------------------------------------------------


@router.get("/network/charge-vat", summary="How the member cities charge each other VAT on shared costs",
            response_model=ChargeVatSetting,
            description="The network's setting (§ 2b UStG from 1 January 2027), who set it and when, and what it "
            "means for a charge issued today: not subject to VAT, or the rate, and its legal note.")  # fmt: skip
async def get_charge_vat(caller: CallerDep, services: ClientsDep) -> ChargeVatSetting:
    return await services.contracts.charge_vat(caller.token)


@router.put("/network/charge-vat", summary="Set how the member cities charge each other VAT (network admin)",
            response_model=ChargeVatSetting,
            description="In force for charges issued from now on; every setting is kept. `law_on_invoice_date` "
            "follows the law on each charge's date (the default).")  # fmt: skip
async def set_charge_vat(
    body: ChargeVatBody, caller: AdminDep, services: ClientsDep, response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ChargeVatSetting:  # fmt: skip
    setting = await services.contracts.set_charge_vat(body, idempotency_key, caller.token)
    mark_replayed(setting.replayed, response)
    return setting


# -- charges to member cities ---------------------------------------------------------------------------------

CHARGES_SEEN = (
    "The lead city's finance and procurement leads see the charges it issued, a member city's those addressed to "
    "it, the network's finance and admins all; anyone else none (404, as for a missing one)."
)


@router.post("/ledger/transactions/{id}/charge-invoices", summary="Charge the member cities a shared cost",
             response_model=ChargeInvoices, status_code=status.HTTP_201_CREATED,
             description="By a procurement lead or the finance of the contract's lead city, for a shared-cost "
             "posting: one XRechnung 3.0 (UBL) per member city with a part (the lead city's own part is not "
             "invoiced), addressed to its default Leitweg-ID, with the VAT of the network's setting on the day of "
             "issue (`GET /network/charge-vat`); a taxable charge posts its VAT. Every charge is checked by the "
             "official rules before anything is kept. Refused whole (409) when the lead city or a member lacks its "
             "invoicing details or Leitweg-ID, or the posting is no shared cost or was reversed. Once per posting: "
             "asked again, the answer is 200 with the same charges (`existing`).")  # fmt: skip
async def issue_charges(
    id: ResourceId, caller: CallerDep, services: ClientsDep, response: Response, body: ChargeIssueBody | None = None
) -> ChargeInvoices:
    issued = await services.contracts.issue_charges(id, body or ChargeIssueBody(), caller.token)
    if issued.existing:
        response.status_code = status.HTTP_200_OK
    return issued


@router.get("/charge-invoices", summary="List charges to member cities", response_model=Page[ChargeInvoice],
            description="Newest first. " + CHARGES_SEEN)  # fmt: skip
async def list_charges(
    caller: CallerDep, services: ClientsDep, params: Annotated[ChargeInvoiceListParams, Query()]
) -> Page[ChargeInvoice]:
    return await services.contracts.list_charges(params, caller.token)


@router.get("/charge-invoices/{id}", summary="Read a charge to a member city", response_model=ChargeInvoice,
            description=CHARGES_SEEN)  # fmt: skip
async def get_charge(id: ResourceId, caller: CallerDep, services: ClientsDep) -> ChargeInvoice:
    return await services.contracts.get_charge(id, caller.token)


@router.get("/charge-invoices/{id}/document", summary="Download a charge's XRechnung", response_class=Response,
            responses={200: {"content": {"application/xml": {}}, "description": "The XRechnung (UBL) as issued"}},
            description=CHARGES_SEEN)  # fmt: skip
async def download_charge(id: ResourceId, caller: CallerDep, services: ClientsDep) -> Response:
    return _file(await services.contracts.charge_document(id, caller.token))
