"""Queries of the contracts service; no rules, no commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from civicpool_common.vocabulary import MiniCompetitionStatus
from sqlalchemy import Date, exists, func, insert, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from civicpool_contracts.models import (
    Base,
    Budget,
    CallOffNumber,
    CascadeStep,
    ChargeInvoice,
    ChargeVatSetting,
    ClosedMonth,
    Contract,
    ContractChange,
    ContractQuota,
    Framework,
    FrameworkQuota,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    MiniCompetition,
    MiniCompetitionOffer,
    MonthBalance,
    Movement,
    table,
)
from civicpool_contracts.rules import CITY_ACCOUNT_PREFIX, month_bounds, month_of, next_month

MAX_CASCADE_STEPS = 10  # a framework has at most 10 vendors, so a call-off is passed on at most 9 times


async def contracts_after(
    session: AsyncSession,
    after_id: str | None,
    limit: int,
    *,
    tender_id: str | None,
    city_id: str | None,
    vendor_id: str | None,
    reference: str | None = None,
) -> list[Contract]:
    query = select(Contract).order_by(Contract.id).limit(limit)
    if reference is not None:
        query = query.where(Contract.reference == reference)
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


async def frameworks_of(
    session: AsyncSession, framework_ids: Collection[str]
) -> dict[str, tuple[Framework, list[FrameworkQuota]]]:
    """The frameworks with several vendors and their cities' quotas (by city)."""
    if not framework_ids:
        return {}
    frameworks = (await session.scalars(select(Framework).where(Framework.id.in_(framework_ids)))).all()
    found: dict[str, tuple[Framework, list[FrameworkQuota]]] = {f.id: (f, []) for f in frameworks}
    quotas = select(FrameworkQuota).where(FrameworkQuota.framework_id.in_(found)).order_by(FrameworkQuota.city_id)
    for quota in (await session.scalars(quotas)).all():
        found[quota.framework_id][1].append(quota)
    return found


async def cascade_root(session: AsyncSession, call_off_id: str) -> str:
    """The call-off a chain of passed-on call-offs began with (itself when it was not passed on to)."""
    for _ in range(MAX_CASCADE_STEPS):
        earlier = await session.scalar(
            select(CascadeStep.call_off_id).where(CascadeStep.next_call_off_id == call_off_id)
        )
        if earlier is None:
            break
        call_off_id = earlier
    return call_off_id


async def ranked_offers_calling_off(
    session: AsyncSession, framework_id: str, call_off_id: str
) -> list[tuple[str, int]]:
    """The decided mini-competition of the framework that called off `call_off_id`: its offers best first (contract
    id, offered unit price); [] when no mini-competition did."""
    decided = MiniCompetition.status == MiniCompetitionStatus.AWARDED.value
    competitions = await session.scalars(
        select(MiniCompetition).where(MiniCompetition.framework_id == framework_id, decided)
    )
    competition = next((c for c in competitions if call_off_id in c.call_off_ids.values()), None)
    if competition is None:
        return []
    query = (
        select(MiniCompetitionOffer)
        .where(MiniCompetitionOffer.competition_id == competition.id, MiniCompetitionOffer.rank > 0)
        .order_by(MiniCompetitionOffer.rank)
    )
    return [(offer.contract_id, offer.unit_price_cents) for offer in await session.scalars(query)]


async def framework_contracts(session: AsyncSession, framework_id: str) -> list[Contract]:
    """The contracts of a framework with several vendors that are not revoked, in the order of the cascade."""
    query = (
        select(Contract)
        .where(Contract.framework_id == framework_id, Contract.status != "revoked")
        .order_by(Contract.framework_rank)
    )
    return list((await session.scalars(query)).all())


async def changes_of(session: AsyncSession, contract_id: str) -> list[ContractChange]:
    """A contract's § 132 changes, oldest first."""
    query = select(ContractChange).where(ContractChange.contract_id == contract_id).order_by(ContractChange.sequence)
    return list((await session.scalars(query)).all())


