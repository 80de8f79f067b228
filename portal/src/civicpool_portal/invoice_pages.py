"""E-invoices: vendors send theirs and read what became of them; a city's finance reads its city's, approves a
matched one (not its own upload: four eyes) or rejects one with a reason the vendor reads (docs/invoices.md)."""

from __future__ import annotations

from civicpool_common.auth import Role
from fastapi import APIRouter, UploadFile
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, idempotency
from civicpool_portal.page_request import ApiError, FormPortalDep, PortalDep, api_file, back_to, passed_on

router = APIRouter(prefix="/invoices")
INVOICE_ROLES = (Role.VENDOR, Role.FINANCE, Role.NETWORK_ADMIN)
STATUSES = ("matched", "mismatched", "approved", "rejected", "invalid", "duplicate", "refused")


@router.get("")
async def invoices(portal: PortalDep, status: str = "") -> HTMLResponse:
    portal.require(*INVOICE_ROLES)
    chosen = status if status in STATUSES else ""
    found = await portal.get_all("/invoices", status=chosen or None)
    can_upload = portal.has(Role.VENDOR) or (portal.has(Role.FINANCE) and portal.city is not None)
    return await portal.page("invoices.html", invoices=found, statuses=STATUSES, chosen=chosen, can_upload=can_upload)


@router.post("")
async def upload(portal: FormPortalDep, file: UploadFile, idempotency_key: Text = "") -> Response:
    """Send the file on; the page of its record, a refused one's too (the API keeps every upload)."""
    try:
        answer = await portal.call("POST", "/invoices", files=await passed_on(file),
                                   headers=idempotency(idempotency_key))  # fmt: skip
    except ApiError as refused:
        portal.refused(refused)
        kept = refused.problem.get("invoice_id")
        return back_to(f"/invoices/{kept}" if isinstance(kept, str) and kept else "/invoices")
    portal.done(portal._("Invoice received."))
    return back_to(f"/invoices/{answer.json()['id']}")


@router.get("/{invoice_id}")
async def invoice_page(portal: PortalDep, invoice_id: str) -> HTMLResponse:
    portal.require(*INVOICE_ROLES)
    invoice = await portal.get_page(f"/invoices/{invoice_id}")
    deciding = portal.has(Role.FINANCE) and portal.city is not None and portal.city == invoice["city_id"]
    own_upload = invoice["uploaded_by"] == portal.principal.username
    return await portal.page(
        "invoice.html",
        invoice=invoice,
        can_approve=deciding and invoice["status"] == "matched" and not own_upload,
        own_upload=deciding and invoice["status"] == "matched" and own_upload,
        can_reject=deciding and invoice["status"] in ("matched", "mismatched"),
    )


@router.post("/{invoice_id}/approve")
async def approve(portal: FormPortalDep, invoice_id: str, idempotency_key: Text = "") -> Response:
    await portal.send("POST", f"/invoices/{invoice_id}/approve", headers=idempotency(idempotency_key),
                      ok=portal._("Invoice approved for payment and booked."))  # fmt: skip
    return back_to(f"/invoices/{invoice_id}")


@router.post("/{invoice_id}/reject")
async def reject(portal: FormPortalDep, invoice_id: str, reason: Text, idempotency_key: Text = "") -> Response:
    rejected = portal._("Invoice rejected; the vendor is told why.")
    await portal.send("POST", f"/invoices/{invoice_id}/reject", json={"reason": reason},
                      headers=idempotency(idempotency_key), ok=rejected)  # fmt: skip
    return back_to(f"/invoices/{invoice_id}")


@router.get("/{invoice_id}/document")
async def document(portal: PortalDep, invoice_id: str) -> Response:
    return await api_file(portal, f"/invoices/{invoice_id}/document")
