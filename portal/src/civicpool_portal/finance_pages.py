"""Finance: allocations and costs per contract, the statement of a period, budget against actual, renewals, and the
charges between member cities."""

from __future__ import annotations

import uuid
from typing import Annotated

from civicpool_common.auth import Role
from civicpool_common.messages import N_
from civicpool_common.timestamps import network_today
from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response

from civicpool_portal.forms import Text, idempotency, parse_euros, whole
from civicpool_portal.i18n import DATE_REFUSED, parse_day
from civicpool_portal.page_request import (
    ApiError,
    FormPortalDep,
    NoAccess,
    Portal,
    PortalDep,
    api_file,
    back_to,
    download,
)

router = APIRouter(prefix="/finance")
FINANCE_ROLES = (Role.FINANCE, Role.NETWORK_ADMIN)
REPORTS = {"statement": "/reports/statement", "utilisation": "/reports/utilisation", "budget": "/reports/budget",
           "renewals": "/reports/renewals", "invoice-lines": "/reports/invoice-lines", "accruals": "/reports/accruals",
           "invoices": "/reports/invoices"}  # fmt: skip
PERIOD_REPORTS = ("statement", "invoice-lines", "invoices")  # for the period the page shows
RENEWAL_DAYS = 365


def _period(start: str, end: str, portal: Portal | None = None) -> tuple[str, str]:
    """The period asked for (31.03.2027 or 2027-03-31), or this year so far; a day that is none is said on the
    page (`portal`) and this year so far is shown."""
    today = network_today()
    first, last = today.replace(month=1, day=1), today
    for field, typed in ((N_("From"), start), (N_("To"), end)):
        if not typed.strip():
            continue
        try:
            day = parse_day(typed)
        except ValueError:
            if portal is not None:
                portal.refuse(portal._(DATE_REFUSED, field=portal._(field), value=typed))
            return today.replace(month=1, day=1).isoformat(), today.isoformat()
        first, last = (day, last) if field == "From" else (first, day)
    return first.isoformat(), last.isoformat()


@router.get("")
async def finance(
    portal: PortalDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    portal.require(*FINANCE_ROLES)
    first, last = _period(start, end, portal)
    city = portal.city or city
    year = int(last[:4])
    use = await portal.get("/reports/utilisation", city=city or None)
    statement, statement_error = None, None
    if city:
        try:
            statement = await portal.get("/reports/statement", city=city, **{"from": first, "to": last})
        except ApiError as error:
            statement_error = error.detail
    budget = await portal.get("/reports/budget", year=year)
    budgets = {(b["city_id"], b["year"]): b for b in await portal.get("/budgets", year=year)}
    renewals = await portal.get("/reports/renewals", days=RENEWAL_DAYS)
    charges = await portal.get("/charge-invoices", limit=50)
    return await portal.page(
        "finance.html",
        use=use["rows"],
        statement=statement,
        statement_error=statement_error,
        budget=budget["rows"],
        budgets=budgets,
        renewals=renewals["contracts"],
        renewal_days=RENEWAL_DAYS,
        charges=charges["data"],
        shown=city,  # the city shown; `city()` names any city
        period={"from": first, "to": last},
        year=year,
        idempotency_key=str(uuid.uuid4()),
    )


@router.get("/download/{report}.{file_format}")
async def download_report(
    portal: PortalDep,
    report: str,
    file_format: str,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
    year: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    portal.require(*FINANCE_ROLES)
    if report not in REPORTS or file_format not in ("csv", "xlsx"):
        raise NoAccess(portal._("This does not exist, or it is not yours to see."))
    params: dict[str, str] = {"format": file_format}
    if report in PERIOD_REPORTS:
        params.update(zip(("from", "to"), _period(start, end), strict=True), city=portal.city or city)
    elif report in ("utilisation", "accruals") and (portal.city or city):
        params["city"] = portal.city or city
    elif report == "budget" and year.isdigit():
        params["year"] = year
    elif report == "renewals":
        params["days"] = str(RENEWAL_DAYS)
    name = "-".join(part for part in (report, params.get("city"), params.get("from"), params.get("to")) if part)
    return download(await portal.call("GET", REPORTS[report], params=params), f"{name}.{file_format}")


@router.get("/charges/{charge_id}.xml")
async def charge_document(portal: PortalDep, charge_id: str) -> Response:
    """A charge's XRechnung as issued (the API decides who may read it)."""
    portal.require(*FINANCE_ROLES)
    return await api_file(portal, f"/charge-invoices/{charge_id}/document")


@router.post("/budgets")
async def set_budget(
    portal: FormPortalDep,
    city_id: Annotated[str, Form(max_length=40)],
    year: Annotated[str, Form(max_length=4)],
    amount: Annotated[str, Form(max_length=40)],
    version: Text = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        cents = parse_euros(amount)
    except ValueError:
        portal.refuse(portal._("Enter the amount in euros, e.g. 1.234,56."))
        return back_to("/finance")
    body = {"amount_cents": cents, "version": whole(version) if version else None}
    path = f"/budgets/{city_id}/{year}"
    await portal.send("PUT", path, json=body, headers=idempotency(idempotency_key), ok=portal._("Budget saved."))
    return back_to("/finance")