async def transactions_after(
    session: AsyncSession, after_id: str | None, limit: int, contract_id: str, account: str | None, reference: str = ""
) -> list[LedgerTransaction]:
    """Up to `limit` postings after `after_id`, of the contract ("" every contract) and touching the account;
    the call-off with the number `reference` when named."""
    query = select(LedgerTransaction).order_by(LedgerTransaction.id).limit(limit)
    if reference:
        numbered = select(CallOffNumber.transaction_id).where(CallOffNumber.reference == reference)
        query = query.where(LedgerTransaction.id.in_(numbered))
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


async def reversal_of(session: AsyncSession, transaction_id: str) -> str | None:
    """The posting that reverses this one, if any."""
    query = select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == transaction_id)
    return (await session.scalars(query)).first()


async def movements_of_transaction(session: AsyncSession, transaction_id: str) -> list[Movement]:
    query = select(Movement).where(Movement.transaction_id == transaction_id).order_by(Movement.city_id, Movement.id)
    return list((await session.scalars(query)).all())


async def operation_records(session: AsyncSession, operation_id: str) -> tuple[LedgerTransaction, list[Movement]]:
    """The posting and the movements of one operation (a request done once)."""
    query = select(LedgerTransaction).where(LedgerTransaction.operation_id == operation_id)
    transaction = (await session.scalars(query)).one()
    moved = select(Movement).where(Movement.operation_id == operation_id).order_by(Movement.id)
    return transaction, list((await session.scalars(moved)).all())


async def insert_rows(connection: AsyncConnection, *groups: Sequence[Base]) -> None:
    """New rows of one kind per group, one plain INSERT each (in order: later ones refer to earlier); cheaper
    than the ORM's unit of work on the call-off path."""
    for rows in groups:
        if rows:
            columns = table(type(rows[0])).c
            await connection.execute(insert(table(type(rows[0]))), [
                {c.key: getattr(row, c.key) for c in columns if not (c.primary_key and getattr(row, c.key) is None)}
                for row in rows
            ])  # fmt: skip


# -- finance reports ---------------------------------------------------------------------------
# The cities' accounts, and the city an account belongs to, in SQL.
CITY_ACCOUNTS = LedgerEntry.account.like(f"{CITY_ACCOUNT_PREFIX}%")
CITY_OF_ACCOUNT = func.substr(LedgerEntry.account, len(CITY_ACCOUNT_PREFIX) + 1)


async def balance_before(session: AsyncSession, account: str, since: dt.datetime) -> int:
    """The account's balance before `since`: the balance carried at the end of the last closed month before it,
    plus the entries after that month (the (account, posted_at) index answers them), never its whole history."""
    closed = await session.scalar(select(func.max(ClosedMonth.month)).where(ClosedMonth.month < month_of(since)))
    carried: int | None = 0
    after: dt.datetime | None = None
    if closed is not None:
        after = month_bounds(closed)[1]
        carried = await session.scalar(
            select(MonthBalance.balance_cents).where(MonthBalance.account == account, MonthBalance.month == closed)
        )
    query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account == account, LedgerEntry.posted_at < since
    )
    if after is not None:
        query = query.where(LedgerEntry.posted_at >= after)
    return int(carried or 0) + int(await session.scalar(query) or 0)


async def next_month_to_close(session: AsyncSession) -> dt.date | None:
    """The month after the last closed one; with none closed, the month of the first entry (None: no entries)."""
    closed = await session.scalar(select(func.max(ClosedMonth.month)))
    if closed is not None:
        return next_month(closed)
    first = await session.scalar(select(func.min(LedgerEntry.posted_at)))
    return month_of(first) if first is not None else None


