"""Awards made elsewhere: a procedure run on another e-procurement platform, recorded with its award.

Many networks run the formal procedure on their state's platform and need civicpool only for the demand before
it and the call-offs after it. The lead records such an award from a closed demand round of its city (the cities'
lines are their quotas, entered by each city as for our own tenders): where the procedure ran (platform, notice
number and date), its lots with their items' estimated and maximum quantities, the vendors with their unit prices
(several per lot: a framework with several vendors, in the order of its cascade) and the term. The tender is
stored as awarded, with the round bundled into it, and its contracts are ordered as for our own award: from then on
call-offs, the pool, the ledger, reports and renewals work on them exactly the same, and the OCDS export says
where the procedure ran.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_common import numbering, references
from civicpool_common.auth import Principal, Role
from civicpool_common.database import write_transaction
from civicpool_common.errors import DomainError, FieldViolation, InvalidArgument, PermissionDenied
from civicpool_common.ids import time_ordered_id
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import N_, Labels, Text
from civicpool_common.references import Kind, Reference
from civicpool_common.timestamps import network_today, to_timestamp
from civicpool_common.vocabulary import Procedure, RoundStatus, TenderStatus
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from civicpool_tenders import repository, rules
from civicpool_tenders.clients import Catalog, DemandRounds, ItemDemand
from civicpool_tenders.lots import LotPlan, add_lots
from civicpool_tenders.models import ReferenceCounters, Tender, TenderEvent
from civicpool_tenders.relay import Awardee, AwardRelay, order_item

log = logging.getLogger("civicpool.tenders.external")
MAX_LOTS = 50
_TOO_LONG = N_("must have at most {limit} characters")
_QUANTITIES = N_(
    "the estimated quantity lies between 0 (the round's) and the maximum, the maximum between 1 and {max:n}"
)
_NOT_IN_ROUND = N_("the round has no demand for item {item}")


@dataclass(frozen=True)
class ExternalVendor:
    vendor_id: str
    prices: Mapping[str, int]  # item -> unit price in cents


@dataclass(frozen=True)
class ExternalItem:
    item_id: str
    estimated_quantity: int  # 0: the round's quantity
    max_quantity: int


@dataclass(frozen=True)
class ExternalLot:
    title: str
    items: Sequence[ExternalItem]
    vendors: Sequence[ExternalVendor]  # in the order of the cascade


@dataclass(frozen=True)
class ExternalAward:
    round_id: str
    title: str
    description: str
    platform: str
    notice_number: str
    notice_date: dt.date | None
    procedure: Procedure | None
    lots: Sequence[ExternalLot]
    term: rules.ContractTerm


class ExternalAwards:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], demand: DemandRounds, catalog: Catalog, relay: AwardRelay
    ) -> None:
        self._sessions = sessions
        self._demand = demand
        self._catalog = catalog
        self._relay = relay

    async def record(
        self, principal: Principal, award: ExternalAward
    ) -> tuple[str, list[contracts_pb.Contract] | None]:
        """The tender recorded as awarded and its contracts as the contracts service made them (None when it did
        not confirm them yet: the relay delivers the order as soon as it can)."""
        principal.require_any_role(Role.PROCUREMENT_LEAD)
        today = network_today()
        violations = _violations(award, today)
        if violations:
            raise InvalidArgument(Text("the external award is not valid"), violations=violations)
        starts_on, ends_on, notice_on = rules.resolved_term(award.term, today)
        round_ = await self._demand.get_round(principal, award.round_id)
        if round_.owner_city_id != principal.city:
            raise PermissionDenied(
                Text("only a procurement lead of {city}, which owns the round, may record its award",
                     city=round_.owner_city_id)
            )  # fmt: skip
        if round_.status != RoundStatus.CLOSED:
            raise StateConflict(
                Text("the demand round is {status}; only a closed round's demand is awarded",
                     status=Labels("round", round_.status.value)),
                round_.status.value,
            )  # fmt: skip
        async with self._sessions() as session:
            if await repository.tender_of_round(session, round_.id) is not None:
                raise StateConflict(Text("the demand round is tendered already"), round_.status.value)
        demand = {d.item_id: d for d in await self._demand.demand_by_item(principal, round_.id) if d.quantity > 0}
        _check_against_round(award, demand)
        cities = sorted({city for d in demand.values() for city in d.shares})
        named = [Reference(f"lots[{n}].vendors[{m}].vendor_id", Kind.VENDOR, v.vendor_id)
                 for n, lot in enumerate(award.lots) for m, v in enumerate(lot.vendors)]  # fmt: skip
        named += [Reference(f"lots[{n}].items[{m}].item_id", Kind.ITEM, i.item_id)
                  for n, lot in enumerate(award.lots) for m, i in enumerate(lot.items)]  # fmt: skip
        await references.require_active(self._catalog, named + references.cities("round_id", cities))
        items = await self._catalog.items(principal, list(demand))
        plans = [LotPlan(lot.title.strip(), [(items[i.item_id], demand[i.item_id].quantity,
                                               demand[i.item_id].shares) for i in lot.items])
                 for lot in award.lots]  # fmt: skip

        now = dt.datetime.now(dt.UTC)
        async with write_transaction(self._sessions) as session:
            tender = _tender(principal, award, round_.id, round_.title, cities, plans, now)
            tender.reference = await numbering.next_reference(
                await session.connection(), ReferenceCounters, "tender", tender.lead_city_id, now
            )
            session.add(tender)
            await session.flush()
            add_lots(session, tender, plans)
            await session.flush()
            lots = await repository.lots_of(session, tender.id)
            order = contracts_pb.CreateAwardContractsRequest(
                tender_id=tender.id, lead_city_id=tender.lead_city_id, awarded_by=principal.username,
                awarded_at=to_timestamp(now), starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(),
                renewal_notice_on=notice_on.isoformat(), state=contracts_pb.AWARD_STATE_ACTIVE,
            )  # fmt: skip
            lot_items = {(i.lot_id, i.item_id): i for i in await repository.lot_items_of(session, tender.id)}
            for lot, external in zip(sorted(lots, key=lambda lot: lot.number), award.lots, strict=True):
                for item in external.items:
                    awardees = [Awardee("", v.vendor_id, v.prices[item.item_id]) for v in external.vendors]
                    order_item(order, lot_items[(lot.id, item.item_id)], demand[item.item_id].shares,
                               item.max_quantity, item.estimated_quantity or demand[item.item_id].quantity,
                               awardees)  # fmt: skip
            await AwardRelay.place(session, order, now)
            session.add(TenderEvent.of(tender, "recorded", principal.username, now, _detail(award, order)))
        try:  # the round is the tender's now; if this fails, creating a tender from it finishes the bundling
            await self._demand.bundle(principal, round_.id, tender.id)
        except DomainError as error:
            log.warning("round %s is not bundled into the external award %s yet: %s", round_.id, tender.id, error)
        return tender.id, await self._relay.deliver(tender.id)


def _violations(award: ExternalAward, today: dt.date) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    for name, value, limit in (
        ("title", award.title, 200),
        ("platform", award.platform, 200),
        ("notice_number", award.notice_number, 100),
        ("description", award.description, 4000),
    ):
        if len(value) > limit:
            found.append(FieldViolation(name, Text(_TOO_LONG, limit=limit)))  # fmt: skip
    for name, value in (("platform", award.platform), ("notice_number", award.notice_number)):
        if not value.strip():
            found.append(FieldViolation(name, Text("say where the procedure ran and its notice")))
    if award.notice_date is None or award.notice_date > today:
        found.append(FieldViolation("notice_date", Text("the day the award notice was published, not after today")))
    if award.procedure is None:
        found.append(FieldViolation("procedure", Text("name the procedure that was run")))
    if not 1 <= len(award.lots) <= MAX_LOTS:
        found.append(FieldViolation("lots", Text("between 1 and {max} lots", max=MAX_LOTS)))
    for n, lot in enumerate(award.lots):
        found += _lot_violations(f"lots[{n}]", lot)
    return found


def _lot_violations(where: str, lot: ExternalLot) -> list[FieldViolation]:
    found = []
    if len(lot.title) > 200:
        found.append(FieldViolation(f"{where}.title", Text(_TOO_LONG, limit=200)))
    item_ids = [i.item_id for i in lot.items]
    if not item_ids or len(set(item_ids)) != len(item_ids):
        found.append(FieldViolation(f"{where}.items", Text("name each of the lot's items once")))
    for m, item in enumerate(lot.items):
        if not 0 < item.max_quantity <= rules.MAX_QUANTITY or not 0 <= item.estimated_quantity <= item.max_quantity:
            found.append(FieldViolation(f"{where}.items[{m}]", Text(_QUANTITIES, max=rules.MAX_QUANTITY)))
    vendor_ids = [v.vendor_id for v in lot.vendors]
    if not 1 <= len(vendor_ids) <= rules.MAX_FRAMEWORK_VENDORS or len(set(vendor_ids)) != len(vendor_ids):
        found.append(FieldViolation(f"{where}.vendors", Text("between 1 and {max} different vendors",
                                                             max=rules.MAX_FRAMEWORK_VENDORS)))  # fmt: skip
    for m, vendor in enumerate(lot.vendors):
        if set(vendor.prices) != set(item_ids):
            found.append(FieldViolation(f"{where}.vendors[{m}].prices", Text("price each of the lot's items once")))
        for item_id, cents in sorted(vendor.prices.items()):
            found += rules.price_violations(f"{where}.vendors[{m}].prices.{item_id}", cents, [])
    return found


def _check_against_round(award: ExternalAward, demand: Mapping[str, ItemDemand]) -> None:
    """Every item the round has demand for is in exactly one lot, with a maximum that holds the cities' quotas."""
    found = []
    seen: set[str] = set()
    for n, lot in enumerate(award.lots):
        for m, item in enumerate(lot.items):
            where = f"lots[{n}].items[{m}]"
            if item.item_id not in demand:
                found.append(FieldViolation(f"{where}.item_id", Text(_NOT_IN_ROUND, item=repr(item.item_id))))
            elif item.item_id in seen:
                found.append(FieldViolation(f"{where}.item_id", Text("{item} is in two lots", item=repr(item.item_id))))
            elif item.max_quantity < demand[item.item_id].quantity:
                found.append(
                    FieldViolation(
                        f"{where}.max_quantity",
                        Text(
                            "must hold the cities' quotas: at least {quantity}", quantity=demand[item.item_id].quantity
                        ),
                    )
                )
            seen.add(item.item_id)  # fmt: skip
    missing = sorted(set(demand) - seen)
    if missing:
        found.append(FieldViolation("lots", Text("items of the round in no lot: {items}", items=", ".join(missing))))
    if found:
        raise InvalidArgument(Text("the external award is not valid"), violations=found)


