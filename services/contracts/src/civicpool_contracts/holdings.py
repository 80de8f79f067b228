"""What each kind of movement changes, and the guarded UPDATEs that change it (no rules about who).

A movement moves seats or devices between the vendor (through the contract's
ceiling), the cities (their quota rows) and the license pool. Every limit is
part of the UPDATE's WHERE clause, so a change that would break one updates no
row: it is refused atomically, whatever runs concurrently, on SQLite and on
PostgreSQL. The CHECK constraints in models.py say the same once more.

Reversals apply the same effects with negative quantities and the same guards.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import BigInteger, BindParameter, String, Update, and_, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from civicpool_contracts.models import Contract, ContractQuota, Framework, FrameworkQuota, table

# Plain statements on the transaction's connection: they run on every call-off.
CONTRACTS = table(Contract)
QUOTAS = table(ContractQuota)
FRAMEWORKS = table(Framework)
FRAMEWORK_QUOTAS = table(FrameworkQuota)


@dataclass(frozen=True)
class Effect:
    quota_column: str  # the city's counter that changes by the quantity
    contract_column: str | None  # the contract's counter that changes by contract_sign x quantity
    contract_sign: int
    postings: tuple[tuple[str, int], ...]  # (account kind, sign): the ledger entries of amount = quantity x price


EFFECTS: Mapping[str, Effect] = {
    # The city calls off from the vendor: the contract's ceiling is used, the city owes the price.
    "call_off": Effect("called_off", "called_off", +1, (("contract", +1), ("city", -1))),
    # The city gives seats to the pool: it owes that much less, the pool holds their value.
    "return": Effect("returned", "in_pool", +1, (("city", +1), ("pool", -1))),
    # The city takes seats from the pool: it owes their price, the pool holds less.
    "take": Effect("taken", "in_pool", -1, (("pool", +1), ("city", -1))),
    # A move: seats go from one city straight to another, in one operation (two movements).
    "move_out": Effect("returned", None, 0, (("city", +1),)),
    "move_in": Effect("taken", None, 0, (("city", -1),)),
}


# The statements are built once per counter, with the values bound at each call (the names must
# not be column names: those are reserved for the SET clause).
DELTA: BindParameter[int] = bindparam("delta", type_=BigInteger())
CONTRACT_ID: BindParameter[str] = bindparam("the_contract_id", type_=String())
CITY_ID: BindParameter[str] = bindparam("the_city_id", type_=String())
PRICE: BindParameter[int] = bindparam("the_price", type_=BigInteger())
FRAMEWORK_ID: BindParameter[str] = bindparam("the_framework_id", type_=String())
AMOUNT: BindParameter[int] = bindparam("amount", type_=BigInteger())


@functools.cache
def _contract_change(column: str) -> Update:
    called_off = CONTRACTS.c.called_off + DELTA if column == "called_off" else CONTRACTS.c.called_off
    in_pool = CONTRACTS.c.in_pool + DELTA if column == "in_pool" else CONTRACTS.c.in_pool
    return (
        update(CONTRACTS)
        .where(
            CONTRACTS.c.id == CONTRACT_ID,
            # The price the movement was posted at is still the contract's (a § 132 change may have set another).
            CONTRACTS.c.unit_price_cents == PRICE,
            called_off >= 0,
            called_off <= CONTRACTS.c.ceiling_quantity,
            called_off * CONTRACTS.c.unit_price_cents <= CONTRACTS.c.ceiling_value_cents,
            in_pool >= 0,
        )
        .values({column: CONTRACTS.c[column] + DELTA})
    )


@functools.cache
def _quota_change(column: str) -> Update:
    after = {name: QUOTAS.c[name] + DELTA if name == column else QUOTAS.c[name]
             for name in ("called_off", "returned", "taken")}  # fmt: skip
    return (
        update(QUOTAS)
        .where(
            QUOTAS.c.contract_id == CONTRACT_ID,
            QUOTAS.c.city_id == CITY_ID,
            and_(after["called_off"] >= 0, after["called_off"] <= QUOTAS.c.quantity),
            after["returned"] >= 0,
            after["taken"] >= 0,
            after["called_off"] - after["returned"] + after["taken"] >= 0,
        )
        .values({column: after[column]})
    )


QUOTA_SHIFT = (
    update(QUOTAS)
    .where(
        QUOTAS.c.contract_id == CONTRACT_ID,
        QUOTAS.c.city_id == CITY_ID,
        QUOTAS.c.quantity + DELTA >= QUOTAS.c.called_off,
    )
    .values(quantity=QUOTAS.c.quantity + DELTA)
)


# A framework with several vendors: a call-off (or its reversal) counts against the city's framework quota and the
# framework's maximum quantity and value, whichever vendor delivers (C-23/20).
FRAMEWORK_QUOTA_CALL_OFF = (
    update(FRAMEWORK_QUOTAS)
    .where(
        FRAMEWORK_QUOTAS.c.framework_id == FRAMEWORK_ID,
        FRAMEWORK_QUOTAS.c.city_id == CITY_ID,
        (FRAMEWORK_QUOTAS.c.called_off + DELTA).between(0, FRAMEWORK_QUOTAS.c.quantity),
    )
    .values(called_off=FRAMEWORK_QUOTAS.c.called_off + DELTA)
)
FRAMEWORK_CALL_OFF = (
    update(FRAMEWORKS)
    .where(
        FRAMEWORKS.c.id == FRAMEWORK_ID,
        (FRAMEWORKS.c.called_off + DELTA).between(0, FRAMEWORKS.c.max_quantity),
        (FRAMEWORKS.c.called_off_value_cents + AMOUNT).between(0, FRAMEWORKS.c.max_value_cents),
    )
    .values(
        called_off=FRAMEWORKS.c.called_off + DELTA,
        called_off_value_cents=FRAMEWORKS.c.called_off_value_cents + AMOUNT,
    )
)
FRAMEWORK_QUOTA_SHIFT = (
    update(FRAMEWORK_QUOTAS)
    .where(
        FRAMEWORK_QUOTAS.c.framework_id == FRAMEWORK_ID,
        FRAMEWORK_QUOTAS.c.city_id == CITY_ID,
        FRAMEWORK_QUOTAS.c.quantity + DELTA >= FRAMEWORK_QUOTAS.c.called_off,
    )
    .values(quantity=FRAMEWORK_QUOTAS.c.quantity + DELTA)
)


async def call_off_framework(
    connection: AsyncConnection, framework_id: str, city_id: str, delta: int, amount_cents: int
) -> bool:
    """Count a call-off of `delta` worth `amount_cents` (negative: its reversal) against the city's framework quota,
    then the framework's maximum (locks in that order); whether both still hold."""
    values = {"the_framework_id": framework_id, "the_city_id": city_id, "delta": delta, "amount": amount_cents}
    if (await connection.execute(FRAMEWORK_QUOTA_CALL_OFF, values)).rowcount != 1:
        return False
    return (await connection.execute(FRAMEWORK_CALL_OFF, values)).rowcount == 1