async def close_month(session: AsyncSession, month: dt.date, now: dt.datetime) -> None:
    """Close `month` (the one after the last closed): every account's balance at its end is its balance carried
    from the month before plus the month's entries (all entries up to its end, for the first month closed)."""
    previous = await session.scalar(select(func.max(ClosedMonth.month)))
    session.add(ClosedMonth(month=month, closed_at=now))
    await session.flush()
    start, end = month_bounds(month)
    entries = select(LedgerEntry.account, LedgerEntry.amount_cents.label("amount")).where(LedgerEntry.posted_at < end)
    parts = [entries if previous is None else entries.where(LedgerEntry.posted_at >= start)]
    if previous is not None:
        carried = select(MonthBalance.account, MonthBalance.balance_cents.label("amount"))
        parts.append(carried.where(MonthBalance.month == previous))
    both = union_all(*parts).subquery()
    totals = select(both.c.account, literal(month, Date()), func.sum(both.c.amount)).group_by(both.c.account)
    await session.execute(insert(MonthBalance).from_select(["account", "month", "balance_cents"], totals))


async def statement_rows(session: AsyncSession, account: str, since: dt.datetime, until: dt.datetime) -> list[Any]:
    """(posted_at, transaction_id, kind, contract_id, sku, name, memo, amount_cents) of the account's entries."""
    query = (
        select(LedgerEntry.posted_at, LedgerEntry.transaction_id, LedgerTransaction.kind,
               func.coalesce(LedgerTransaction.contract_id, ""), func.coalesce(Contract.sku, ""),
               func.coalesce(Contract.name, ""), LedgerTransaction.memo, LedgerEntry.amount_cents)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(Contract, Contract.id == LedgerTransaction.contract_id)
        .where(LedgerEntry.account == account, LedgerEntry.posted_at >= since, LedgerEntry.posted_at < until)
        .order_by(LedgerEntry.posted_at, LedgerEntry.id)
    )  # fmt: skip
    return [tuple(row) for row in (await session.execute(query)).all()]


async def quota_rows(session: AsyncSession, contract_id: str, city_id: str) -> list[Any]:
    """(contract id, sku, name, kind, vendor, unit price, city, quota, called off, returned, taken) per quota."""
    query = (
        select(Contract.id, Contract.sku, Contract.name, Contract.kind, Contract.vendor_id,
               Contract.unit_price_cents, ContractQuota.city_id, ContractQuota.quantity,
               ContractQuota.called_off, ContractQuota.returned, ContractQuota.taken)
        .join(ContractQuota, ContractQuota.contract_id == Contract.id)
        .order_by(Contract.sku, Contract.id, ContractQuota.city_id)
    )  # fmt: skip
    if contract_id:
        query = query.where(Contract.id == contract_id)
    if city_id:
        query = query.where(ContractQuota.city_id == city_id)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def city_costs(session: AsyncSession, contract_id: str, account: str | None) -> list[Any]:
    """(contract id, city, sum of its entries) per contract and city account."""
    query = (
        select(LedgerTransaction.contract_id, CITY_OF_ACCOUNT, func.sum(LedgerEntry.amount_cents))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(CITY_ACCOUNTS)
        .group_by(LedgerTransaction.contract_id, LedgerEntry.account)
    )
    if contract_id:
        query = query.where(LedgerTransaction.contract_id == contract_id)
    if account is not None:
        query = query.where(LedgerEntry.account == account)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def budget_amounts(session: AsyncSession, year: int, city_id: str) -> list[Any]:
    """(city, budget cents) of the year; of one city when named."""
    query = select(Budget.city_id, Budget.amount_cents).where(Budget.year == year)
    if city_id:
        query = query.where(Budget.city_id == city_id)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def city_totals(session: AsyncSession, since: dt.datetime, until: dt.datetime, account: str | None) -> list[Any]:
    """(city, sum of its account's entries) in the period; of one account when named."""
    query = (
        select(CITY_OF_ACCOUNT, func.sum(LedgerEntry.amount_cents))
        .where(CITY_ACCOUNTS, LedgerEntry.posted_at >= since, LedgerEntry.posted_at < until)
        .group_by(LedgerEntry.account)
    )
    if account is not None:
        query = query.where(LedgerEntry.account == account)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def budgets_of(session: AsyncSession, year: int | None, city_id: str) -> list[Budget]:
    query = select(Budget).order_by(Budget.year, Budget.city_id)
    if year is not None:
        query = query.where(Budget.year == year)
    if city_id:
        query = query.where(Budget.city_id == city_id)
    return list((await session.scalars(query)).all())