def _tender(
    principal: Principal, award: ExternalAward, round_id: str, round_title: str, cities: list[str],
    plans: list[LotPlan], now: dt.datetime,
) -> Tender:  # fmt: skip
    assert award.procedure is not None and principal.city is not None
    ran = f"{award.platform.strip()}, {award.notice_number.strip()}"
    return Tender(
        id=time_ordered_id(), title=award.title.strip() or round_title, description=award.description.strip(),
        lead_city_id=principal.city, round_id=round_id, participating_city_ids=cities,
        status=TenderStatus.AWARDED.value, estimated_value_cents=sum(plan.estimated_cents for plan in plans),
        recommended_procedure=award.procedure.value, recommendation_reason=ran, procedure=award.procedure.value,
        procedure_justification="", bids_opened_by="", weight_price=0, weight_quality=0, weight_data_protection=0,
        evaluated_by="", cancel_reason="", published_at=now, award_decided_at=now, contracts_activated_at=now,
        contracts_activated_by=principal.username, external_platform=award.platform.strip(),
        external_notice_number=award.notice_number.strip(), external_notice_date=award.notice_date,
        created_by=principal.username, created_at=now, updated_at=now,
    )  # fmt: skip


def _detail(award: ExternalAward, order: contracts_pb.CreateAwardContractsRequest) -> str:
    return (f"run on {award.platform.strip()}, notice {award.notice_number.strip()} of {award.notice_date}; "
            f"{len(order.items)} contract(s)")  # fmt: skip
