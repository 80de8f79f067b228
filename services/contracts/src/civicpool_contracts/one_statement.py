"""A call-off, a take or a return in one statement on PostgreSQL: the function civicpool_move (migration 0017).

usage.py checks who may do what in Python, on the contract's terms as last read, kept here by contract id (they
change a few times in a contract's life, its counters many times a minute). The statement itself checks that the
contract's version is still the one the rules were checked on: every change of terms (status, price, term, vendor)
takes the next version, so a change is never missed; the caller reads the terms again and decides again. Counters
are never kept here: the guards in the statement decide on them, under the row locks.

Sent through the driver as one statement in autocommit: the database does the transaction's eight steps in one
round trip, and holds the contract row's lock only from its update to the commit of the same statement.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass

from civicpool_common import numbering
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from civicpool_contracts.holdings import CONTRACTS, EFFECTS, QUOTAS
from civicpool_contracts.idempotency import BACKOFF_SECONDS, RETRIES, RETRYABLE_SQLSTATES
from civicpool_contracts.models import Contract, LedgerEntry, LedgerTransaction, Movement

STALE, REFUSED = "CPSTL", "CPREF"  # the SQLSTATEs civicpool_move raises (migration 0017)
TERMS_KEPT = 10_000  # contracts whose terms a process keeps; the oldest read is forgotten first


class Stale(Exception):
    """The contract's terms changed since they were read: read them again, and check the rules again."""


class LimitReached(Exception):
    """A guard did not hold (quota, ceiling, pool, the framework's): nothing was written."""


@dataclass(frozen=True)
class Terms:
    """A contract as last read, and the cities with a quota in it (quota rows are never removed)."""

    contract: Contract
    parties: frozenset[str]


@dataclass(frozen=True)
class Move:
    """What civicpool_move writes: the caller's key, the posting with its entries, its one movement, and the
    counters' changes that movement makes (holdings.EFFECTS)."""

    caller: str
    key: str  # "" without an Idempotency-Key
    operation: str
    request_sha256: str
    contract: Contract
    transaction: LedgerTransaction
    movement: Movement
    entries: Sequence[LedgerEntry]
    numbered: bool  # a call-off: it takes the calling city's next number


TERMS = (
    select(CONTRACTS, QUOTAS.c.city_id.label("party"))
    .select_from(CONTRACTS.outerjoin(QUOTAS, QUOTAS.c.contract_id == CONTRACTS.c.id))
    .where(CONTRACTS.c.id == bindparam("the_contract_id"))
)
CALL = "SELECT civicpool_move(" + ", ".join(["%s"] * 20) + ", %s::text[], %s::bigint[], %s, %s)"


class OneStatement:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._terms: dict[str, Terms] = {}

    async def terms(self, contract_id: str, *, fresh: bool = False) -> Terms | None:
        """The contract's terms as kept, or (fresh, or not kept) as they are now; None if there is no such contract."""
        kept = None if fresh else self._terms.get(contract_id)
        if kept is not None:
            return kept
        async with self._engine.connect() as connection:
            rows = (await connection.execute(TERMS, {"the_contract_id": contract_id})).all()
        if not rows:
            self._terms.pop(contract_id, None)
            return None
        first = rows[0]._mapping
        contract = Contract(**{column.key: first[column] for column in CONTRACTS.c})
        terms = Terms(contract, frozenset(row.party for row in rows if row.party is not None))
        self._terms.pop(contract_id, None)
        if len(self._terms) >= TERMS_KEPT:
            self._terms.pop(next(iter(self._terms)))
        self._terms[contract_id] = terms
        return terms

    async def move(self, move: Move) -> str:
        """Do it; the call-off's number ("" when not numbered). Raises Stale, LimitReached, or IntegrityError (a
        used key)."""
        contract, transaction, movement = move.contract, move.transaction, move.movement
        effect = EFFECTS[movement.kind]
        prefix = numbering.city_prefix(movement.city_id) if move.numbered else ""
        year = numbering.network_year(transaction.created_at)
        parameters = (
            move.caller, move.key, move.operation, move.request_sha256, transaction.operation_id,
            contract.id, contract.version, contract.unit_price_cents, contract.framework_id,
            transaction.id, transaction.kind, transaction.memo, transaction.created_by, transaction.created_at,
            movement.city_id, movement.quantity, movement.amount_cents,
            effect.quota_column, effect.contract_column or "", effect.contract_sign * movement.quantity,
            [e.account for e in move.entries], [e.amount_cents for e in move.entries], prefix, year,
        )  # fmt: skip
        for attempt in range(1, RETRIES + 1):
            try:
                async with self._engine.connect() as connection:
                    number = int((await connection.exec_driver_sql(CALL, parameters)).scalar_one())
                return numbering.format_reference(prefix, year, number) if number else ""
            except DBAPIError as error:
                sqlstate = getattr(error.orig, "sqlstate", None)
                if sqlstate == STALE:
                    self._terms.pop(contract.id, None)
                    raise Stale from None
                if sqlstate == REFUSED:
                    raise LimitReached from None
                if sqlstate not in RETRYABLE_SQLSTATES or attempt == RETRIES:
                    raise
            await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))  # noqa: S311 (not a secret)
        raise AssertionError("unreachable")
