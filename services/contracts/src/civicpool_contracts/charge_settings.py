"""The network's setting for VAT on charges between member cities (§ 2b UStG from 1 January 2027).

Whoever signs in reads it, with what it means for a charge issued today (rules.charge_tax); the network admin sets
it. Every setting is kept (who, when); the latest is in force; none yet: the law on the invoice's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicpool_common.auth import Principal, Role
from civicpool_common.database import utc_now
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ChargeVat
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_contracts import idempotency, repository, rules
from civicpool_contracts.models import ChargeVatSetting


@dataclass(frozen=True)
class ChargeVatView:
    treatment: ChargeVat
    set_by: str  # "" while none was set
    set_at: dt.datetime | None
    today: rules.ChargeTax  # what a charge issued today bears
    replayed: bool = False


class ChargeSettings:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def current(self, principal: Principal) -> ChargeVatView:
        async with self._sessions() as session:
            latest = await repository.charge_vat_in_force(session)
        treatment = ChargeVat(latest.treatment) if latest else ChargeVat.LAW_ON_INVOICE_DATE
        return ChargeVatView(treatment, latest.set_by if latest else "", latest.set_at if latest else None,
                             rules.charge_tax(treatment, network_today()))  # fmt: skip

    async def set(self, principal: Principal, treatment: ChargeVat, *, key: str) -> ChargeVatView:
        """The network admin's setting, in force from now on (charges issued before keep theirs)."""
        principal.require_any_role(Role.NETWORK_ADMIN)

        async def perform(session: AsyncSession, operation_id: str) -> None:
            session.add(ChargeVatSetting(id=operation_id, treatment=treatment.value, set_by=principal.username,
                                         set_at=utc_now()))  # fmt: skip

        _, _, replayed = await idempotency.once(
            self._sessions, principal, key, "charge_vat", {"treatment": treatment.value}, perform
        )
        view = await self.current(principal)
        return ChargeVatView(view.treatment, view.set_by, view.set_at, view.today, replayed)
