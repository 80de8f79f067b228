"""Framework contracts: each city's quota and seats; city IT calls off and returns, the lead city shifts quota."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from civicpool_common.auth import Role
from civicpool_common.vocabulary import ChangeKind, LegalGround, PassOnCause
from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.competition_pages import invitation
from civicpool_portal.forms import Text, idempotency, if_match, parse_euros, whole
from civicpool_portal.i18n import parse_day
from civicpool_portal.page_request import FormPortalDep, Portal, PortalDep, back_to

router = APIRouter(prefix="/contracts")
CONTRACT_ROLES = (Role.CITY_IT, Role.PROCUREMENT_LEAD, Role.FINANCE, Role.NETWORK_ADMIN)
# Each form carries its own key: a double click or a resent form moves seats once (docs/usage.md).
IdempotencyField = Annotated[str, Form(max_length=64)]


@router.get("")
async def contracts(portal: PortalDep, reference: Annotated[str, Query(max_length=40)] = "") -> HTMLResponse:
    """The contracts the user may see; with `reference`, the one with that number (ETT-2026-003, any case)."""
    portal.require(*CONTRACT_ROLES)
    reference = reference.strip()
    all_contracts = await portal.get_all("/contracts", **({"reference": reference} if reference else {}))
    vendors = {v["id"]: v["name"] for v in await portal.get_all("/vendors", include_inactive=True)}
    return await portal.page("contracts.html", contracts=all_contracts, vendor_names=vendors, reference=reference)


@router.get("/{contract_id}")
async def contract_page(portal: PortalDep, contract_id: str) -> HTMLResponse:
    portal.require(*CONTRACT_ROLES)
    contract = await portal.get_page(f"/contracts/{contract_id}")
    use = await portal.get(f"/contracts/{contract_id}/utilisation")
    own = next((row for row in use["cities"] if row["city_id"] == portal.city), None)
    history = await portal.get(f"/contracts/{contract_id}/changes")
    is_lead = portal.has(Role.PROCUREMENT_LEAD) and portal.city == contract["lead_city_id"]
    vendors = await portal.get_all("/vendors") if is_lead else []
    can_move_seats = portal.has(Role.CITY_IT) and own is not None and contract["status"] == "active"
    framework = contract.get("framework")
    passable = []  # call-offs the next vendor of the framework's cascade can take over
    if framework and framework["rank"] < framework["vendors"] and (can_move_seats or is_lead):
        postings = await portal.get_all("/ledger/transactions", contract_id=contract_id)
        reversed_ids = {p["reverses_id"] for p in postings if p["reverses_id"]}
        passable = [p for p in postings if p["kind"] == "call_off" and p["id"] not in reversed_ids]
    competitions = await portal.get_all(f"/frameworks/{framework['id']}/mini-competitions") if framework else []
    return await portal.page(
        "contract.html",
        contract=contract,
        use=use,
        own=own,
        history=history,
        vendors=vendors,
        change_kinds=[kind.value for kind in ChangeKind],
        legal_grounds=[ground.value for ground in LegalGround],
        can_move_seats=can_move_seats,
        is_lead=is_lead,
        passable=passable,
        competitions=competitions,
        can_invite=bool(framework) and (can_move_seats or is_lead),
        pass_on_causes=[cause.value for cause in PassOnCause],
        idempotency_key=str(uuid.uuid4()),
    )


async def _seats(
    portal: Portal, contract_id: str, what: str, body: Mapping[str, object], key: str, ok: str
) -> Response:
    await portal.send("POST", f"/contracts/{contract_id}/{what}", json=body, headers=idempotency(key), ok=ok)
    return back_to(f"/contracts/{contract_id}")


@router.post("/{contract_id}/allocations")
async def call_off(
    portal: FormPortalDep,
    contract_id: str,
    quantity: Text,
    idempotency_key: IdempotencyField = "",
    from_pool: Text = "",
) -> Response:
    body = {"city_id": portal.city, "quantity": whole(quantity), "from_pool": from_pool == "yes"}
    return await _seats(portal, contract_id, "allocations", body, idempotency_key, portal._("Seats called off."))


@router.post("/{contract_id}/returns")
async def return_seats(
    portal: FormPortalDep, contract_id: str, quantity: Text, idempotency_key: IdempotencyField = ""
) -> Response:
    body = {"city_id": portal.city, "quantity": whole(quantity)}
    return await _seats(portal, contract_id, "returns", body, idempotency_key, portal._("Seats returned to the pool."))


@router.post("/{contract_id}/call-offs/{transaction_id}/pass-on")
async def pass_on(
    portal: FormPortalDep,
    contract_id: str,
    transaction_id: str,
    cause: Text,
    reason: Text = "",
    idempotency_key: IdempotencyField = "",
) -> Response:
    await portal.send(
        "POST", f"/ledger/transactions/{transaction_id}/pass-on", json={"cause": cause, "reason": reason},
        headers=idempotency(idempotency_key), ok=portal._("Passed on to the next vendor of the framework."),
    )  # fmt: skip
    return back_to(f"/contracts/{contract_id}")


@router.post("/{contract_id}/mini-competitions")
async def invite(
    portal: FormPortalDep, contract_id: str, quantity: Text, city_id: Text = "", hours: Text = "",
    description: Text = "", idempotency_key: IdempotencyField = "",
) -> Response:  # fmt: skip
    """A mini-competition under the contract's framework: for the user's own city, or (a lead) the city named."""
    framework = (await portal.get(f"/contracts/{contract_id}"))["framework"]
    body = invitation(city_id or portal.city or "", quantity, hours, description)
    started = await portal.send(
        "POST", f"/frameworks/{framework['id']}/mini-competitions", json=body, headers=idempotency(idempotency_key),
        ok=portal._("The framework's vendors are invited to offer."),
    )  # fmt: skip
    return back_to(f"/mini-competitions/{started['id']}" if started else f"/contracts/{contract_id}")


@router.post("/{contract_id}/quota-shifts")
async def shift_quota(
    portal: FormPortalDep,
    contract_id: str,
    from_city_id: Text,
    to_city_id: Text,
    quantity: Text,
    reason: Text = "",
    idempotency_key: IdempotencyField = "",
) -> Response:
    body = {"from_city_id": from_city_id, "to_city_id": to_city_id, "quantity": whole(quantity), "reason": reason}
    return await _seats(portal, contract_id, "quota-shifts", body, idempotency_key, portal._("Quota shifted."))


@router.post("/{contract_id}/changes")
async def change_contract(
    portal: FormPortalDep,
    contract_id: str,
    kind: Text,
    justification: Text,
    version: Text = "",
    legal_ground: Text = "",
    unit_price: Text = "",
    index_name: Text = "",
    city_id: Text = "",
    quantity: Text = "",
    ends_on: Text = "",
    vendor_id: Text = "",
    idempotency_key: IdempotencyField = "",
) -> Response:
    """A change under § 132 GWB: the form has every kind's fields; only the chosen kind's are sent."""
    body: dict[str, object] = {"kind": kind, "justification": justification}
    if legal_ground:
        body["legal_ground"] = legal_ground
    try:
        if kind == ChangeKind.PRICE_ADJUSTMENT:
            body |= {"unit_price_cents": parse_euros(unit_price), "index_name": index_name}
        elif kind == ChangeKind.QUANTITY_INCREASE:
            body["quota_additions"] = [{"city_id": city_id, "quantity": whole(quantity)}]
        elif kind == ChangeKind.TERM_EXTENSION:
            body["ends_on"] = parse_day(ends_on).isoformat()
        elif kind == ChangeKind.VENDOR_SUCCESSION:
            body["vendor_id"] = vendor_id
    except ValueError:
        portal.refuse(portal._("Enter the new price in euros and the new last day as a date."))
        return back_to(f"/contracts/{contract_id}")
    headers = idempotency(idempotency_key) | if_match(version)
    await portal.send("POST", f"/contracts/{contract_id}/changes", json=body, headers=headers,
                      ok=portal._("Contract changed; the change is in its history."))  # fmt: skip
    return back_to(f"/contracts/{contract_id}")