async def shift_framework_quota(connection: AsyncConnection, framework_id: str, city_id: str, delta: int) -> bool:
    """Raise or lower a city's framework quota, never below what it called off from all vendors; whether it did."""
    values = {"the_framework_id": framework_id, "the_city_id": city_id, "delta": delta}
    return (await connection.execute(FRAMEWORK_QUOTA_SHIFT, values)).rowcount == 1


async def change_contract(
    connection: AsyncConnection, contract_id: str, column: str, delta: int, unit_price_cents: int
) -> bool:
    """Change one counter of the contract if every limit still holds after and its price is still the one
    posted; whether it did."""
    values = {"the_contract_id": contract_id, "delta": delta, "the_price": unit_price_cents}
    return (await connection.execute(_contract_change(column), values)).rowcount == 1


async def change_quota(connection: AsyncConnection, contract_id: str, city_id: str, column: str, delta: int) -> bool:
    """Change one counter of a city's quota row if every limit still holds after; whether it did."""
    values = {"the_contract_id": contract_id, "the_city_id": city_id, "delta": delta}
    return (await connection.execute(_quota_change(column), values)).rowcount == 1


async def shift_quota(connection: AsyncConnection, contract_id: str, city_id: str, delta: int) -> bool:
    """Raise or lower a city's quota, never below what it has called off; whether it did."""
    values = {"the_contract_id": contract_id, "the_city_id": city_id, "delta": delta}
    return (await connection.execute(QUOTA_SHIFT, values)).rowcount == 1


