"""A framework contract as an award stores it, and the invariants of its use (for tests and benchmarks).

Awarding takes a round, a tender, bids and a deadline (in the tenders service); tests of what happens
after the award start from the stored contract instead.
"""

from __future__ import annotations

import datetime as dt
import random

from civicpool_common import numbering
from civicpool_common.database import session_factory, utc_now
from civicpool_common.timestamps import network_today
from civicpool_contracts.models import Contract, ContractQuota, Movement, ReferenceCounters
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

PRICE = 3_000


async def awarded_contract(
    engine: AsyncEngine, kind: str = "license", ceiling: int = 100, quotas: dict[str, int] | None = None,
    *, item: tuple[str, str] = ("i", "VPN-SEAT"),
) -> str:  # fmt: skip
    """An active framework contract (Ettlingen leads, Rheintal delivers) with these city quotas, of the item
    (id, SKU): an id no catalog knows unless one is given."""
    quotas = quotas or {"bruchsal": 60, "buehl": 30, "ettlingen": 10}
    now, today = utc_now(), network_today()
    ids = {name: f"{name}-{random.getrandbits(48):x}" for name in ("tender", "lot", "bid", "contract")}  # no FKs
    async with session_factory(engine).begin() as session:
        reference = await numbering.next_reference(
            await session.connection(), ReferenceCounters, "contract", "ettlingen", now
        )
        session.add(Contract(
            id=ids["contract"], reference=reference, tender_id=ids["tender"], lot_id=ids["lot"], bid_id=ids["bid"],
            lead_city_id="ettlingen", vendor_id="rheintal", item_id=item[0], sku=item[1], name="VPN", unit="Nutzer",
            kind=kind, unit_price_cents=PRICE, ceiling_quantity=ceiling, ceiling_value_cents=ceiling * PRICE,
            starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=700),
            renewal_notice_on=today + dt.timedelta(days=600), status="active", created_by="x", created_at=now,
            called_off=0, in_pool=0,
        ))  # fmt: skip
        await session.flush()
        session.add_all(ContractQuota(contract_id=ids["contract"], city_id=city, quantity=quota, called_off=0,
                                      returned=0, taken=0) for city, quota in quotas.items())  # fmt: skip
    return ids["contract"]


async def scalar(engine: AsyncEngine, statement: str, **params: object) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text(statement), params) or 0)


async def check_invariants(engine: AsyncEngine, contract_id: str) -> None:
    """Every posting sums to zero; the counters equal the sums of the movements; nothing beyond limits."""
    unbalanced = await scalar(
        engine,
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id "
        "HAVING sum(amount_cents) <> 0) AS t",
    )
    assert unbalanced == 0
    assert await scalar(engine, "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries") == 0
    async with session_factory(engine)() as session:
        contract = await session.get(Contract, contract_id)
        assert contract is not None
        quotas = (await session.scalars(select(ContractQuota).where(ContractQuota.contract_id == contract_id))).all()
        sums: dict[str, int] = dict((await session.execute(
            select(Movement.city_id.concat(":").concat(Movement.kind), func.sum(Movement.quantity))
            .where(Movement.contract_id == contract_id).group_by(Movement.city_id, Movement.kind)
        )).all())  # fmt: skip
    for quota in quotas:
        assert quota.called_off == sums.get(f"{quota.city_id}:call_off", 0) <= quota.quantity
        assert quota.returned == sums.get(f"{quota.city_id}:return", 0) + sums.get(f"{quota.city_id}:move_out", 0)
        assert quota.taken == sums.get(f"{quota.city_id}:take", 0) + sums.get(f"{quota.city_id}:move_in", 0)
    assert contract.called_off == sum(q.called_off for q in quotas) <= contract.ceiling_quantity
    assert contract.in_pool == sum(q.returned for q in quotas) - sum(q.taken for q in quotas) >= 0
