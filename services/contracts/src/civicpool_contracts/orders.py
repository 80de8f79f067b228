"""The call-offs under a contract as its vendor receives them: orders to deliver, and to invoice.

Each call-off from the vendor (not a take from the pool, which the vendor never delivers) with its number (BT-13 of
the invoice for it), the city, quantity and unit price, whether it was reversed (or passed on), and where the city
receives its invoices: its default billing unit's Leitweg-ID (BT-10), from the catalog. The contract's vendor,
procurement leads, network admins and the network's finance see every city's; a city's IT and finance their own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common.auth import NETWORK_WIDE, Principal, Role
from civicpool_common.paging import Page, PageWindow
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from civicpool_contracts.access import visible_contract
from civicpool_contracts.clients import InvoiceCatalog
from civicpool_contracts.models import CallOffNumber, LedgerTransaction, Movement


@dataclass(frozen=True)
class Order:
    transaction_id: str
    reference: str
    city_id: str
    quantity: int
    unit_price_cents: int
    called_off_at: dt.datetime
    reversed: bool
    leitweg_id: str
    billing_unit: str


class OrderService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], catalog: InvoiceCatalog) -> None:
        self._sessions = sessions
        self._catalog = catalog

    async def of_contract(self, principal: Principal, contract_id: str, limit: int, cursor: str) -> Page[Order]:
        """The contract's call-offs the caller may see, oldest first."""
        window = PageWindow.requested(limit, cursor)
        reversal = aliased(LedgerTransaction)
        query = (
            select(LedgerTransaction.id, CallOffNumber.reference, CallOffNumber.city_id, Movement.quantity,
                   Movement.amount_cents, LedgerTransaction.created_at,
                   exists().where(reversal.reverses_id == LedgerTransaction.id))
            .join(CallOffNumber, CallOffNumber.transaction_id == LedgerTransaction.id)
            .join(Movement, Movement.transaction_id == LedgerTransaction.id)
            .where(LedgerTransaction.contract_id == contract_id, LedgerTransaction.kind == "call_off")
            .order_by(LedgerTransaction.id)
        )  # fmt: skip
        city = _own_city_only(principal)
        if city:
            query = query.where(CallOffNumber.city_id == city)
        if window.after is not None:
            query = query.where(LedgerTransaction.id > window.after)
        async with self._sessions() as session:
            await visible_contract(session, principal, contract_id)
            rows = (await session.execute(query.limit(window.fetch))).all()
        page = window.close(rows, lambda row: str(row[0]))
        cities = sorted({str(row[2]) for row in page.records})
        units = (await self._catalog.invoice_parties(principal, "", "", [], cities)).billing_units if cities else {}
        return Page([
            Order(row[0], row[1], row[2], row[3], row[4] // row[3], row[5], bool(row[6]), *units.get(row[2], ("", "")))
            for row in page.records
        ], page.next_cursor)  # fmt: skip


def _own_city_only(principal: Principal) -> str:
    """The one city whose call-offs the caller sees; "" for all of them (the contract's vendor, leads, admins, the
    network's finance)."""
    if principal.has_any_role([Role.VENDOR, *NETWORK_WIDE]):
        return ""
    return principal.own_city()
