"""Finance reports: a city's statement, utilisation and cost per contract, renewals due (JSON, CSV, XLSX).

Amounts are what a city owes: a charge is positive, a credit negative. Finance
sees its own city (network finance: every city); leads and admins see all.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

from collections.abc import Sequence
from typing import Annotated, Any

from civicpool_common import messages
from civicpool_common.messages import Text
from civicpool_common.timestamps import network_today
from fastapi import APIRouter, Query

from civicpool_gateway import downloads
from civicpool_gateway.auth import CallerDep
from civicpool_gateway.clients import ClientsDep
from civicpool_gateway.contract_schemas import (
    BudgetReport,
    BudgetRow,
    RenewalsDue,
    Statement,
    StatementLine,
    UseRow,
    UtilisationReport,
)
from civicpool_gateway.schemas import Day, FormatQuery, LanguageQuery

router = APIRouter(tags=["reports"])

STATEMENT_COLUMNS = ("posted_at", "text", "reference", "contract_reference", "amount_cents", "balance_cents",
                     "kind", "sku", "memo", "transaction_id", "contract_id")  # fmt: skip
LABELS = {"kind": "posting"}  # a statement's kind is a posting's: "call_off" reads "Abruf"


def _download(
    rows: list[dict[str, Any]], columns: Sequence[str], file_format: str, stem: str, sheet: str, language: str | None,
    labels: dict[str, str] | None = None,
) -> Any:  # fmt: skip
    table = downloads.table(rows, columns, labels)
    return downloads.download(table, file_format, stem, sheet, downloads.file_language(language))


def statement_row(line: StatementLine) -> dict[str, Any]:
    """A statement line as a row of a download (STATEMENT_COLUMNS): cents, the UTC timestamp and the posting's
    kind as they are (downloads.py writes them for the reader); `text` is the booking text the contracts
    service wrote in the file's language ("Abruf 40 × Notebook 14 Zoll, Vertrag ETT-2026-003")."""
    return line.model_dump()


@router.get("/reports/statement", summary="A city's statement for a period", response_model=Statement,
            responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def statement(
    caller: CallerDep,
    services: ClientsDep,
    city: Annotated[str, Query(max_length=40, description="The city; finance: your own")] = "",
    from_: Annotated[
        Day | None,
        Query(alias="from", description="First day (Europe/Berlin), included; default 1 January of `to`'s year"),
    ] = None,
    to: Annotated[Day | None, Query(description="Last day (Europe/Berlin), included; default today in Berlin")] = None,
    format: FormatQuery = "json",
    language: LanguageQuery = None,
) -> Any:
    end = to or network_today()
    start = from_ or end.replace(month=1, day=1)
    written_in = downloads.file_language(language)
    if format != "json":  # the service writes the booking texts in the language of the file, not the request
        messages.current_language.set(written_in)
    report = await services.contracts.statement(city, start, end, caller.token)
    if format == "json":
        return report
    opening = {"text": Text("Opening balance").render(written_in), "balance_cents": report.opening_cents}
    closing = {"text": Text("Closing balance").render(written_in), "balance_cents": report.closing_cents}
    rows = [opening, *(statement_row(line) for line in report.lines), closing]
    stem = f"statement-{report.city_id}-{report.from_.isoformat()}-{report.to.isoformat()}"
    return _download(rows, STATEMENT_COLUMNS, format, stem, "Kontoauszug", written_in, LABELS)


@router.get("/reports/utilisation", summary="Utilisation and cost per contract and city",
            response_model=UtilisationReport, responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def utilisation_report(
    caller: CallerDep,
    services: ClientsDep,
    contract_id: Annotated[str, Query(max_length=64)] = "",
    city: Annotated[str, Query(max_length=40)] = "",
    format: FormatQuery = "json",
    language: LanguageQuery = None,
) -> Any:
    report = await services.contracts.utilisation_report(contract_id, city, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    stem = f"utilisation-{city or 'network'}"
    return _download(rows, list(UseRow.model_fields), format, stem, "Auslastung", language, {"kind": "kind"})


@router.get("/reports/renewals", summary="Contracts whose renewal notice date is due", response_model=RenewalsDue,
            responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def renewals(
    caller: CallerDep,
    services: ClientsDep,
    days: Annotated[int, Query(ge=0, le=3650, description="Due within this many days (or past)")] = 90,
    format: FormatQuery = "json",
    language: LanguageQuery = None,
) -> Any:
    due = await services.contracts.renewals_due(days, caller.token)
    if format == "json":
        return due
    # Dates as dates: date cells in XLSX, the reader's way of writing them in CSV.
    rows = [{**d.contract.model_dump(), "contract_id": d.contract.id, "days_left": d.days_left} for d in due.contracts]
    columns = ["contract_id", "sku", "name", "vendor_id", "renewal_notice_on", "days_left", "ends_on",
               "ceiling_quantity", "unit_price_cents"]  # fmt: skip
    return _download(rows, columns, format, f"renewals-{days}-days", "Verlängerungen", language)


@router.get("/reports/budget", summary="Budget against actual charges per city and year",
            response_model=BudgetReport, responses=downloads.DOWNLOAD_RESPONSES)  # fmt: skip
async def budget_report(
    caller: CallerDep,
    services: ClientsDep,
    year: Annotated[int | None, Query(ge=2000, le=2999, description="Default: this year")] = None,
    format: FormatQuery = "json",
    language: LanguageQuery = None,
) -> Any:
    report = await services.contracts.budget_report(year, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    return _download(rows, list(BudgetRow.model_fields), format, f"budget-{year or 'this-year'}", "Budget", language)
