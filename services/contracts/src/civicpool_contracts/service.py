"""Contract use cases: reading contracts, and making an award's contracts (who sees what: see access.py).

Contracts in use (call-offs, the pool, the ledger) are usage.py; finance reports reports.py; renewals
renewals.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from civicpool_common import numbering
from civicpool_common.auth import NETWORK_WIDE, Principal, Role
from civicpool_common.database import integrity_violation, write_transaction
from civicpool_common.errors import InvalidArgument
from civicpool_common.messages import Text
from civicpool_common.paging import Page, PageWindow
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ContractStatus
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import repository, rules
from civicpool_contracts.access import city_in_reach, visible_contract, visible_quotas
from civicpool_contracts.models import Contract, ContractQuota, Framework, FrameworkQuota, ReferenceCounters


@dataclass(frozen=True)
class FrameworkView:
    """A framework with several vendors as the caller may see it: its quotas a city its own, a vendor none."""

    framework: Framework
    quotas: list[FrameworkQuota] = field(default_factory=list)


@dataclass(frozen=True)
class ContractView:
    contract: Contract
    quotas: list[ContractQuota] = field(default_factory=list)
    framework: FrameworkView | None = None

    @property
    def status(self) -> ContractStatus:
        """As of today: an active contract past its last day is expired."""
        return rules.effective_contract_status(self.contract.status, self.contract.ends_on, network_today())


@dataclass(frozen=True)
class AwardedItem:
    """One awarded lot item as the tenders service ordered it (the contract's id included)."""

    contract_id: str
    lot_id: str
    bid_id: str
    vendor_id: str
    item_id: str
    sku: str
    name: str
    unit: str
    kind: str
    unit_price_cents: int
    ceiling_quantity: int  # the maximum quantity
    quotas: dict[str, int]  # city -> quantity
    framework_id: str = ""  # a framework with several vendors ("": this vendor alone)
    framework_rank: int = 1
    estimated_quantity: int = 0  # 0: the maximum
    quality_score: int = 0  # the vendor's scores in the evaluation, which its mini-competition offers keep
    data_protection_score: int = 0


@dataclass(frozen=True)
class AwardOrder:
    """What a tender's contracts are to be: these items' contracts in `state` (pending during the standstill,
    active once concluded), every other contract of the tender revoked; revoked with no items: all of them."""

    tender_id: str
    lead_city_id: str
    awarded_by: str
    awarded_at: dt.datetime
    starts_on: dt.date
    ends_on: dt.date
    renewal_notice_on: dt.date
    items: Sequence[AwardedItem]
    state: ContractStatus = ContractStatus.ACTIVE  # ACTIVE, PENDING or REVOKED
    weights: tuple[int, int, int] = (100, 0, 0)  # the evaluation's price, quality and data-protection weights


class ContractsService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get_contract(self, principal: Principal, contract_id: str) -> ContractView:
        async with self._sessions() as session:
            contract, quotas = await visible_contract(session, principal, contract_id)
            return (await _views(session, principal, [contract], {contract.id: quotas}))[0]

    async def list_contracts(
        self, principal: Principal, limit: int, cursor: str, tender_id: str, city_id: str, reference: str = ""
    ) -> Page[ContractView]:
        vendor_id = None
        if principal.has_any_role([Role.VENDOR]) and not principal.has_any_role(NETWORK_WIDE):
            vendor_id = principal.own_vendor()
        elif not principal.has_any_role(NETWORK_WIDE):
            city_id = city_in_reach(principal, city_id)
        window = PageWindow.requested(limit, cursor)
        async with self._sessions() as session:
            found = await repository.contracts_after(
                session, window.after, window.fetch, tender_id=tender_id or None,
                city_id=city_id or None, vendor_id=vendor_id,
                reference=numbering.normalised(reference) or None,
            )  # fmt: skip
            page = window.close(found, lambda c: c.id)
            quotas = await repository.quotas_of(session, [c.id for c in page.records])
            return Page(await _views(session, principal, page.records, quotas), page.next_cursor)

    async def create_award_contracts(self, order: AwardOrder) -> list[ContractView]:
        """Bring the tender's contracts to the order, in one transaction, however often it is delivered (also
        twice at once): the order's contracts not yet made are made in its state; pending ones become active or
        revoked as it says; a pending contract of the tender the order does not name is revoked (an award revoked
        and made again). Once the award is concluded (a contract active), nothing changes any more. Returns the
        tender's contracts that are not revoked."""
        if not order.tender_id or (not order.items and order.state != ContractStatus.REVOKED):
            raise InvalidArgument(Text("an award order names its tender and at least one awarded item"))
        try:
            async with write_transaction(self._sessions) as session:
                await self._converge(session, order)
        except IntegrityError as error:
            if integrity_violation(error) != "unique":
                raise InvalidArgument(
                    Text(
                        "the award order of tender {tender} is not valid: {cause}",
                        tender=order.tender_id,
                        cause=str(error.orig),
                    )
                ) from None
            # A delivery of the same order at the same moment won the race: converge once more on its result.
            async with write_transaction(self._sessions) as session:
                await self._converge(session, order)
        return [view for view in await self.award_contracts(order.tender_id)
                if view.contract.status != ContractStatus.REVOKED]  # fmt: skip

    async def _converge(self, session: AsyncSession, order: AwardOrder) -> None:
        existing = {c.id: c for c in await repository.contracts_after(
            session, None, 10_000, tender_id=order.tender_id, city_id=None, vendor_id=None
        )}  # fmt: skip
        if any(c.status not in (ContractStatus.PENDING, ContractStatus.REVOKED) for c in existing.values()):
            return  # a concluded award's contracts stay as they are, whatever an order says now
        wanted = {item.contract_id for item in order.items} if order.state != ContractStatus.REVOKED else set()
        for contract in existing.values():  # first, so the next award's contracts may take their lot items
            if contract.id not in wanted and contract.status == ContractStatus.PENDING:
                contract.status = ContractStatus.REVOKED.value
        await session.flush()
        connection = await session.connection()
        new = [item for item in order.items if item.contract_id not in existing and item.contract_id in wanted]
        for item in new:  # numbered in the order's order, in this transaction
            reference = await numbering.next_reference(
                connection, ReferenceCounters, "contract", order.lead_city_id, order.awarded_at
            )
            session.add(_contract(order, item, reference))
        await session.flush()
        session.add_all(
            ContractQuota(contract_id=item.contract_id, city_id=city, quantity=quantity)
            for item in new
            for city, quantity in sorted(item.quotas.items())
        )
        await _add_frameworks(session, order, new)
        if order.state == ContractStatus.ACTIVE:  # concluded: the standstill's pending contracts take effect
            for contract in existing.values():
                if contract.id in wanted and contract.status == ContractStatus.PENDING:
                    contract.status = ContractStatus.ACTIVE.value

    async def award_contracts(self, tender_id: str) -> list[ContractView]:
        """Every contract of the tender with every quota (for the tenders service, not for a person)."""
        async with self._sessions() as session:
            found = await repository.contracts_after(
                session, None, 10_000, tender_id=tender_id, city_id=None, vendor_id=None
            )
            quotas = await repository.quotas_of(session, [c.id for c in found])
            return await _views(session, None, found, quotas)


async def _views(
    session: AsyncSession,
    principal: Principal | None,
    contracts: Sequence[Contract],
    quotas: Mapping[str, list[ContractQuota]],
) -> list[ContractView]:
    """The contracts with their quotas and frameworks as `principal` may see them (None: the tenders service)."""
    frameworks = await repository.frameworks_of(session, {c.framework_id for c in contracts if c.framework_id})

    def framework(contract: Contract) -> FrameworkView | None:
        found = frameworks.get(contract.framework_id)
        return None if found is None else FrameworkView(found[0], visible_quotas(principal, found[1]))

    return [ContractView(c, visible_quotas(principal, quotas.get(c.id, [])), framework(c)) for c in contracts]


async def _add_frameworks(session: AsyncSession, order: AwardOrder, new: Sequence[AwardedItem]) -> None:
    """The frameworks with several vendors of the new contracts, each once, with the cities' quotas (the same in
    every vendor's item of a framework; its rank 1 item states them)."""
    items: dict[str, list[AwardedItem]] = {}
    for item in new:
        if item.framework_id:
            items.setdefault(item.framework_id, []).append(item)
    existing = await repository.frameworks_of(session, set(items))
    for framework_id, vendors in sorted(items.items()):
        if framework_id in existing:
            continue
        first = min(vendors, key=lambda i: i.framework_rank)
        highest = max(i.unit_price_cents for i in vendors)
        estimated = first.estimated_quantity or first.ceiling_quantity
        session.add(Framework(
            id=framework_id, tender_id=order.tender_id, lot_id=first.lot_id, item_id=first.item_id,
            vendors=len(vendors), estimated_quantity=estimated, max_quantity=first.ceiling_quantity,
            estimated_value_cents=estimated * first.unit_price_cents, max_value_cents=first.ceiling_quantity * highest,
            called_off=0, called_off_value_cents=0, price_weight=order.weights[0], quality_weight=order.weights[1],
            data_protection_weight=order.weights[2],
        ))  # fmt: skip
        await session.flush()
        session.add_all(FrameworkQuota(framework_id=framework_id, city_id=city, quantity=quantity, called_off=0)
                        for city, quantity in sorted(first.quotas.items()))  # fmt: skip


def _contract(order: AwardOrder, item: AwardedItem, reference: str) -> Contract:
    return Contract(
        id=item.contract_id, reference=reference, tender_id=order.tender_id, lot_id=item.lot_id, bid_id=item.bid_id,
        lead_city_id=order.lead_city_id, vendor_id=item.vendor_id, item_id=item.item_id, sku=item.sku,
        name=item.name, unit=item.unit, kind=item.kind, unit_price_cents=item.unit_price_cents,
        ceiling_quantity=item.ceiling_quantity, ceiling_value_cents=item.ceiling_quantity * item.unit_price_cents,
        starts_on=order.starts_on, ends_on=order.ends_on, renewal_notice_on=order.renewal_notice_on,
        status=order.state.value, created_by=order.awarded_by, created_at=order.awarded_at,
        framework_id=item.framework_id, framework_rank=item.framework_rank or 1, quality_score=item.quality_score,
        data_protection_score=item.data_protection_score,
    )  # fmt: skip
