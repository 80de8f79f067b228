"""Demand rounds: city IT registers its city's lines; the lead city opens, closes, aggregates and tenders."""

from __future__ import annotations

from typing import Any

from civicpool_common.auth import Role
from fastapi import APIRouter, UploadFile
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, if_match, whole
from civicpool_portal.i18n import DATE_REFUSED, from_local_input, parse_day
from civicpool_portal.page_request import FormPortalDep, Portal, PortalDep, back_to, download
from civicpool_portal.tender_pages import EXTERNAL_VENDOR_ROWS, PROCEDURES

router = APIRouter(prefix="/rounds")
DEMAND_ROLES = (Role.CITY_IT, Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN)


def items_in_scope(items: list[dict[str, Any]], round_: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalog items a city may ask for in this round (the round's item list or CPV prefixes, else all)."""
    ids, prefixes = set(round_["scope_item_ids"]), tuple(round_["scope_cpv_prefixes"])
    if not ids and not prefixes:
        return items
    return [i for i in items if i["id"] in ids or (prefixes and i["cpv_code"].startswith(prefixes))]


@router.get("")
async def rounds(portal: PortalDep) -> HTMLResponse:
    portal.require(*DEMAND_ROLES)
    all_rounds = await portal.get_all("/rounds")
    all_rounds.sort(key=lambda r: (r["status"] != "open", r["closes_at"]))
    return await portal.page("rounds.html", rounds=all_rounds)


@router.post("")
async def create_round(
    portal: FormPortalDep,
    title: Text,
    opens_at: Text,
    closes_at: Text,
    description: Text = "",
) -> Response:
    try:
        body = {"title": title, "description": description, "opens_at": from_local_input(opens_at).isoformat(),
                "closes_at": from_local_input(closes_at).isoformat()}  # fmt: skip
    except ValueError:
        portal.refuse(portal._("Enter the dates as day and time."))
        return back_to("/rounds")
    created = await portal.send("POST", "/rounds", json=body, ok=portal._("Round created as a draft."))
    return back_to(f"/rounds/{created['id']}" if created else "/rounds")


@router.get("/import-template")
async def import_template(portal: PortalDep, format: str = "xlsx") -> Response:
    portal.require(*DEMAND_ROLES)
    file_format = "csv" if format == "csv" else "xlsx"
    params = {"format": file_format, "language": portal.locale.language}
    response = await portal.call("GET", "/rounds/import-template", params=params)
    return download(response, f"{portal._('civicpool-demand-template')}.{file_format}")


@router.get("/{round_id}")
async def round_page(portal: PortalDep, round_id: str) -> HTMLResponse:
    portal.require(*DEMAND_ROLES)
    round_ = await portal.get_page(f"/rounds/{round_id}")
    items = await portal.get_all("/items")
    lines = await portal.get_all(f"/rounds/{round_id}/lines")
    item_of = {item["id"]: item for item in items}
    is_lead = portal.has(Role.PROCUREMENT_LEAD) and portal.city == round_["owner_city_id"]
    submitted = [line for line in lines if line["status"] == "submitted"]
    # A closed round without a tender may be recorded as an award made on another platform: per item its demand.
    recordable = is_lead and round_["status"] == "closed" and not round_.get("tender_id") and bool(submitted)
    demand: dict[str, int] = {}
    for line in submitted if recordable else []:
        demand[line["item_id"]] = demand.get(line["item_id"], 0) + line["quantity"]
    return await portal.page(
        "round.html",
        demand_by_item=demand,
        vendors=await portal.get_all("/vendors") if recordable else [],
        procedures=PROCEDURES,
        vendor_rows=EXTERNAL_VENDOR_ROWS,
        round=round_,
        lines=submitted,
        withdrawn=[line for line in lines if line["status"] != "submitted"],
        item_of=item_of,
        choosable=[i for i in items_in_scope(items, round_) if i["active"]],
        is_lead=is_lead,
        can_add=portal.has(Role.CITY_IT) and round_["status"] == "open",
    )


@router.post("/{round_id}/open")
async def open_round(portal: FormPortalDep, round_id: str, version: Text = "") -> Response:
    return await _transition(portal, round_id, "open", version, portal._("Round opened."))


@router.post("/{round_id}/close")
async def close_round(portal: FormPortalDep, round_id: str, version: Text = "") -> Response:
    return await _transition(portal, round_id, "close", version, portal._("Round closed."))


async def _transition(portal: Portal, round_id: str, action: str, version: str, done: str) -> Response:
    await portal.send("POST", f"/rounds/{round_id}/{action}", headers=if_match(version), ok=done)
    return back_to(f"/rounds/{round_id}")


@router.post("/{round_id}/lines")
async def add_line(
    portal: FormPortalDep,
    round_id: str,
    item_id: Text,
    quantity: Text,
    justification: Text = "",
    priority: Text = "normal",
    needed_by: Text = "",
) -> Response:
    try:
        day = parse_day(needed_by).isoformat() if needed_by.strip() else None
    except ValueError:
        portal.refuse(portal._(DATE_REFUSED, field=portal._("Needed by"), value=needed_by))
        return back_to(f"/rounds/{round_id}")
    body = {"item_id": item_id, "quantity": whole(quantity), "justification": justification, "priority": priority,
            "needed_by": day}  # fmt: skip
    await portal.send("POST", f"/rounds/{round_id}/lines", json=body, ok=portal._("Demand added."))
    return back_to(f"/rounds/{round_id}")


@router.post("/{round_id}/lines/{line_id}")
async def change_line(
    portal: FormPortalDep,
    round_id: str,
    line_id: str,
    quantity: Text,
    version: Text,
    justification: Text = "",
) -> Response:
    body = {"quantity": whole(quantity), "justification": justification, "version": whole(version)}
    await portal.send("PATCH", f"/rounds/{round_id}/lines/{line_id}", json=body, ok=portal._("Demand changed."))
    return back_to(f"/rounds/{round_id}")


@router.post("/{round_id}/lines/{line_id}/withdraw")
async def withdraw_line(portal: FormPortalDep, round_id: str, line_id: str, version: Text) -> Response:
    path = f"/rounds/{round_id}/lines/{line_id}/withdraw"
    await portal.send("POST", path, headers=if_match(version), ok=portal._("Demand withdrawn."))
    return back_to(f"/rounds/{round_id}")


@router.post("/{round_id}/import")
async def import_lines(portal: FormPortalDep, round_id: str, file: UploadFile, mode: Text = "add") -> Response:
    content = await file.read()
    files = {"file": (file.filename or "demand.xlsx", content, file.content_type or "application/octet-stream")}
    result = await portal.send(
        "POST", f"/rounds/{round_id}/imports", files=files, data={"mode": mode}, ok=portal._("File imported.")
    )
    if result:
        portal.session.flashes[-1].details.append(
            portal._("{rows} rows: {created} added, {withdrawn} withdrawn, {unchanged} unchanged.", **result)
        )
    return back_to(f"/rounds/{round_id}")


@router.get("/{round_id}/aggregate")
async def aggregate(portal: PortalDep, round_id: str) -> HTMLResponse:
    portal.require(*DEMAND_ROLES)
    round_ = await portal.get_page(f"/rounds/{round_id}")
    aggregation = await portal.get_page(f"/rounds/{round_id}/aggregate")
    return await portal.page("aggregate.html", round=round_, aggregation=aggregation)


@router.post("/{round_id}/tender")
async def create_tender(portal: FormPortalDep, round_id: str) -> Response:
    tender = await portal.send(
        "POST", "/tenders", json={"round_id": round_id}, ok=portal._("Tender drafted from the round.")
    )
    return back_to(f"/tenders/{tender['id']}" if tender else f"/rounds/{round_id}")
