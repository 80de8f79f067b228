"""Tenders: the lead city drafts, publishes, opens, evaluates and awards; vendors bid on published lots."""

from __future__ import annotations

from typing import Annotated, Any

from civicpool_common.auth import Role
from civicpool_common.timestamps import network_today
from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, if_match, parse_euros, whole
from civicpool_portal.i18n import DATE_REFUSED, from_local_input, parse_day
from civicpool_portal.page_request import (
    ApiError,
    FormPortalDep,
    Portal,
    PortalDep,
    api_file,
    back_to,
    passed_on,
)

router = APIRouter(prefix="/tenders")
TENDER_ROLES = (Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN, Role.VENDOR)
PROCEDURES = ("direct_award", "restricted_or_negotiated", "open_national", "open_eu")
REGIONS = ("DE", "EU", "third_country")
EXTERNAL_VENDOR_ROWS = 3  # vendors the form offers per item of an award made elsewhere (the API takes up to 10)


@router.get("")
async def tenders(portal: PortalDep, reference: Annotated[str, Query(max_length=40)] = "") -> HTMLResponse:
    """The tenders the user may see, newest first; with `reference`, the one with that number (any case)."""
    portal.require(*TENDER_ROLES)
    reference = reference.strip()
    all_tenders = await portal.get_all("/tenders", **({"reference": reference} if reference else {}))
    all_tenders.sort(key=lambda t: t["created_at"], reverse=True)
    return await portal.page("tenders.html", tenders=all_tenders, reference=reference)


@router.post("/external-awards")
async def record_external_award(portal: FormPortalDep, request: Request) -> Response:
    """An award made on another platform, from the round page: one lot per item of the round, its vendors in the
    order of the cascade."""
    form = await request.form()

    def field(name: str) -> str:
        return str(form.get(name, "")).strip()

    round_page = f"/rounds/{field('round_id')}"
    try:
        notice_date = parse_day(field("notice_date")).isoformat()
    except ValueError:
        portal.refuse(portal._(DATE_REFUSED, field=portal._("Notice date"), value=field("notice_date")))
        return back_to(round_page)
    lots = []
    for item_id in (key.removeprefix("max_") for key in form if key.startswith("max_")):
        vendors = []
        for row in range(1, EXTERNAL_VENDOR_ROWS + 1):
            vendor_id = field(f"vendor_{item_id}_{row}")
            if not vendor_id:
                continue
            try:
                cents = parse_euros(field(f"price_{item_id}_{row}"))
            except ValueError:
                portal.refuse(portal._("Enter prices in euros, e.g. 1.234,56."))
                return back_to(round_page)
            vendors.append({"vendor_id": vendor_id, "prices": [{"item_id": item_id, "unit_price_cents": cents}]})
        lots.append({"items": [{"item_id": item_id, "max_quantity": whole(field(f"max_{item_id}"))}],
                     "vendors": vendors})  # fmt: skip
    body = {"round_id": field("round_id"), "platform": field("platform"), "notice_number": field("notice_number"),
            "notice_date": notice_date, "procedure": field("procedure"), "lots": lots}  # fmt: skip
    recorded = await portal.send(
        "POST", "/tenders/external-awards", json=body, ok=portal._("Award recorded: the contracts are in force.")
    )
    return back_to(f"/tenders/{recorded['tender']['id']}" if recorded else round_page)


