"""Mini-competitions under frameworks with several vendors: the buyers invite and decide, the vendors offer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from civicpool_common.auth import Role
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, idempotency, parse_euros, whole
from civicpool_portal.page_request import FormPortalDep, Portal, PortalDep, back_to

router = APIRouter(prefix="/mini-competitions")
COMPETITION_ROLES = (Role.CITY_IT, Role.PROCUREMENT_LEAD, Role.NETWORK_ADMIN, Role.VENDOR)
DEFAULT_HOURS = 72  # an invitation's deadline unless the buyer says otherwise: short, as § 21 (5) VgV intends


async def framework_competitions(portal: Portal) -> list[dict[str, Any]]:
    """The mini-competitions of every framework the user sees a contract of, newest first."""
    frameworks = {c["framework"]["id"] for c in await portal.get_all("/contracts") if c.get("framework")}
    found = [c for f in sorted(frameworks) for c in await portal.get_all(f"/frameworks/{f}/mini-competitions")]
    return sorted(found, key=lambda c: c["created_at"], reverse=True)


@router.get("")
async def competitions(portal: PortalDep) -> HTMLResponse:
    portal.require(*COMPETITION_ROLES)
    return await portal.page("competitions.html", competitions=await framework_competitions(portal))


@router.get("/{competition_id}")
async def competition_page(portal: PortalDep, competition_id: str) -> HTMLResponse:
    portal.require(*COMPETITION_ROLES)
    competition = await portal.get(f"/mini-competitions/{competition_id}")
    due = dt.datetime.fromisoformat(competition["offers_due_at"]) <= dt.datetime.now(dt.UTC)
    is_vendor = portal.has(Role.VENDOR)
    return await portal.page(
        "competition.html",
        competition=competition,
        due=due,
        is_vendor=is_vendor,
        own_offer=next(iter(competition["offers"]), None) if is_vendor else None,
        can_decide=not is_vendor and due and competition["status"] == "open",
    )


@router.post("/{competition_id}/offer")
async def offer(portal: FormPortalDep, competition_id: str, unit_price: Text, note: Text = "") -> Response:
    body = {"unit_price_cents": parse_euros(unit_price), "note": note}
    await portal.send("PUT", f"/mini-competitions/{competition_id}/offer", json=body, ok=portal._("Offer submitted."))
    return back_to(f"/mini-competitions/{competition_id}")


@router.post("/{competition_id}/decision")
async def decide(portal: FormPortalDep, competition_id: str, idempotency_key: Text = "") -> Response:
    await portal.send(
        "POST", f"/mini-competitions/{competition_id}/decision", headers=idempotency(idempotency_key),
        ok=portal._("Decided: the best offer is called off at its price."),
    )  # fmt: skip
    return back_to(f"/mini-competitions/{competition_id}")


def invitation(city_id: str, quantity: str, hours: str, description: str) -> dict[str, Any]:
    """The body of an invitation from the contract page's form (hours from now until the offers are due)."""
    due_in = whole(hours or str(DEFAULT_HOURS))
    due = dt.datetime.now(dt.UTC) + dt.timedelta(hours=due_in if isinstance(due_in, int) else DEFAULT_HOURS)
    return {"quantities": [{"city_id": city_id, "quantity": whole(quantity)}],
            "offers_due_at": due.replace(microsecond=0).isoformat(), "description": description}  # fmt: skip
