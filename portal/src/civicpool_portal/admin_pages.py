"""The network admin's overview: catalog, member cities, vendors and cost-sharing keys."""

from __future__ import annotations

from civicpool_common.auth import Role
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, if_match, parse_euros, whole
from civicpool_portal.page_request import FormPortalDep, PortalDep, back_to

router = APIRouter(prefix="/admin")
RESOURCES = ("items", "cities", "vendors", "cost-keys")


@router.get("")
async def admin(portal: PortalDep) -> HTMLResponse:
    portal.require(Role.NETWORK_ADMIN)
    lists = [await portal.get_all(f"/{name}", include_inactive=True) for name in RESOURCES]
    items, cities, vendors, cost_keys = lists
    return await portal.page("admin.html", items=items, cities=cities, vendors=vendors, cost_keys=cost_keys)


@router.post("/items")
async def create_item(
    portal: FormPortalDep,
    sku: Text,
    name: Text,
    kind: Text,
    cpv_code: Text,
    unit: Text,
    reference_price: Text,
    hosting_region: Text = "",
    license_model: Text = "",
    license_term_months: Text = "",
    dpa_available: Text = "",
    open_source: Text = "",
) -> Response:
    try:
        cents = parse_euros(reference_price)
    except ValueError:
        portal.refuse(portal._("Enter prices in euros, e.g. 1.234,56."))
        return back_to("/admin")
    body = {"sku": sku, "name": name, "kind": kind, "cpv_code": cpv_code, "unit": unit,
            "reference_price_cents": cents, "hosting_region": hosting_region or None,
            "license_model": license_model or None, "license_term_months": whole(license_term_months) or None,
            "dpa_available": dpa_available == "yes", "open_source": open_source == "yes"}  # fmt: skip
    await portal.send("POST", "/items", json=body, ok=portal._("Item added to the catalog."))
    return back_to("/admin")


@router.post("/items/{item_id}/price")
async def change_price(portal: FormPortalDep, item_id: str, reference_price: Text, version: Text) -> Response:
    try:
        body = {"reference_price_cents": parse_euros(reference_price), "version": whole(version)}
    except ValueError:
        portal.refuse(portal._("Enter prices in euros, e.g. 1.234,56."))
        return back_to("/admin")
    await portal.send("PATCH", f"/items/{item_id}", json=body, ok=portal._("Reference price changed."))
    return back_to("/admin")


@router.post("/cities")
async def create_city(portal: FormPortalDep, id: Text, name: Text, ags: Text, population: Text) -> Response:
    body = {"id": id, "name": name, "ags": ags, "population": whole(population)}
    await portal.send("POST", "/cities", json=body, ok=portal._("City added to the network."))
    return back_to("/admin")


@router.post("/vendors")
async def create_vendor(
    portal: FormPortalDep,
    id: Text,
    name: Text,
    country: Text,
    contact_email: Text = "",
    vat_id: Text = "",
) -> Response:
    body = {"id": id, "name": name, "country": country, "contact_email": contact_email, "vat_id": vat_id or None}
    await portal.send("POST", "/vendors", json=body, ok=portal._("Vendor added."))
    return back_to("/admin")


@router.post("/{resource}/{resource_id}/{action}")
async def toggle(portal: FormPortalDep, resource: str, resource_id: str, action: str, version: Text = "") -> Response:
    """Deactivate or activate an item, city, vendor or cost key (nothing is ever deleted)."""
    if resource not in RESOURCES or action not in ("activate", "deactivate"):
        portal.refuse(portal._("Unknown action."))
        return back_to("/admin")
    done = portal._("Activated.") if action == "activate" else portal._("Deactivated.")
    await portal.send("POST", f"/{resource}/{resource_id}/{action}", headers=if_match(version), ok=done)
    return back_to("/admin")
