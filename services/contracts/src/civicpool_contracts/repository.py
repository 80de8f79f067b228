"""Queries of the contracts service; no rules, no commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from civicpool_contracts.models import (
    Contract,
    ContractQuota,
    LedgerEntry,
    LedgerTransaction,
)


async def contracts_after(
    session: AsyncSession,
    after_id: str | None,
    limit: int,
    *,
    tender_id: str | None,
    city_id: str | None,
    vendor_id: str | None,
) -> list[Contract]:
    query = select(Contract).order_by(Contract.id).limit(limit)
    if after_id is not None:
        query = query.where(Contract.id > after_id)
    if tender_id is not None:
        query = query.where(Contract.tender_id == tender_id)
    if vendor_id is not None:
        query = query.where(Contract.vendor_id == vendor_id)
    if city_id is not None:
        quota = exists().where(ContractQuota.contract_id == Contract.id, ContractQuota.city_id == city_id)
        query = query.where(quota)
    return list((await session.scalars(query)).all())


async def get_contract(session: AsyncSession, contract_id: str) -> Contract | None:
    return await session.get(Contract, contract_id)


async def quotas_of(session: AsyncSession, contract_ids: Sequence[str]) -> dict[str, list[ContractQuota]]:
    if not contract_ids:
        return {}
    query = (
        select(ContractQuota)
        .where(ContractQuota.contract_id.in_(contract_ids))
        .order_by(ContractQuota.contract_id, ContractQuota.city_id)
    )
    found: dict[str, list[ContractQuota]] = {contract_id: [] for contract_id in contract_ids}
    for quota in (await session.scalars(query)).all():
        found[quota.contract_id].append(quota)
    return found


async def transactions_after(
    session: AsyncSession, after_id: str | None, limit: int, contract_id: str, account: str | None
) -> list[LedgerTransaction]:
    """Up to `limit` postings after `after_id`, of the contract ("" every contract) and touching the account."""
    query = select(LedgerTransaction).order_by(LedgerTransaction.id).limit(limit)
    if after_id is not None:
        query = query.where(LedgerTransaction.id > after_id)
    if contract_id:
        query = query.where(LedgerTransaction.contract_id == contract_id)
    if account is not None:
        touching = select(LedgerEntry.transaction_id).where(LedgerEntry.account == account)
        query = query.where(LedgerTransaction.id.in_(touching))
    return list((await session.scalars(query)).all())


async def entries_of(session: AsyncSession, transaction_ids: Sequence[str]) -> dict[str, list[LedgerEntry]]:
    """The entries of each posting, in the order they were written."""
    found: dict[str, list[LedgerEntry]] = {}
    if not transaction_ids:
        return found
    query = select(LedgerEntry).where(LedgerEntry.transaction_id.in_(transaction_ids)).order_by(LedgerEntry.id)
    for entry in (await session.scalars(query)).all():
        found.setdefault(entry.transaction_id, []).append(entry)
    return found
