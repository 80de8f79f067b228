"""The network admin's overview: catalog, member cities, vendors and cost-sharing keys."""

from __future__ import annotations

from civicpool_common.auth import Role
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from civicpool_gateway.portal.web import PORTAL, FormPortalDep, PortalDep, Text, back_to, if_match

router = APIRouter(prefix=f"{PORTAL}/admin", include_in_schema=False)
RESOURCES = ("items", "cities", "vendors", "cost-keys")


@router.get("")
async def admin(portal: PortalDep) -> HTMLResponse:
    portal.require(Role.NETWORK_ADMIN)
    lists = [await portal.get_all(f"/{name}", include_inactive=True) for name in RESOURCES]
    items, cities, vendors, cost_keys = lists
    return await portal.page("admin.html", items=items, cities=cities, vendors=vendors, cost_keys=cost_keys)


@router.post("/{resource}/{resource_id}/{action}")
async def toggle(portal: FormPortalDep, resource: str, resource_id: str, action: str, version: Text = "") -> Response:
    """Deactivate or activate an item, city, vendor or cost key (nothing is ever deleted)."""
    if resource not in RESOURCES or action not in ("activate", "deactivate"):
        portal.refuse(portal._("Unknown action."))
        return back_to("/admin")
    done = portal._("Activated.") if action == "activate" else portal._("Deactivated.")
    await portal.send("POST", f"/{resource}/{resource_id}/{action}", headers=if_match(version), ok=done)
    return back_to("/admin")
