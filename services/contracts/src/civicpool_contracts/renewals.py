"""Renewing a contract: a new demand round pre-filled from each city's current holding.

Cities then confirm or change their numbers in the demand service, instead of
the old quantities being copied forward. Started by a lead of the lead city,
once the renewal notice date has come; once per contract.

Before that, the renewal notice (an e-mail, `remind_notice_dates`, run periodically) tells the
parties' finance and the lead city's procurement leads 90 and 30 days ahead of the notice date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common import notify
from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now, write_transaction
from civicpool_common.errors import InvalidArgument, NotFound, PermissionDenied
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import Text
from civicpool_common.references import Resolver
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ContractStatus
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import repository, rules
from civicpool_contracts.clients import DemandRounds, NewRound
from civicpool_contracts.models import Contract, ContractQuota, NotificationOrder

DEFAULT_DAYS_OPEN = 30
# The renewal notice goes out this many days before the notice date (Berlin days), the nearest first.
NOTICE_DAYS = (30, 90)


@dataclass(frozen=True)
class RenewalRound:
    contract_id: str
    round_id: str
    existing: bool


class RenewalService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], demand: DemandRounds, catalog: Resolver) -> None:
        self._sessions = sessions
        self._demand = demand
        self._catalog = catalog  # which holding cities are still members (only they are pre-filled)

    async def start(self, principal: Principal, contract_id: str, closes_at: dt.datetime | None) -> RenewalRound:
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        now = utc_now()
        closes_at = closes_at or now + dt.timedelta(days=DEFAULT_DAYS_OPEN)
        if closes_at <= now:
            raise InvalidArgument.for_field("closes_at", Text("must lie in the future"))
        async with self._sessions() as session:
            contract = await repository.get_contract(session, contract_id)
            quotas = (await repository.quotas_of(session, [contract_id]))[contract_id]
        if contract is None:
            raise NotFound(Text("contract {id} does not exist", id=contract_id))
        if contract.lead_city_id != principal.city:
            raise PermissionDenied(
                Text("only a procurement lead of {city}, the lead city, may change it", city=contract.lead_city_id)
            )
        if contract.renewal_round_id:
            return RenewalRound(contract.id, contract.renewal_round_id, existing=True)
        today = network_today()  # contract days are the network's calendar days
        status = rules.effective_contract_status(contract.status, contract.ends_on, today)
        if today < contract.renewal_notice_on:
            raise StateConflict(
                f"the renewal notice date of contract {contract_id} is {contract.renewal_notice_on}; "
                "a renewal round can start from then",
                status.value,
            )
        members = (await self._catalog.resolve([q.city_id for q in quotas], [], [])).cities
        holdings = [(q.city_id, q.holding, f"Derzeitige Nutzung aus Vertrag {contract.sku}")
                    for q in quotas if q.holding > 0 and members.get(q.city_id)]  # fmt: skip
        round_id = await self._demand.create_prefilled_round(
            principal,
            NewRound(
                title=f"Verlängerung: {contract.name}"[:200],
                description=f"Vertrag {contract.id} ({contract.vendor_id}) endet am {contract.ends_on}. Bitte "
                "bestätigen oder ändern Sie den Bedarf Ihrer Stadt; vorbelegt ist die derzeitige Nutzung.",
                opens_at=now,
                closes_at=closes_at,
                item_id=contract.item_id,
                lines=holdings,
            ),
        )
        async with write_transaction(self._sessions) as session:
            standing = await repository.claim_renewal(session, contract_id, round_id)
        if standing != round_id:
            return RenewalRound(contract_id, standing, existing=True)
        return RenewalRound(contract_id, round_id, existing=False)


async def remind_notice_dates(sessions: async_sessionmaker[AsyncSession], today: dt.date) -> int:
    """Add the renewal notice of every active contract not being renewed yet whose notice date is at most 90
    (then 30) days away and not passed: once per contract and step, however often it runs. A day missed (the
    service was down) is made up while the date is still that near; a contract first seen within 30 days
    gets only the 30-day notice. The number of notices added."""
    added = 0
    async with write_transaction(sessions) as session:
        query = (
            select(Contract)
            .where(Contract.status == ContractStatus.ACTIVE.value, Contract.renewal_round_id == "",
                   Contract.renewal_notice_on >= today,
                   Contract.renewal_notice_on <= today + dt.timedelta(days=max(NOTICE_DAYS)))
            .order_by(Contract.id)
        )  # fmt: skip
        for contract in (await session.scalars(query)).all():
            days = (contract.renewal_notice_on - today).days
            step = next(step for step in NOTICE_DAYS if days <= step)
            parties = select(ContractQuota.city_id).where(ContractQuota.contract_id == contract.id)
            notice = _renewal_notice(contract, sorted(await session.scalars(parties)), step, days)
            added += await notify.add_once(session, notice)
    return added


def _renewal_notice(contract: Contract, parties: list[str], step: int, days: int) -> NotificationOrder:
    """The renewal notice of one step (90 or 30 days): the parties' finance and the lead city's leads."""
    audiences = [notify.audience(role=Role.FINANCE.value, city_id=city) for city in parties]
    audiences.append(notify.audience(role=Role.PROCUREMENT_LEAD.value, city_id=contract.lead_city_id))
    values = {"contract_title": f"{contract.reference} {contract.name}", "days": str(days),
              "notice_date": contract.renewal_notice_on.isoformat(), "path": f"contracts/{contract.id}"}  # fmt: skip
    row: NotificationOrder = notify.outbox_row(NotificationOrder, f"contracts/renewal-{step}/{contract.id}",
                                               "renewal_notice", audiences, values)  # fmt: skip
    return row