async def renewals_due(session: AsyncSession, today: dt.date, notice_by: dt.date, city_id: str) -> list[Contract]:
    """Active, not ended contracts whose renewal notice date is `notice_by` or earlier; of one city when named."""
    query = (
        select(Contract)
        .where(Contract.status == "active", Contract.ends_on >= today, Contract.renewal_notice_on <= notice_by)
        .order_by(Contract.renewal_notice_on, Contract.id)
    )
    if city_id:
        query = query.where(Contract.id.in_(select(ContractQuota.contract_id).where(ContractQuota.city_id == city_id)))
    return list((await session.scalars(query)).all())


async def claim_renewal(session: AsyncSession, contract_id: str, round_id: str) -> str:
    """Record the contract's renewal round unless one is recorded; the round that stands."""
    result = await session.execute(
        update(Contract)
        .where(Contract.id == contract_id, Contract.renewal_round_id == "")
        .values(renewal_round_id=round_id)
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount):  # type: ignore[attr-defined]
        return round_id
    winner = await session.get(Contract, contract_id, populate_existing=True)  # a concurrent start won
    assert winner is not None
    return winner.renewal_round_id


# -- e-invoices ------------------------------------------------------------------------------------

COUNTED_INVOICES = ("matched", "approved")  # what a city was invoiced: what waits for approval, and what has it


async def vendor_contract_by_reference(session: AsyncSession, vendor_id: str, reference: str) -> Contract | None:
    """The vendor's contract with this reference (ETT-2026-003, in either case) or id."""
    query = select(Contract).where(
        Contract.vendor_id == vendor_id,
        (func.upper(Contract.reference) == reference.upper()) | (Contract.id == reference),
        Contract.status != "revoked",
    )
    return (await session.scalars(query.limit(1))).first()


async def call_off_by_reference(session: AsyncSession, reference: str) -> tuple[str, str] | None:
    """(contract id, city) of the call-off with this number (BRU-2026-012, in either case)."""
    query = (
        select(LedgerTransaction.contract_id, CallOffNumber.city_id)
        .join(LedgerTransaction, LedgerTransaction.id == CallOffNumber.transaction_id)
        .where(func.upper(CallOffNumber.reference) == reference.upper())
    )
    row = (await session.execute(query)).first()
    return (str(row[0]), str(row[1])) if row is not None and row[0] else None


async def called_off_by_price(session: AsyncSession, contract_id: str, city_id: str) -> dict[int, int]:
    """Unit price cents -> what the city called off from the vendor at it (net of reversals)."""
    query = select(Movement.quantity, Movement.amount_cents).where(
        Movement.contract_id == contract_id, Movement.city_id == city_id, Movement.kind == "call_off"
    )
    found: dict[int, int] = {}
    for quantity, amount in (await session.execute(query)).all():
        price = amount // quantity
        found[price] = found.get(price, 0) + quantity
    return found


async def invoiced_by_price(session: AsyncSession, contract_id: str, city_id: str) -> dict[int, int]:
    """Unit price cents -> what the city was invoiced for under the contract (matched and approved invoices, less
    their credit notes)."""
    query = (
        select(InvoiceLine.unit_price_cents, InvoiceLine.quantity, Invoice.credit_note)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.contract_id == contract_id, Invoice.city_id == city_id, Invoice.status.in_(COUNTED_INVOICES))
    )
    found: dict[int, int] = {}
    for price, quantity, credit_note in (await session.execute(query)).all():
        found[price] = found.get(price, 0) + (-quantity if credit_note else quantity)
    return found


