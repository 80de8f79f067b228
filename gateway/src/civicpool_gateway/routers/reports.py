"""Finance reports: a city's statement, utilisation and cost per contract, renewals due (JSON, CSV, XLSX).

Amounts are what a city owes: a charge is positive, a credit negative. Finance
sees its own city (network finance: every city); leads and admins see all.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from civicpool_gateway import downloads
from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import (
    BudgetReport,
    BudgetRow,
    RenewalsDue,
    Statement,
    UseRow,
    UtilisationReport,
)
from civicpool_gateway.schemas import Day, FormatQuery

router = APIRouter(tags=["reports"])


def _download(rows: list[dict[str, Any]], columns: list[str], file_format: str, stem: str, sheet: str) -> Any:
    return downloads.download(downloads.frame(rows, columns), file_format, stem, sheet)


@router.get("/reports/statement", summary="A city's statement for a period", response_model=Statement,
            responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def statement(
    caller: CallerDep,
    services: ClientsDep,
    city: Annotated[str, Query(max_length=40, description="The city; finance: your own")] = "",
    from_: Annotated[
        Day | None, Query(alias="from", description="First day (UTC), included; default 1 January of `to`'s year")
    ] = None,
    to: Annotated[Day | None, Query(description="Last day (UTC), included; default today")] = None,
    format: FormatQuery = "json",
) -> Any:
    end = to or dt.datetime.now(dt.UTC).date()
    start = from_ or end.replace(month=1, day=1)
    report = await services.contracts.statement(city, start, end, caller.token)
    if format == "json":
        return report
    lines = [{**line.model_dump(), "posted_at": line.posted_at.isoformat()} for line in report.lines]
    opening = {"text": "Anfangssaldo / opening balance", "balance_cents": report.opening_cents}
    closing = {"text": "Endsaldo / closing balance", "balance_cents": report.closing_cents}
    columns = ["posted_at", "text", "reference", "contract_reference", "amount_cents", "balance_cents", "kind", "sku",
               "memo", "transaction_id", "contract_id"]  # fmt: skip
    stem = f"statement-{report.city_id}-{report.from_.isoformat()}-{report.to.isoformat()}"
    return _download([opening, *lines, closing], columns, format, stem, "Kontoauszug")


@router.get("/reports/utilisation", summary="Utilisation and cost per contract and city",
            response_model=UtilisationReport, responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def utilisation_report(
    caller: CallerDep,
    services: ClientsDep,
    contract_id: Annotated[str, Query(max_length=64)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
    format: FormatQuery = "json",
) -> Any:
    report = await services.contracts.utilisation_report(contract_id, city, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    return _download(rows, list(UseRow.model_fields), format, f"utilisation-{city or 'network'}", "Auslastung")


@router.get("/reports/renewals", summary="Contracts whose renewal notice date is due", response_model=RenewalsDue,
            responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def renewals(
    caller: CallerDep,
    services: ClientsDep,
    days: Annotated[int, Query(ge=0, le=3650, description="Due within this many days (or past)")] = 90,
    format: FormatQuery = "json",
) -> Any:
    due = await services.contracts.renewals_due(days, caller.token)
    if format == "json":
        return due
    # Dates as the ISO text the contract carries (mode="json"), not as date cells.
    rows = [{**d.contract.model_dump(mode="json"), "days_left": d.days_left} for d in due.contracts]
    columns = ["id", "sku", "name", "vendor_id", "renewal_notice_on", "days_left", "ends_on", "ceiling_quantity",
               "unit_price_cents"]  # fmt: skip
    return _download(rows, columns, format, f"renewals-{days}-days", "Verlängerungen")


@router.get("/reports/budget", summary="Budget against actual charges per city and year",
            response_model=BudgetReport, responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def budget_report(
    caller: CallerDep,
    services: ClientsDep,
    year: Annotated[int | None, Query(ge=2000, le=2999, description="Default: this year")] = None,
    format: FormatQuery = "json",
) -> Any:
    report = await services.contracts.budget_report(year, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    return _download(rows, list(BudgetRow.model_fields), format, f"budget-{year or 'this-year'}", "Budget")