@router.get("/{tender_id}")
async def tender_page(portal: PortalDep, tender_id: str) -> HTMLResponse:
    portal.require(*TENDER_ROLES)
    tender = await portal.get_page(f"/tenders/{tender_id}")
    bids = await _bids(portal, tender)
    documents = await _readable_list(portal, f"/tenders/{tender_id}/documents")
    bid_documents = {
        bid["id"]: await _readable_list(portal, f"/tenders/{tender_id}/bids/{bid['id']}/documents") for bid in bids
    }
    questions = await _readable_list(portal, f"/tenders/{tender_id}/questions")
    # Changed after publication: what vendors must have read (newest first), shown above everything else.
    changes = sorted(((d["title"], v) for d in documents for v in d["versions"] if v["after_publication"]),
                     key=lambda change: str(change[1]["uploaded_at"]), reverse=True)  # fmt: skip
    is_vendor = portal.has(Role.VENDOR)
    is_lead = portal.has(Role.PROCUREMENT_LEAD) and portal.city == tender["lead_city_id"]
    # The score table and the contracts are the lead city's (and the network admin's) to read.
    in_charge = is_lead or portal.has(Role.NETWORK_ADMIN)
    # An award made on another platform has no evaluation here (it was scored there).
    scored = tender["status"] in ("evaluated", "awarded") and in_charge and not tender.get("external")
    evaluation = await portal.get(f"/tenders/{tender_id}/evaluation") if scored else None
    awarded = tender["status"] == "awarded" and in_charge
    contracts = await portal.get_all("/contracts", tender_id=tender_id) if awarded else []
    contracts.sort(key=lambda c: (c["sku"], (c["framework"] or {}).get("rank", 1)))  # a framework's in rank order
    vendors = {v["id"]: v["name"] for v in await portal.get_all("/vendors", include_inactive=True)}
    standstill = await portal.get(f"/tenders/{tender_id}/standstill") if tender["status"] == "awarded" else None
    complaints = await portal.get_all(f"/tenders/{tender_id}/complaints") if awarded and tender["standstill"] else []
    return await portal.page(
        "tender.html",
        standstill=standstill,
        complaints=complaints,
        today=network_today(),
        tender=tender,
        bids=bids,
        bids_by_lot={lot["id"]: [b for b in bids if b["lot_id"] == lot["id"]] for lot in tender["lots"]},
        evaluation=evaluation,
        documents=documents,
        document_changes=changes,
        bid_documents=bid_documents,
        questions=questions,
        contracts=contracts,
        vendor_names=vendors,
        is_lead=is_lead,
        is_vendor=is_vendor,
        procedures=PROCEDURES,
        regions=REGIONS,
    )


async def _bids(portal: Portal, tender: dict[str, Any]) -> list[dict[str, Any]]:
    """The bids this user may read now: a vendor its own; the lead all, once they are opened."""
    if tender["status"] in ("draft", "cancelled") or (tender["status"] == "published" and not portal.has(Role.VENDOR)):
        return []
    try:
        page = await portal.get(f"/tenders/{tender['id']}/bids")
    except ApiError as error:
        if error.status in (403, 409):  # sealed, or not this user's to see
            return []
        raise
    return list(page["data"])


async def _readable_list(portal: Portal, path: str) -> list[dict[str, Any]]:
    """The list at `path` (a tender's or a bid's documents, the questions), when this user may read it now: a
    lead of another city may not read a tender's documents, the lead city a bid's only after the opening."""
    try:
        return await portal.get_all(path)
    except ApiError as error:
        if error.status in (403, 404, 409):
            return []
        raise


