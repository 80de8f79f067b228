"""Finance reports: a city's statement, utilisation and cost per contract, renewals due (JSON, CSV, XLSX).

Amounts are what a city owes: a charge is positive, a credit negative. Finance
sees its own city (network finance: every city); leads and admins see all.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.

import datetime as dt
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
from civicpool_gateway.invoice_schemas import (
    AccrualReport,
    AccrualRow,
    InvoiceLineRow,
    InvoiceLinesExport,
    InvoiceReport,
    InvoiceStatusRow,
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


def _period(from_: dt.date | None, to: dt.date | None) -> tuple[dt.date, dt.date]:
    """A report's days: to today, from 1 January of to's year, unless named."""
    end = to or network_today()
    return from_ or end.replace(month=1, day=1), end


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
    start, end = _period(from_, to)
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


# -- e-invoices -------------------------------------------------------------------------------------------------

CityQuery = Annotated[str, Query(max_length=40, description="The city; finance: your own; empty: every city you see")]
FromQuery = Annotated[Day | None, Query(alias="from", description="First day (Europe/Berlin), included; default 1 "
                                        "January of `to`'s year")]  # fmt: skip
ToQuery = Annotated[Day | None, Query(description="Last day (Europe/Berlin), included; default today in Berlin")]


@router.get("/reports/invoices", summary="E-invoices by city and status", response_model=InvoiceReport,
            responses=downloads.DOWNLOAD_RESPONSES,
            description="The invoices uploaded in a period (credit notes negative), per city and status: how many, "
            "net, VAT, gross. Finance its own city; the network's finance, leads and admins every city.")  # fmt: skip
async def invoice_report(
    caller: CallerDep, services: ClientsDep, city: CityQuery = "", from_: FromQuery = None, to: ToQuery = None,
    format: FormatQuery = "json", language: LanguageQuery = None,
) -> Any:  # fmt: skip
    start, end = _period(from_, to)
    report = await services.contracts.invoice_report(city, start, end, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    stem = f"invoices-{city or 'network'}-{start.isoformat()}-{end.isoformat()}"
    return _download(
        rows, list(InvoiceStatusRow.model_fields), format, stem, "Rechnungen", language, {"status": "invoice"}
    )


@router.get("/reports/accruals", summary="Called off against invoiced per contract and city (accruals)",
            response_model=AccrualReport, responses=downloads.DOWNLOAD_RESPONSES,
            description="At the end of a day (default today; 31 December for the year-end accruals): what each city "
            "called off under each contract, what was invoiced for it (matched and approved invoices, less credit "
            "notes), and the difference not yet invoiced. Finance its own city; the network's finance, leads and "
            "admins every city.")  # fmt: skip
async def accrual_report(
    caller: CallerDep, services: ClientsDep, city: CityQuery = "",
    at: Annotated[Day | None, Query(description="The day (Europe/Berlin) at whose end; default today")] = None,
    format: FormatQuery = "json", language: LanguageQuery = None,
) -> Any:  # fmt: skip
    day = at or network_today()
    report = await services.contracts.accrual_report(city, day, caller.token)
    if format == "json":
        return report
    rows = [row.model_dump() for row in report.rows]
    stem = f"accruals-{city or 'network'}-{day.isoformat()}"
    return _download(rows, list(AccrualRow.model_fields), format, stem, "Abgrenzung", language)


@router.get("/reports/invoice-lines", summary="The approved e-invoices' lines, for a city's accounting",
            response_model=InvoiceLinesExport, responses=downloads.DOWNLOAD_RESPONSES,
            description="One row per line of each invoice approved in the period: Leitweg-ID, vendor, contract, "
            "net, VAT (the invoice's VAT of the line's rate, shared among its lines to the cent), gross; credit "
            "notes negative. As CSV or XLSX for the city's accounting to import.")  # fmt: skip
async def invoice_lines(
    caller: CallerDep, services: ClientsDep, city: CityQuery = "", from_: FromQuery = None, to: ToQuery = None,
    format: FormatQuery = "json", language: LanguageQuery = None,
) -> Any:  # fmt: skip
    start, end = _period(from_, to)
    export = await services.contracts.invoice_lines(city, start, end, caller.token)
    if format == "json":
        return export
    rows = [row.model_dump() for row in export.rows]
    stem = f"invoice-lines-{city or 'network'}-{start.isoformat()}-{end.isoformat()}"
    return _download(rows, list(InvoiceLineRow.model_fields), format, stem, "Rechnungspositionen", language)