@dataclass(frozen=True)
class Counters:
    """A contract's and its cities' counters as read, to check a change before taking any lock."""

    ceiling_quantity: int
    ceiling_value_cents: int
    unit_price_cents: int
    called_off: int
    in_pool: int
    quotas: Mapping[str, tuple[int, int, int, int]]  # city -> (quota, called_off, returned, taken)


def first_misfit(counters: Counters, steps: list[tuple[str, str, int]]) -> tuple[str, str, int] | None:
    """The step that would break a limit if the steps were applied to these counters now; None if all fit.

    The same conditions as the guarded UPDATEs (which decide in the end, under the lock): a change
    refused here is refused at the moment of reading, without writing anything.
    """
    quotas = {city: list(values) for city, values in counters.quotas.items()}
    called_off, in_pool = counters.called_off, counters.in_pool
    for kind, city, quantity in steps:
        effect = EFFECTS[kind]
        if city not in quotas:
            return kind, city, quantity
        quota = quotas[city]
        quota[("called_off", "returned", "taken").index(effect.quota_column) + 1] += quantity
        if effect.contract_column == "called_off":
            called_off += effect.contract_sign * quantity
        elif effect.contract_column == "in_pool":
            in_pool += effect.contract_sign * quantity
        limit, city_called_off, returned, taken = quota
        if not (0 <= city_called_off <= limit and returned >= 0 and taken >= 0
                and city_called_off - returned + taken >= 0):  # fmt: skip
            return kind, city, quantity
        if not (0 <= called_off <= counters.ceiling_quantity and in_pool >= 0
                and called_off * counters.unit_price_cents <= counters.ceiling_value_cents):  # fmt: skip
            return kind, city, quantity
    return None


QUOTA_COLUMNS = [QUOTAS.c.city_id, QUOTAS.c.quantity, QUOTAS.c.called_off, QUOTAS.c.returned, QUOTAS.c.taken]
READ_COUNTERS = (
    select(CONTRACTS, *(column.label(f"quota_{column.key}") for column in QUOTA_COLUMNS))
    .select_from(
        CONTRACTS.outerjoin(
            QUOTAS,
            and_(QUOTAS.c.contract_id == CONTRACTS.c.id, QUOTAS.c.city_id.in_(bindparam("cities", expanding=True))),
        )
    )
    .where(CONTRACTS.c.id == CONTRACT_ID)
)


async def read_counters(
    connection: AsyncConnection, contract_id: str, cities: list[str]
) -> tuple[Contract, Counters] | None:
    """The contract and these cities' quota rows as they are now, in one query without locks."""
    rows = (await connection.execute(READ_COUNTERS, {"the_contract_id": contract_id, "cities": cities})).all()
    if not rows:
        return None
    first = rows[0]._mapping
    contract = Contract(**{column.key: first[column] for column in CONTRACTS.c})
    quotas = {row.quota_city_id: (row.quota_quantity, row.quota_called_off, row.quota_returned, row.quota_taken)
              for row in rows if row.quota_city_id is not None}  # fmt: skip
    counters = Counters(contract.ceiling_quantity, contract.ceiling_value_cents, contract.unit_price_cents,
                        contract.called_off, contract.in_pool, quotas)  # fmt: skip
    return contract, counters