async def earlier_invoice(session: AsyncSession, vendor_id: str, number: str) -> str:
    """The id of the vendor's earlier invoice with this number that still stands (not refused, invalid, rejected or
    itself a duplicate), "" for none."""
    query = select(Invoice.id).where(
        Invoice.vendor_id == vendor_id, Invoice.number == number,
        Invoice.status.in_(("mismatched", "matched", "approved")),
    )  # fmt: skip
    return (await session.scalars(query.order_by(Invoice.id).limit(1))).first() or ""


async def invoice_totals(
    session: AsyncSession, city_id: str, since: dt.datetime, until: dt.datetime
) -> list[tuple[str, str, bool, int, int, int]]:
    """(city, status, credit note, net, VAT, gross) of each invoice uploaded in [since, until)."""
    query = select(Invoice.city_id, Invoice.status, Invoice.credit_note, Invoice.net_cents, Invoice.tax_cents,
                   Invoice.gross_cents).where(Invoice.uploaded_at >= since, Invoice.uploaded_at < until)  # fmt: skip
    if city_id:
        query = query.where(Invoice.city_id == city_id)
    return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def called_off_until(session: AsyncSession, city_id: str, until: dt.datetime) -> list[tuple[str, str, int, int]]:
    """(contract, city, quantity, amount) of each call-off from a vendor (reversals negative) before `until`."""
    query = select(Movement.contract_id, Movement.city_id, Movement.quantity, Movement.amount_cents).where(
        Movement.kind == "call_off", Movement.created_at < until
    )
    if city_id:
        query = query.where(Movement.city_id == city_id)
    return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def invoiced_until(
    session: AsyncSession, city_id: str, until: dt.datetime
) -> list[tuple[str, str, int, int, bool]]:
    """(contract, city, quantity, net, credit note) of each line of the matched and approved invoices uploaded
    before `until`."""
    query = (
        select(Invoice.contract_id, Invoice.city_id, InvoiceLine.quantity, InvoiceLine.net_cents, Invoice.credit_note)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.status.in_(COUNTED_INVOICES), Invoice.uploaded_at < until)
    )
    if city_id:
        query = query.where(Invoice.city_id == city_id)
    return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def contract_labels(session: AsyncSession, contract_ids: Collection[str]) -> dict[str, tuple[str, str, str]]:
    """contract id -> (reference, SKU, vendor)."""
    query = select(Contract.id, Contract.reference, Contract.sku, Contract.vendor_id).where(
        Contract.id.in_(list(contract_ids))
    )
    return {row[0]: (row[1], row[2], row[3]) for row in (await session.execute(query)).all()}


async def approved_invoices(
    session: AsyncSession, city_id: str, since: dt.datetime, until: dt.datetime
) -> list[tuple[Invoice, list[InvoiceLine]]]:
    """The invoices approved in [since, until) with their lines, in the order they were approved."""
    query = select(Invoice).where(Invoice.status == "approved", Invoice.decided_at >= since, Invoice.decided_at < until)
    if city_id:
        query = query.where(Invoice.city_id == city_id)
    invoices = list((await session.scalars(query.order_by(Invoice.decided_at, Invoice.id))).all())
    lines: dict[str, list[InvoiceLine]] = {invoice.id: [] for invoice in invoices}
    if invoices:
        found = select(InvoiceLine).where(InvoiceLine.invoice_id.in_(list(lines))).order_by(InvoiceLine.position)
        for line in (await session.scalars(found)).all():
            lines[line.invoice_id].append(line)
    return [(invoice, lines[invoice.id]) for invoice in invoices]


async def charge_vat_in_force(session: AsyncSession) -> ChargeVatSetting | None:
    """The network's latest setting for VAT on charges between member cities; None while none was set."""
    query = select(ChargeVatSetting).order_by(ChargeVatSetting.id.desc()).limit(1)
    return (await session.scalars(query)).first()


async def charges_of(session: AsyncSession, transaction_id: str) -> list[ChargeInvoice]:
    """The charges issued for a shared cost, in the order of their numbers."""
    query = select(ChargeInvoice).where(ChargeInvoice.transaction_id == transaction_id).order_by(ChargeInvoice.id)
    return list((await session.scalars(query)).all())
