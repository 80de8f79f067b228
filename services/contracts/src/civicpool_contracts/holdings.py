"""What each kind of movement changes, and the guarded UPDATEs that change it (no rules about who).

A movement moves seats or devices between the vendor (through the contract's
ceiling), the cities (their quota rows) and the license pool. Every limit is
part of the UPDATE's WHERE clause, so a change that would break one updates no
row: it is refused atomically, whatever runs concurrently, on SQLite and on
PostgreSQL. The CHECK constraints in models.py say the same once more.

Reversals apply the same effects with negative quantities and the same guards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, update
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts.models import Contract, ContractQuota


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


def account(kind: str, contract_id: str, city_id: str) -> str:
    """city:<id> (what the city owes is the negative balance), contract:<id>, pool:<id>."""
    return f"city:{city_id}" if kind == "city" else f"{kind}:{contract_id}"


async def change_contract(session: AsyncSession, contract_id: str, column: str, delta: int) -> bool:
    """Change one counter of the contract if every limit still holds after; whether it did."""
    called_off = Contract.called_off + (delta if column == "called_off" else 0)
    in_pool = Contract.in_pool + (delta if column == "in_pool" else 0)
    result = await session.execute(
        update(Contract)
        .where(
            Contract.id == contract_id,
            called_off >= 0,
            called_off <= Contract.ceiling_quantity,
            called_off * Contract.unit_price_cents <= Contract.ceiling_value_cents,
            in_pool >= 0,
        )
        .values({column: getattr(Contract, column) + delta})
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def change_quota(session: AsyncSession, contract_id: str, city_id: str, column: str, delta: int) -> bool:
    """Change one counter of a city's quota row if every limit still holds after; whether it did."""
    values = {name: getattr(ContractQuota, name) + (delta if name == column else 0)
              for name in ("called_off", "returned", "taken")}  # fmt: skip
    result = await session.execute(
        update(ContractQuota)
        .where(
            ContractQuota.contract_id == contract_id,
            ContractQuota.city_id == city_id,
            and_(values["called_off"] >= 0, values["called_off"] <= ContractQuota.quantity),
            values["returned"] >= 0,
            values["taken"] >= 0,
            values["called_off"] - values["returned"] + values["taken"] >= 0,
        )
        .values({column: values[column]})
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def shift_quota(session: AsyncSession, contract_id: str, city_id: str, delta: int) -> bool:
    """Raise or lower a city's quota, never below what it has called off; whether it did."""
    result = await session.execute(
        update(ContractQuota)
        .where(
            ContractQuota.contract_id == contract_id,
            ContractQuota.city_id == city_id,
            ContractQuota.quantity + delta >= ContractQuota.called_off,
        )
        .values(quantity=ContractQuota.quantity + delta)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


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
