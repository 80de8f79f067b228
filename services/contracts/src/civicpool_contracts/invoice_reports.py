"""Invoice reports for finance: invoices by city and status, what was called off against what was invoiced (the
accruals at year end), and the approved invoices' lines as a city's accounting imports them. SQL reads the rows a
report needs, pandas groups them. Credit notes count negative; periods are whole days of the network
(Europe/Berlin), both ends included. Finance sees its own city, the network's finance, leads and admins every
city's, vendors none (access.city_in_reach).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import pandas as pd
from civicpool_common.auth import Principal
from civicpool_common.timestamps import start_of_network_day
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import invoice_matching, repository
from civicpool_contracts.access import city_in_reach
from civicpool_contracts.reports import REPORT_TOO_LONG, network_period

STATUS_COLUMNS = ["city_id", "status", "credit_note", "net_cents", "tax_cents", "gross_cents"]


@dataclass(frozen=True)
class StatusRow:
    city_id: str
    status: str
    invoices: int
    net_cents: int
    tax_cents: int
    gross_cents: int


@dataclass(frozen=True)
class AccrualRow:
    contract_id: str
    contract_reference: str
    sku: str
    vendor_id: str
    city_id: str
    called_off_quantity: int
    called_off_cents: int
    invoiced_quantity: int
    invoiced_cents: int
    open_quantity: int
    open_cents: int


@dataclass(frozen=True)
class LineRow:
    approved_at: dt.datetime
    invoice_id: str
    number: str
    issue_date: str
    credit_note: bool
    city_id: str
    leitweg_id: str
    vendor_id: str
    seller_name: str
    contract_id: str
    contract_reference: str
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    net_cents: int
    vat_rate_bps: int
    vat_cents: int
    gross_cents: int


class InvoiceReports:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_status(self, principal: Principal, city_id: str, start: dt.date, end: dt.date) -> list[StatusRow]:
        """Invoices uploaded in the period, per city and status: how many, and their amounts."""
        city_id = city_in_reach(principal, city_id)
        since, until = network_period(start, end, REPORT_TOO_LONG)
        async with self._sessions() as session:
            rows = await repository.invoice_totals(session, city_id, since, until)
        frame = pd.DataFrame(rows, columns=STATUS_COLUMNS)
        if frame.empty:
            return []
        sign = frame["credit_note"].map({True: -1, False: 1})
        for column in ("net_cents", "tax_cents", "gross_cents"):
            frame[column] = frame[column] * sign
        grouped = frame.groupby(["city_id", "status"], as_index=False).agg(
            invoices=("status", "size"), net_cents=("net_cents", "sum"), tax_cents=("tax_cents", "sum"),
            gross_cents=("gross_cents", "sum"),
        )  # fmt: skip
        return [StatusRow(str(r["city_id"]), str(r["status"]), int(r["invoices"]), int(r["net_cents"]),
                          int(r["tax_cents"]), int(r["gross_cents"])) for r in grouped.to_dict("records")]  # fmt: skip

    async def accruals(self, principal: Principal, city_id: str, at: dt.date) -> list[AccrualRow]:
        """Per contract and city at the end of `at`: called off, invoiced (matched and approved invoices, less
        credit notes) and the difference, which is what a city accrues at year end."""
        city_id = city_in_reach(principal, city_id)
        until = start_of_network_day(at + dt.timedelta(days=1))
        async with self._sessions() as session:
            called = await repository.called_off_until(session, city_id, until)
            invoiced = await repository.invoiced_until(session, city_id, until)
            labels = await repository.contract_labels(session, {row[0] for row in called})
        keys = ["contract_id", "city_id"]
        calls = pd.DataFrame(called, columns=[*keys, "called_off_quantity", "called_off_cents"])
        bills = pd.DataFrame(invoiced, columns=[*keys, "invoiced_quantity", "invoiced_cents", "credit_note"])
        sign = bills["credit_note"].map({True: -1, False: 1})
        for column in ("invoiced_quantity", "invoiced_cents"):
            bills[column] = bills[column] * sign
        merged = calls.groupby(keys, as_index=False).sum().merge(
            bills.drop(columns="credit_note").groupby(keys, as_index=False).sum(), on=keys, how="left"
        ).fillna(0)  # fmt: skip
        rows = []
        for r in cast(list[dict[str, Any]], merged.sort_values(keys).to_dict("records")):
            reference, sku, vendor_id = labels.get(str(r["contract_id"]), ("", "", ""))
            called_off, called_off_cents = int(r["called_off_quantity"]), int(r["called_off_cents"])
            quantity, cents = int(r["invoiced_quantity"]), int(r["invoiced_cents"])
            rows.append(
                AccrualRow(
                    str(r["contract_id"]),
                    reference,
                    sku,
                    vendor_id,
                    str(r["city_id"]),
                    called_off,
                    called_off_cents,
                    quantity,
                    cents,
                    called_off - quantity,
                    called_off_cents - cents,
                )
            )
        return rows

    async def approved_lines(self, principal: Principal, city_id: str, start: dt.date, end: dt.date) -> list[LineRow]:
        """One row per line of each invoice approved in the period, with the Leitweg-ID, vendor, contract, net, VAT
        (the invoice's VAT of the line's rate, shared among its lines to the cent) and gross: for accounting."""
        city_id = city_in_reach(principal, city_id)
        since, until = network_period(start, end, REPORT_TOO_LONG)
        async with self._sessions() as session:
            approved = await repository.approved_invoices(session, city_id, since, until)
            labels = await repository.contract_labels(session, {invoice.contract_id for invoice, _ in approved})
        rows = []
        for invoice, lines in approved:
            sign = -1 if invoice.credit_note else 1
            shares = invoice_matching.vat_of_lines([(line.net_cents, line.vat_rate_bps) for line in lines])
            reference = labels.get(invoice.contract_id, ("", "", ""))[0]
            for line, vat in zip(lines, shares, strict=True):
                rows.append(LineRow(
                    invoice.decided_at or invoice.uploaded_at, invoice.id, invoice.number,
                    invoice.issue_date.isoformat() if invoice.issue_date else "", invoice.credit_note, invoice.city_id,
                    invoice.buyer_reference, invoice.vendor_id, invoice.seller_name, invoice.contract_id, reference,
                    line.line_id, line.seller_item_id, line.name, line.quantity, line.unit_price_cents,
                    sign * line.net_cents, line.vat_rate_bps, sign * vat, sign * (line.net_cents + vat),
                ))  # fmt: skip
        return rows
