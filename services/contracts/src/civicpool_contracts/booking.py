"""Booking texts: what a posting was, as finance reads it ("Abruf 40 × Notebook 14 Zoll, Vertrag ETT-2026-003").

Nothing of the text is stored: a posting keeps its facts (kind, movements, contract, the call-off's
number, the memo a person wrote), and the text is made from them when it is read, in the reader's
language (the request's, see civicpool_common.messages). Postings made before the texts existed read the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from civicpool_common.messages import N_, Text
from sqlalchemy import ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from civicpool_contracts.models import CallOffNumber, Contract, LedgerTransaction, Movement

# The text of each kind of posting; {memo} is what the person who posted it wrote.
TEXTS = {
    "call_off": N_("Call-off {quantity:n} × {item}, contract {contract}"),
    "take": N_("Call-off {quantity:n} × {item} from the pool, contract {contract}"),
    "return": N_("Return of {quantity:n} × {item} to the pool, contract {contract}"),
    "move": N_("Move of {quantity:n} × {item} between cities, contract {contract}"),
    "shared_cost": N_("Shared cost: {memo}, contract {contract}"),
    "invoice": N_("VAT of invoice {memo}, contract {contract}"),
    "credit_note": N_("VAT of credit note {memo}, contract {contract}"),
    "charge": N_("VAT of charge {memo}, contract {contract}"),
}
REVERSAL_OF_CALL_OFF = N_("Reversal of call-off {original}: {memo}, contract {contract}")
REVERSAL = N_("Reversal: {memo}, contract {contract}")


@dataclass(frozen=True)
class Booking:
    """The facts of one posting that its text is made of."""

    kind: str
    reference: str  # the call-off's number ("" for other postings)
    contract_reference: str
    item: str  # the contract's item name
    quantity: int  # units moved (of the reader's city where the reader is a city), 0 for none
    memo: str
    reversed_reference: str  # a reversal: the number of the call-off it reverses ("" none)

    def text(self) -> Text:
        values = {"contract": self.contract_reference, "item": self.item, "quantity": self.quantity}
        if self.kind == "reversal":
            if self.reversed_reference:
                return Text(REVERSAL_OF_CALL_OFF, original=self.reversed_reference, memo=self.memo, **values)
            return Text(REVERSAL, memo=self.memo, **values)
        return Text(TEXTS[self.kind], memo=self.memo, **values)


CHUNK = 500  # postings per query on SQLite (an IN list); PostgreSQL takes them all as one array parameter


async def bookings(session: AsyncSession, transaction_ids: Sequence[str], city_id: str = "") -> dict[str, Booking]:
    """The facts of each posting, by id; quantities of `city_id`'s movements when named (a statement's city)."""
    found: dict[str, Booking] = {}
    # One array parameter on PostgreSQL: the statement is the same for any number of ids (compiled once, planned
    # once), where thousands of IN-list parameters cost more to send than the query costs to run.
    chunk = (len(transaction_ids) or 1) if session.get_bind().dialect.name == "postgresql" else CHUNK
    for start in range(0, len(transaction_ids), chunk):
        found |= await _bookings(session, transaction_ids[start : start + chunk], city_id)
    return found


def _among(column: InstrumentedAttribute[str], ids: Sequence[str], session: AsyncSession) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(String()), unique=True))
    return column.in_(ids)


async def _bookings(session: AsyncSession, transaction_ids: Sequence[str], city_id: str) -> dict[str, Booking]:
    own = aliased(CallOffNumber)
    original = aliased(CallOffNumber)
    moved = select(Movement.transaction_id, func.max(func.abs(Movement.quantity)).label("quantity")).where(
        _among(Movement.transaction_id, transaction_ids, session)
    )
    if city_id:
        moved = moved.where(Movement.city_id == city_id)
    quantities = moved.group_by(Movement.transaction_id).subquery()
    query = (
        select(LedgerTransaction.id, LedgerTransaction.kind, func.coalesce(own.reference, ""),
               func.coalesce(Contract.reference, ""), func.coalesce(Contract.name, ""),
               func.coalesce(quantities.c.quantity, 0), LedgerTransaction.memo,
               func.coalesce(original.reference, ""))
        .outerjoin(Contract, Contract.id == LedgerTransaction.contract_id)
        .outerjoin(own, own.transaction_id == LedgerTransaction.id)
        .outerjoin(original, original.transaction_id == LedgerTransaction.reverses_id)
        .outerjoin(quantities, quantities.c.transaction_id == LedgerTransaction.id)
        .where(_among(LedgerTransaction.id, transaction_ids, session))
    )  # fmt: skip
    return {
        row[0]: Booking(row[1], row[2], row[3], row[4], int(row[5]), row[6], row[7])
        for row in (await session.execute(query)).all()
    }