@router.post("/{tender_id}/documents")
async def add_document(portal: FormPortalDep, tender_id: str, file: UploadFile, title: Text = "") -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/documents", files=await passed_on(file), data={"title": title},
                      ok=portal._("Document added."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/documents/{document_id}")
async def add_document_version(
    portal: FormPortalDep, tender_id: str, document_id: str, file: UploadFile, version: Text = ""
) -> Response:
    await portal.send("PUT", f"/tenders/{tender_id}/documents/{document_id}", files=await passed_on(file),
                      headers=if_match(version), ok=portal._("New version uploaded."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/bids/{bid_id}/documents")
async def add_bid_document(
    portal: FormPortalDep, tender_id: str, bid_id: str, file: UploadFile, title: Text = ""
) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/bids/{bid_id}/documents", files=await passed_on(file),
                      data={"title": title}, ok=portal._("Document attached to your bid."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/questions")
async def ask_question(portal: FormPortalDep, tender_id: str, question: Text) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/questions", json={"question": question},
                      ok=portal._("Question sent to the lead city."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/questions/{question_id}/answer")
async def answer_question(
    portal: FormPortalDep, tender_id: str, question_id: str, answer: Text, version: Text = ""
) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/questions/{question_id}/answer", json={"answer": answer},
                      headers=if_match(version), ok=portal._("Answer published to every vendor."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/clarifications")
async def publish_clarification(portal: FormPortalDep, tender_id: str, text: Text) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/clarifications", json={"text": text},
                      ok=portal._("Clarification published to every vendor."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.get("/{tender_id}/documents/{document_id}/content")
async def download_document(
    portal: PortalDep, tender_id: str, document_id: str, version: Annotated[int | None, Query(ge=1)] = None
) -> Response:
    return await api_file(portal, f"/tenders/{tender_id}/documents/{document_id}/content", version)


@router.get("/{tender_id}/bids/{bid_id}/documents/{document_id}/content")
async def download_bid_document(portal: PortalDep, tender_id: str, bid_id: str, document_id: str) -> Response:
    return await api_file(portal, f"/tenders/{tender_id}/bids/{bid_id}/documents/{document_id}/content", None)


@router.post("/{tender_id}/settings")
async def change_settings(
    portal: FormPortalDep,
    tender_id: str,
    version: Text,
    bids_due_at: Text = "",
    questions_due_at: Text = "",
    questions_due_shown: Text = "",
    standstill: Text = "",
    standstill_shown: Text = "",
    procedure: Text = "",
    procedure_justification: Text = "",
) -> Response:
    body: dict[str, Any] = {"version": whole(version)}
    try:
        if bids_due_at:
            body["bids_due_at"] = from_local_input(bids_due_at).isoformat()
        # Sent only when changed: the page shows the default time, which must keep following the deadline.
        if questions_due_at.strip() != questions_due_shown.strip():
            body["questions_due_at"] = from_local_input(questions_due_at).isoformat() if questions_due_at else None
    except ValueError:
        portal.refuse(portal._("Enter the deadline as day and time."))
        return back_to(f"/tenders/{tender_id}")
    if standstill != standstill_shown:  # a box left as shown is no change (a published tender's box too)
        body["standstill"] = standstill == "yes"
    if procedure:
        body["procedure"] = procedure
        body["procedure_justification"] = procedure_justification
    await portal.send("PATCH", f"/tenders/{tender_id}", json=body, ok=portal._("Tender saved."))
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/publish")
async def publish(portal: FormPortalDep, tender_id: str, version: Text) -> Response:
    return await _transition(portal, tender_id, "publish", version, portal._("Tender published."))


@router.post("/{tender_id}/close-bidding")
async def close_bidding(portal: FormPortalDep, tender_id: str, version: Text) -> Response:
    return await _transition(
        portal, tender_id, "close-bidding", version, portal._("Bidding closed; the bids are open.")
    )


async def _transition(portal: Portal, tender_id: str, action: str, version: str, done: str) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/{action}", headers=if_match(version), ok=done)
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/evaluation")
async def evaluate(portal: FormPortalDep, request: Request, tender_id: str) -> Response:
    form = await request.form()
    weights = {name: whole(str(form.get(f"weight_{name}", ""))) for name in ("price", "quality", "data_protection")}
    scores = [
        {"bid_id": key.removeprefix("quality_"), "quality": whole(str(value))}
        for key, value in form.items()
        if key.startswith("quality_")
    ]
    body = {"weights": weights, "scores": scores, "version": whole(str(form.get("version", "")))}
    await portal.send("POST", f"/tenders/{tender_id}/evaluate", json=body, ok=portal._("Bids evaluated."))
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/award")
async def award(portal: FormPortalDep, request: Request, tender_id: str) -> Response:
    form = await request.form()
    awards = [
        {"lot_id": key.removeprefix("bid_"), "bid_id": str(value),
         "justification": str(form.get(f"justification_{key.removeprefix('bid_')}", "")),
         "vendors": whole(str(form.get(f"vendors_{key.removeprefix('bid_')}", "") or "1"))}
        for key, value in form.items() if key.startswith("bid_") and value
    ]  # fmt: skip
    body = {"awards": awards, "version": whole(str(form.get("version", "")))}
    await portal.send(
        "POST", f"/tenders/{tender_id}/award", json=body, ok=portal._("Awarded; the contracts are in force.")
    )
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/lots/{lot_id}/bid")
async def submit_bid(portal: FormPortalDep, request: Request, tender_id: str, lot_id: str) -> Response:
    """Submit, or replace when the form names the bid it replaces."""
    form = await request.form()
    prices = []
    for key, value in form.items():
        if key.startswith("price_"):
            try:
                prices.append({"item_id": key.removeprefix("price_"), "unit_price_cents": parse_euros(str(value))})
            except ValueError:
                portal.refuse(portal._("Enter prices in euros, e.g. 1.234,56."))
                return back_to(f"/tenders/{tender_id}")
    region = str(form.get("hosting_region", ""))
    body: dict[str, Any] = {
        "lot_id": lot_id,
        "prices": prices,
        "delivery_days": whole(str(form.get("delivery_days", ""))),
        "hosting_region": region or None,
        "dpa_offered": form.get("dpa_offered") == "yes",
        "open_source": form.get("open_source") == "yes",
    }
    bid_id = str(form.get("bid_id", ""))
    if bid_id:
        body["version"] = whole(str(form.get("version", "")))
        _keep_tiers(body["prices"], await portal.get(f"/tenders/{tender_id}/bids", lot_id=lot_id))
        await portal.send("PUT", f"/tenders/{tender_id}/bids/{bid_id}", json=body, ok=portal._("Bid replaced."))
    else:
        await portal.send("POST", f"/tenders/{tender_id}/bids", json=body, ok=portal._("Bid submitted."))
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/bids/{bid_id}/withdraw")
async def withdraw_bid(portal: FormPortalDep, tender_id: str, bid_id: str, version: Text) -> Response:
    path = f"/tenders/{tender_id}/bids/{bid_id}/withdraw"
    await portal.send("POST", path, headers=if_match(version), ok=portal._("Bid withdrawn."))
    return back_to(f"/tenders/{tender_id}")


def _keep_tiers(prices: list[dict[str, Any]], own_bids: dict[str, Any]) -> None:
    """The portal edits unit prices only; volume tiers given through the API stay as they were."""
    tiers = {p["item_id"]: p.get("tiers", []) for bid in own_bids["data"] for p in bid["prices"]}
    for price in prices:
        if tiers.get(price["item_id"]):
            price["tiers"] = tiers[price["item_id"]]


@router.post("/{tender_id}/complaints")
async def record_complaint(
    portal: FormPortalDep, tender_id: str, received_on: Text, chamber: Text, reference: Text = "", note: Text = ""
) -> Response:
    try:
        day = parse_day(received_on).isoformat()
    except ValueError:
        portal.refuse(portal._("Enter the day the application was received as a date."))
        return back_to(f"/tenders/{tender_id}")
    body = {"received_on": day, "chamber": chamber, "reference": reference, "note": note}
    recorded = portal._("Review application recorded: no contract is concluded before its outcome.")
    await portal.send("POST", f"/tenders/{tender_id}/complaints", json=body, ok=recorded)
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/complaints/{complaint_id}/outcome")
async def decide_complaint(
    portal: FormPortalDep, tender_id: str, complaint_id: str, outcome: Text, decided_on: Text, version: Text,
    note: Text = "",
) -> Response:  # fmt: skip
    try:
        day = parse_day(decided_on).isoformat()
    except ValueError:
        portal.refuse(portal._("Enter the day of the chamber's decision as a date."))
        return back_to(f"/tenders/{tender_id}")
    body = {"outcome": outcome, "decided_on": day, "note": note}
    await portal.send("POST", f"/tenders/{tender_id}/complaints/{complaint_id}/outcome", json=body,
                      headers=if_match(version), ok=portal._("Outcome recorded."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")


@router.post("/{tender_id}/activation")
async def activate_contracts(portal: FormPortalDep, tender_id: str, version: Text) -> Response:
    await portal.send("POST", f"/tenders/{tender_id}/activation", headers=if_match(version),
                      ok=portal._("Contracts concluded: the cities may call off."))  # fmt: skip
    return back_to(f"/tenders/{tender_id}")
