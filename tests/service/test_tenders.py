"""Joint tenders on real databases (SQLite and PostgreSQL), with the real demand and catalog services in-process."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from civicpool.contracts.v1 import contracts_pb2 as contracts_pb
from civicpool_catalog.models import Item
from civicpool_catalog.service import ITEMS, VENDORS, CatalogService
from civicpool_cli import demo
from civicpool_common import numbering
from civicpool_common.auth import Principal
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_common.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
    VersionConflict,
)
from civicpool_common.lifecycle import StateConflict
from civicpool_common.scoring import ItemPrice, Tier, Weights
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import HostingRegion, Priority, Procedure
from civicpool_contracts.models import Contract
from civicpool_contracts.renewals import RenewalService
from civicpool_contracts.service import ContractsService
from civicpool_contracts.usage import UsageService
from civicpool_demand.repository import LineFilter
from civicpool_demand.service import DemandService, LineDraft, RoundDraft
from civicpool_tenders import ocds
from civicpool_tenders.awarding import AwardDecision, ScoreInput
from civicpool_tenders.bids import BidDraft
from civicpool_tenders.external import ExternalAward, ExternalAwards, ExternalItem, ExternalLot, ExternalVendor
from civicpool_tenders.lots import LotGroup
from civicpool_tenders.models import AwardOrder, Tender
from civicpool_tenders.procedure import ValueLimits
from civicpool_tenders.relay import AwardRelay
from civicpool_tenders.rules import ContractTerm
from civicpool_tenders.service import TendersService
from civicpool_tenders.views import TenderView
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, add_member_cities, city_it, finance, vendor
from tests.service.test_catalog_service import JITSI, LAPTOP
from tests.support.catalog_directory import InProcessDirectory
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessAwardContracts, InProcessCatalog, InProcessDemand
from tests.support.ocds_schema import ocds_errors

LIMITS = ValueLimits(eu_threshold_cents=21_600_000, direct_award_limit_cents=500_000, restricted_limit_cents=10_000_000)


BRUCHSAL_IT, BUEHL_IT, ETTLINGEN_IT, RASTATT_IT = map(city_it, ("bruchsal", "buehl", "ettlingen", "rastatt"))
BRUCHSAL_FINANCE, RASTATT_LEAD = finance("bruchsal"), OTHER_LEAD
RHEINTAL, SCHWARZWALD, GLOBALMEET = vendor("rheintal"), vendor("schwarzwald"), vendor("globalmeet")
DEMAND = ((BRUCHSAL_IT, "laptop", 40), (BUEHL_IT, "laptop", 25), (ETTLINGEN_IT, "laptop", 10),
          (BRUCHSAL_IT, "jitsi", 300), (BUEHL_IT, "jitsi", 120))  # fmt: skip


@dataclass
class Tendering:
    tenders: TendersService
    contracts: ContractsService
    demand: DemandService
    engine: AsyncEngine  # the tenders database
    contracts_engine: AsyncEngine
    laptop: Item
    jitsi: Item
    external: ExternalAwards

    async def closed_round(self, lines: tuple[tuple[Principal, str, int], ...] = DEMAND) -> str:
        now = utc_now()
        draft = RoundDraft(
            "Notebooks und Videokonferenz", "", now - dt.timedelta(minutes=1), now + dt.timedelta(days=9)
        )
        round_ = await self.demand.create_round(LEAD, draft)
        await self.demand.transition_round(LEAD, round_.id, "open", 0)
        for who, item, quantity in lines:
            item_id = (self.laptop if item == "laptop" else self.jitsi).id
            await self.demand.create_line(
                who, LineDraft(round_.id, who.city or "", item_id, quantity, None, "", Priority.NORMAL)
            )
        await self.demand.transition_round(LEAD, round_.id, "close", 0)
        return round_.id

    async def published(self, round_id: str | None = None) -> TenderView:
        view = await self.tenders.create_tender(LEAD, round_id or await self.closed_round(), "", "", [])
        due = utc_now() + dt.timedelta(days=14)
        view = await self.tenders.update_tender(LEAD, view.tender.id, {"bids_due_at": due}, view.tender.version)
        return await self.tenders.transition(LEAD, view.tender.id, "publish", 0)

    async def deadline_passes(self, tender_id: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(Tender).where(Tender.id == tender_id).values(bids_due_at=utc_now() - dt.timedelta(seconds=1))
            )

    def lot_of(self, view: TenderView, item: Item) -> str:
        return next(lv.lot.id for lv in view.lots if any(i.item_id == item.id for i in lv.items))


def bid(
    lot_id: str, item: Item, cents: int, *, region: HostingRegion | None = HostingRegion.DE, dpa: bool = True,
    oss: bool = False, tiers: tuple[Tier, ...] = (), days: int = 14,
) -> BidDraft:  # fmt: skip
    return BidDraft(lot_id, [ItemPrice(item.id, cents, tiers)], days, region, dpa, oss)


@pytest.fixture
async def tendering(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Tendering]:
    laptop = await catalog.create(ADMIN, ITEMS, LAPTOP)
    jitsi = await catalog.create(ADMIN, ITEMS, JITSI)
    await add_member_cities(catalog)
    for demo_vendor in demo.VENDORS:  # rheintal, schwarzwald (DE), globalmeet (US)
        await catalog.create(
            ADMIN, VENDORS, {"contact_name": "", "contact_phone": ""} | demo.vendor_payload(demo_vendor)
        )
    demand_engine = create_engine(databases.fresh("civicpool_demand:migrations"))
    tenders_engine = create_engine(databases.fresh("civicpool_tenders:migrations"))
    contracts_engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    demand = DemandService(session_factory(demand_engine), InProcessDirectory(catalog))
    contracts = ContractsService(session_factory(contracts_engine))
    relay = AwardRelay(session_factory(tenders_engine), InProcessAwardContracts(contracts))
    tenders = TendersService(
        session_factory(tenders_engine), InProcessDemand(demand), InProcessCatalog(catalog), LIMITS, relay
    )
    external = ExternalAwards(
        session_factory(tenders_engine), InProcessDemand(demand), InProcessCatalog(catalog), relay
    )
    yield Tendering(tenders, contracts, demand, tenders_engine, contracts_engine, laptop, jitsi, external)
    for engine in (demand_engine, tenders_engine, contracts_engine):
        await engine.dispose()


# -- a tender from a closed round -----------------------------------------------------------------


async def test_a_tender_copies_each_citys_share_and_bundles_the_round(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    view = await tendering.tenders.create_tender(LEAD, round_id, "", "Rahmenvertrag", [])
    tender = view.tender
    assert (tender.status, tender.lead_city_id, tender.round_id) == ("draft", "ettlingen", round_id)
    assert tender.participating_city_ids == ["bruchsal", "buehl", "ettlingen"]
    laptop_lot = next(lv for lv in view.lots if lv.items[0].item_id == tendering.laptop.id)
    assert laptop_lot.items[0].quantity == 75
    assert {s.city_id: s.quantity for s in laptop_lot.shares[tendering.laptop.id]} == {
        "bruchsal": 40, "buehl": 25, "ettlingen": 10,
    }  # fmt: skip
    assert tender.estimated_value_cents == 75 * 89_900 + 420 * 1_800
    assert [e.action for e in view.events] == ["created"] and view.events[0].actor == "ettlingen.lead"
    round_ = await tendering.demand.get_round(LEAD, round_id)
    assert (round_.status, round_.tender_id) == ("bundled", tender.id)


async def test_the_recommendation_follows_the_value(tendering: Tendering) -> None:
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    value = 75 * 89_900 + 420 * 1_800  # EUR 74,985.00: above EUR 5,000, below EUR 100,000
    assert view.tender.estimated_value_cents == value
    assert view.tender.recommended_procedure == Procedure.RESTRICTED_OR_NEGOTIATED
    assert "EUR 74,985.00" in view.tender.recommendation_reason


async def test_creating_again_returns_the_same_tender(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    first = await tendering.tenders.create_tender(LEAD, round_id, "", "", [])
    again = await tendering.tenders.create_tender(LEAD, round_id, "", "", [])
    assert again.tender.id == first.tender.id


async def test_only_a_closed_round_of_the_leads_own_city_becomes_a_tender(tendering: Tendering) -> None:
    now = utc_now()
    open_round = await tendering.demand.create_round(LEAD, RoundDraft("Offen", "", now, now + dt.timedelta(days=1)))
    await tendering.demand.transition_round(LEAD, open_round.id, "open", 0)
    with pytest.raises(StateConflict, match="only a closed round"):
        await tendering.tenders.create_tender(LEAD, open_round.id, "", "", [])
    closed = await tendering.closed_round()
    with pytest.raises(PermissionDenied):
        await tendering.tenders.create_tender(RASTATT_LEAD, closed, "", "", [])
    for who in (BRUCHSAL_IT, BRUCHSAL_FINANCE, RHEINTAL):
        with pytest.raises(PermissionDenied):
            await tendering.tenders.create_tender(who, closed, "", "", [])
    assert (await tendering.demand.get_round(LEAD, closed)).status == "closed"


async def test_the_lead_may_group_items_into_one_lot(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.create_tender(LEAD, round_id, "", "", [LotGroup("X", ["no-such-item"])])
    assert refusal.value.violations[0].field == "lot_groups[0].item_ids"
    group = LotGroup("Arbeitsplatz komplett", [tendering.laptop.id, tendering.jitsi.id])
    view = await tendering.tenders.create_tender(LEAD, round_id, "", "", [group])
    assert [(lv.lot.number, lv.lot.title, len(lv.items)) for lv in view.lots] == [(1, "Arbeitsplatz komplett", 2)]


async def test_city_users_and_vendors_see_tenders_as_designed(tendering: Tendering) -> None:
    draft = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    for who in (BRUCHSAL_IT, RHEINTAL, RASTATT_IT):
        with pytest.raises(NotFound):
            await tendering.tenders.get_tender(who, draft.tender.id)  # drafts: leads and admins only
    published = await tendering.published(await tendering.closed_round())
    seen_by_vendor = await tendering.tenders.get_tender(RHEINTAL, published.tender.id)
    assert seen_by_vendor.for_vendor and seen_by_vendor.events == []
    assert all(lv.shares == {} for lv in seen_by_vendor.lots)
    seen_by_bruchsal = await tendering.tenders.get_tender(BRUCHSAL_IT, published.tender.id)
    bruchsal_shares = {s.city_id for lv in seen_by_bruchsal.lots for item in lv.shares.values() for s in item}
    assert bruchsal_shares == {"bruchsal"}  # its own share only, as in the aggregate and the contracts
    seen_by_lead = await tendering.tenders.get_tender(LEAD, published.tender.id)
    assert {s.city_id for lv in seen_by_lead.lots for item in lv.shares.values() for s in item} == {
        "bruchsal", "buehl", "ettlingen"}  # fmt: skip
    with pytest.raises(NotFound):
        await tendering.tenders.get_tender(RASTATT_IT, published.tender.id)  # Rastatt takes no part
    listed, _ = await tendering.tenders.list_tenders(RASTATT_IT, 50, "", None)
    assert listed == []
    listed, _ = await tendering.tenders.list_tenders(BRUCHSAL_IT, 50, "", None)
    assert [v.tender.id for v in listed] == [published.tender.id]


# -- lifecycle ------------------------------------------------------------------------------------


async def test_publishing_needs_a_future_deadline_and_the_lifecycle_is_checked(tendering: Tendering) -> None:
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    tender_id = view.tender.id
    with pytest.raises(InvalidArgument, match="deadline"):
        await tendering.tenders.transition(LEAD, tender_id, "publish", 0)
    for action in ("close_bidding",):
        with pytest.raises(StateConflict) as refusal:
            await tendering.tenders.transition(LEAD, tender_id, action, 0)
        assert refusal.value.metadata["current_status"] == "draft"
    with pytest.raises(InvalidArgument) as invalid:
        await tendering.tenders.update_tender(LEAD, tender_id, {"bids_due_at": utc_now()}, view.tender.version)
    assert str(invalid.value.violations[0].description) == "must lie in the future"
    with pytest.raises(PermissionDenied):
        await tendering.tenders.transition(RASTATT_LEAD, tender_id, "publish", 0)
    with pytest.raises(VersionConflict):
        await tendering.tenders.transition(LEAD, tender_id, "publish", view.tender.version + 5)
    with pytest.raises(InvalidArgument, match="say why"):
        await tendering.tenders.transition(LEAD, tender_id, "cancel", 0, " ")
    cancelled = await tendering.tenders.transition(LEAD, tender_id, "cancel", 0, "Haushaltssperre")
    assert (cancelled.tender.status, cancelled.tender.cancel_reason) == ("cancelled", "Haushaltssperre")
    assert cancelled.events[-1].action == "cancelled" and cancelled.events[-1].actor == "ettlingen.lead"


async def test_another_procedure_needs_a_written_justification_which_is_kept(tendering: Tendering) -> None:
    view = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    change = {"procedure": Procedure.OPEN_EU}
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.update_tender(LEAD, view.tender.id, change, view.tender.version)
    assert refusal.value.violations[0].field == "procedure_justification"
    why = "Marktüberblick: EU-weite Bekanntmachung erhöht den Wettbewerb"
    changed = await tendering.tenders.update_tender(
        LEAD, view.tender.id, {**change, "procedure_justification": why}, view.tender.version
    )
    assert (changed.tender.procedure, changed.tender.procedure_justification) == ("open_eu", why)
    assert changed.tender.recommended_procedure == "restricted_or_negotiated"
    assert changed.events[-1].action == "changed"


# -- sealed bids ----------------------------------------------------------------------------------


async def test_bids_are_sealed_until_bidding_closes(tendering: Tendering) -> None:
    view = await tendering.published()
    tender_id, lot = view.tender.id, tendering.lot_of(view, tendering.laptop)
    own = await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 80_000))
    await tendering.tenders.submit_bid(SCHWARZWALD, tender_id, bid(lot, tendering.laptop, 82_000))
    for reader in (LEAD, ADMIN):
        with pytest.raises(StateConflict, match="sealed"):
            await tendering.tenders.list_bids(reader, tender_id, "")
    for reader in (BRUCHSAL_IT, BRUCHSAL_FINANCE, RASTATT_LEAD):
        with pytest.raises((PermissionDenied, NotFound)):
            await tendering.tenders.list_bids(reader, tender_id, "")
    seen = await tendering.tenders.list_bids(RHEINTAL, tender_id, "")
    assert [b.bid.id for b in seen] == [own.bid.id] and seen[0].evaluated_price_cents == 75 * 80_000
    with pytest.raises(StateConflict, match="bidding is open until"):
        await tendering.tenders.transition(LEAD, tender_id, "close_bidding", 0)
    await tendering.deadline_passes(tender_id)
    closed = await tendering.tenders.transition(LEAD, tender_id, "close_bidding", 0)
    assert closed.tender.bids_opened_by == "ettlingen.lead" and closed.tender.bids_opened_at is not None
    assert closed.events[-1].action == "bids_opened" and "2 bid(s) of 2 vendor(s)" in closed.events[-1].detail
    assert {b.bid.vendor_id for b in await tendering.tenders.list_bids(LEAD, tender_id, "")} == {
        "rheintal", "schwarzwald",
    }  # fmt: skip
    assert [b.bid.vendor_id for b in await tendering.tenders.list_bids(SCHWARZWALD, tender_id, "")] == ["schwarzwald"]


async def test_late_bids_replacements_and_withdrawals_are_refused(tendering: Tendering) -> None:
    view = await tendering.published()
    tender_id, lot = view.tender.id, tendering.lot_of(view, tendering.laptop)
    own = await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 80_000))
    await tendering.deadline_passes(tender_id)
    with pytest.raises(StateConflict, match="late bids are refused"):
        await tendering.tenders.submit_bid(SCHWARZWALD, tender_id, bid(lot, tendering.laptop, 1))
    with pytest.raises(StateConflict, match="late bids are refused"):
        await tendering.tenders.replace_bid(RHEINTAL, tender_id, own.bid.id, bid(lot, tendering.laptop, 1), 0)
    with pytest.raises(StateConflict, match="late bids are refused"):
        await tendering.tenders.withdraw_bid(RHEINTAL, tender_id, own.bid.id, 0)
    assert [b.evaluated_price_cents for b in await tendering.tenders.list_bids(RHEINTAL, tender_id, "")] == [
        75 * 80_000
    ]


async def test_a_vendor_replaces_and_withdraws_only_its_own_bid(tendering: Tendering) -> None:
    view = await tendering.published()
    tender_id, lot = view.tender.id, tendering.lot_of(view, tendering.laptop)
    own = await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 80_000))
    with pytest.raises(AlreadyExists, match="replace or withdraw"):
        await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 79_000))
    with pytest.raises(NotFound):
        await tendering.tenders.replace_bid(SCHWARZWALD, tender_id, own.bid.id, bid(lot, tendering.laptop, 1), 0)
    with pytest.raises(NotFound):
        await tendering.tenders.withdraw_bid(SCHWARZWALD, tender_id, own.bid.id, 0)
    replaced = await tendering.tenders.replace_bid(
        RHEINTAL, tender_id, own.bid.id, bid(lot, tendering.laptop, 78_000), own.bid.version
    )
    assert replaced.evaluated_price_cents == 75 * 78_000 and replaced.bid.version == own.bid.version + 1
    with pytest.raises(VersionConflict):
        await tendering.tenders.withdraw_bid(RHEINTAL, tender_id, own.bid.id, own.bid.version)
    withdrawn = await tendering.tenders.withdraw_bid(RHEINTAL, tender_id, own.bid.id, 0)
    assert withdrawn.bid.status == "withdrawn"
    again = await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 77_000))
    assert again.bid.id == own.bid.id and again.bid.status == "submitted"


async def test_a_bid_must_price_its_lot_and_come_from_a_known_vendor(tendering: Tendering) -> None:
    view = await tendering.published()
    tender_id, lot = view.tender.id, tendering.lot_of(view, tendering.laptop)
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.jitsi, -5, days=-1))
    fields = {v.field for v in refusal.value.violations}
    assert {"prices", "prices[0].item_id", "prices[0].unit_price_cents", "delivery_days"} <= fields
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.submit_bid(
            RHEINTAL, tender_id, bid(lot, tendering.laptop, 80_000, tiers=(Tier(1, 70_000),))
        )
    assert str(refusal.value.violations[0].description) == "must be at least 2"
    for free in (bid(lot, tendering.laptop, 0), bid(lot, tendering.laptop, 80_000, tiers=(Tier(50, 0),))):
        # A price of 0 would give every other bid 0 points on price and decide the award by itself.
        with pytest.raises(InvalidArgument) as refusal:
            await tendering.tenders.submit_bid(RHEINTAL, tender_id, free)
        [why] = [str(v.description) for v in refusal.value.violations]
        assert why.startswith("must be at least 1 cent") and "abnormally low" in why
    with pytest.raises(PermissionDenied, match="not an active vendor"):
        await tendering.tenders.submit_bid(vendor("nobody"), tender_id, bid(lot, tendering.laptop, 80_000))
    with pytest.raises(PermissionDenied):
        await tendering.tenders.submit_bid(LEAD, tender_id, bid(lot, tendering.laptop, 80_000))
    assert await tendering.tenders.list_bids(RHEINTAL, tender_id, "") == []


# -- evaluation, award, contracts -----------------------------------------------------------------


async def _opened(tendering: Tendering) -> tuple[TenderView, dict[str, str]]:
    """A tender with bids of three vendors on the laptop lot and two on the Jitsi lot, opened."""
    view = await tendering.published()
    tender_id = view.tender.id
    laptop, jitsi = tendering.lot_of(view, tendering.laptop), tendering.lot_of(view, tendering.jitsi)
    ids = {}
    ids["laptop-rheintal"] = (
        await tendering.tenders.submit_bid(
            RHEINTAL, tender_id, bid(laptop, tendering.laptop, 85_000, tiers=(Tier(50, 80_000), Tier(100, 75_000)))
        )
    ).bid.id
    ids["laptop-schwarzwald"] = (
        await tendering.tenders.submit_bid(SCHWARZWALD, tender_id, bid(laptop, tendering.laptop, 82_000))
    ).bid.id
    ids["laptop-globalmeet"] = (
        await tendering.tenders.submit_bid(
            GLOBALMEET, tender_id, bid(laptop, tendering.laptop, 70_000, region=HostingRegion.THIRD_COUNTRY, dpa=False)
        )
    ).bid.id
    ids["jitsi-schwarzwald"] = (
        await tendering.tenders.submit_bid(SCHWARZWALD, tender_id, bid(jitsi, tendering.jitsi, 1_500, oss=True))
    ).bid.id
    ids["jitsi-globalmeet"] = (
        await tendering.tenders.submit_bid(
            GLOBALMEET, tender_id, bid(jitsi, tendering.jitsi, 900, region=HostingRegion.THIRD_COUNTRY, dpa=False)
        )
    ).bid.id
    await tendering.deadline_passes(tender_id)
    return await tendering.tenders.transition(LEAD, tender_id, "close_bidding", 0), ids


def _scores(ids: dict[str, str], quality: int = 80, **overrides: Any) -> list[ScoreInput]:
    return [overrides.get(name, ScoreInput(bid_id, quality, None)) for name, bid_id in ids.items()]


async def test_weights_must_sum_to_100_and_every_bid_be_scored(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    tender_id = view.tender.id
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.evaluate(LEAD, tender_id, Weights(50, 30, 10), _scores(ids), 0)
    assert refusal.value.violations[0].field == "weights" and "not 90" in str(refusal.value.violations[0].description)
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.evaluate(LEAD, tender_id, Weights(50, 30, 20), _scores(ids)[1:], 0)
    assert "has no score" in str(refusal.value.violations[0].description)
    changed = ScoreInput(ids["jitsi-globalmeet"], 80, 50)
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.evaluate(
            LEAD, tender_id, Weights(50, 30, 20), _scores(ids, **{"jitsi-globalmeet": changed}), 0
        )
    assert "propose 0" in str(refusal.value.violations[0].description)
    with pytest.raises(PermissionDenied):
        await tendering.tenders.evaluate(RASTATT_LEAD, tender_id, Weights(50, 30, 20), _scores(ids), 0)
    assert (await tendering.tenders.get_tender(LEAD, tender_id)).tender.status == "bidding_closed"


async def test_evaluation_scores_ranks_and_stores_the_table(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    adjusted = ScoreInput(ids["jitsi-globalmeet"], 80, 10, "EU-Standardvertragsklauseln liegen vor")
    evaluation = await tendering.tenders.evaluate(
        LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids, **{"jitsi-globalmeet": adjusted}), 0
    )
    rows = {r.bid_id: r for r in evaluation.rows}
    # Laptops, 75 pieces: Rheintal's tier from 50 applies (80,000), Schwarzwald 82,000, GlobalMeet 70,000.
    assert rows[ids["laptop-rheintal"]].evaluated_price_cents == 75 * 80_000
    assert rows[ids["laptop-globalmeet"]].price_score_milli == 100_000
    assert rows[ids["laptop-rheintal"]].price_score_milli == 87_500  # 70,000 / 80,000 x 100
    assert rows[ids["laptop-schwarzwald"]].price_score_milli == 85_366  # 85.3658... rounded half up
    # DE + DPA = 85 proposed; third country without DPA = 0; adjusted with a reason to 10.
    assert rows[ids["laptop-rheintal"]].data_protection_score == 85
    assert (
        rows[ids["jitsi-globalmeet"]].data_protection_score,
        rows[ids["jitsi-globalmeet"]].data_protection_proposed,
    ) == (10, 0)
    # totals: 0.5 x price + 0.3 x 80 + 0.2 x dp
    assert rows[ids["laptop-rheintal"]].total_score_milli == 43_750 + 24_000 + 17_000
    assert rows[ids["laptop-globalmeet"]].total_score_milli == 50_000 + 24_000 + 0
    assert [r.vendor_id for r in evaluation.rows if r.lot_id == rows[ids["laptop-rheintal"]].lot_id] == [
        "rheintal", "schwarzwald", "globalmeet",
    ]  # fmt: skip
    stored = await tendering.tenders.get_evaluation(ADMIN, view.tender.id)
    assert [(r.bid_id, r.rank, r.total_score_milli) for r in stored.rows] == [
        (r.bid_id, r.rank, r.total_score_milli) for r in evaluation.rows
    ]
    assert stored.tender.status == "evaluated" and stored.tender.evaluated_by == "ettlingen.lead"


async def test_award_creates_contracts_equal_to_the_snapshot(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    best = {r.lot_id: r.bid_id for r in evaluation.rows if r.rank == 1}
    second = next(r for r in evaluation.rows if r.rank == 2)
    with pytest.raises(InvalidArgument, match="not valid") as refusal:
        await tendering.tenders.award(LEAD, view.tender.id, [AwardDecision(second.lot_id, second.bid_id)],
                                        ContractTerm(), 0)  # fmt: skip
    fields = {v.field for v in refusal.value.violations}
    assert {"awards[0].justification", "awards"} <= fields
    decisions = [AwardDecision(lot_id, bid_id) for lot_id, bid_id in best.items()]
    with pytest.raises(InvalidArgument) as too_long:
        await tendering.tenders.award(
            LEAD, view.tender.id, decisions, ContractTerm(dt.date(2027, 1, 1), dt.date(2031, 6, 1)), 0
        )
    assert "at most 4 years" in str(too_long.value.violations[0].description)
    awarded, contracts = await tendering.tenders.award(
        LEAD, view.tender.id, decisions, ContractTerm(dt.date(2027, 1, 1), dt.date(2028, 12, 31)), 0
    )
    assert awarded.tender.status == "awarded" and awarded.events[-1].action == "awarded"
    assert contracts is not None and len(contracts) == 2
    for contract in contracts:
        lot_view = next(lv for lv in view.lots if lv.lot.id == contract.lot_id)
        shares = {s.city_id: s.quantity for s in lot_view.shares[contract.item_id]}
        assert {q.city_id: q.quantity for q in contract.quotas} == shares
        assert contract.ceiling_quantity == sum(shares.values()) == lot_view.items[0].quantity
        assert contract.ceiling_value_cents == contract.ceiling_quantity * contract.unit_price_cents
        assert (contract.starts_on, contract.ends_on) == ("2027-01-01", "2028-12-31")
        assert contract.renewal_notice_on == "2028-10-02"  # 90 days before the end
    laptop = next(c for c in contracts if c.item_id == tendering.laptop.id)
    assert (laptop.vendor_id, laptop.unit_price_cents) == ("rheintal", 80_000)  # the tier price at 75 pieces
    # Jitsi: Schwarzwald and GlobalMeet tie at 74,000 milli; GlobalMeet's lower price wins.
    outcomes = {b.bid.id: b.outcome for b in await tendering.tenders.list_bids(GLOBALMEET, view.tender.id, "")}
    assert outcomes == {ids["laptop-globalmeet"]: "not_awarded", ids["jitsi-globalmeet"]: "awarded"}
    # City users see their own city's quota only; vendors only their contracts.
    seen, _ = await tendering.contracts.list_contracts(BUEHL_IT, 50, "", "", "")
    assert {q.city_id for c in seen for q in c.quotas} == {"buehl"}
    with pytest.raises(PermissionDenied):
        await tendering.contracts.list_contracts(BUEHL_IT, 50, "", "", "bruchsal")
    theirs, _ = await tendering.contracts.list_contracts(GLOBALMEET, 50, "", "", "")
    assert [(c.contract.vendor_id, c.contract.sku) for c in theirs] == [("globalmeet", "VC-JITSI")]
    assert await tendering.contracts.list_contracts(SCHWARZWALD, 50, "", "", "") == ([], "")
    with pytest.raises(NotFound):
        await tendering.contracts.get_contract(RASTATT_IT, laptop.id)


async def test_an_award_starts_no_earlier_than_today_and_names_only_active_parties(
    tendering: Tendering, catalog: CatalogService
) -> None:
    """Refused awards change nothing: the tender stays evaluated and no contract order is written."""
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    decisions = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    yesterday = network_today() - dt.timedelta(days=1)
    with pytest.raises(InvalidArgument) as in_the_past:
        await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(yesterday), 0)
    assert [(v.field, "must not lie before today" in str(v.description)) for v in in_the_past.value.violations] == [
        ("starts_on", True)
    ]
    winner = next(r.vendor_id for r in evaluation.rows if r.rank == 1)
    record = await catalog.get(VENDORS, winner)
    await catalog.set_active(ADMIN, VENDORS, winner, active=False, expected_version=record.version)
    with pytest.raises(InvalidArgument) as inactive:
        await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(), 0)
    assert any(v.field.endswith(".bid_id") and winner in str(v.description) for v in inactive.value.violations)
    still = await tendering.tenders.get_tender(LEAD, view.tender.id)
    assert still.tender.status == "evaluated"
    async with tendering.engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(AwardOrder))).scalar_one() == 0


async def test_a_lower_ranked_bid_is_awarded_only_with_a_justification(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    decisions = [
        AwardDecision(r.lot_id, r.bid_id, "Erstplatzierter hat zurückgezogen" if r.rank == 2 else "")
        for r in evaluation.rows
        if r.rank == 2
    ]
    awarded, contracts = await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(), 0)
    assert all(lv.lot.award_justification for lv in awarded.lots)
    assert contracts is not None
    assert {c.bid_id for c in contracts} == {d.bid_id for d in decisions}


async def test_a_lot_is_awarded_to_its_best_ranked_vendors_as_one_framework(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    laptop_lot = next(r.lot_id for r in evaluation.rows if r.bid_id == ids["laptop-rheintal"])
    ranked = [r for r in evaluation.rows if r.lot_id == laptop_lot]
    jitsi = next(r for r in evaluation.rows if r.lot_id != laptop_lot and r.rank == 1)
    for wrong in (AwardDecision(laptop_lot, ranked[0].bid_id, vendors=4),
                  AwardDecision(laptop_lot, ranked[1].bid_id, "Begründung", vendors=2)):  # fmt: skip
        with pytest.raises(InvalidArgument) as refused:
            await tendering.tenders.award(LEAD, view.tender.id, [wrong, AwardDecision(jitsi.lot_id, jitsi.bid_id)],
                                            ContractTerm(), 0)  # fmt: skip
        assert [v.field for v in refused.value.violations] in (["awards[0].vendors"], ["awards[0].bid_id"])
    decisions = [AwardDecision(laptop_lot, ranked[0].bid_id, vendors=3), AwardDecision(jitsi.lot_id, jitsi.bid_id)]
    awarded, contracts = await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(), 0)
    assert contracts is not None and len(contracts) == 4
    laptops = sorted((c for c in contracts if c.lot_id == laptop_lot), key=lambda c: c.framework.rank)
    # Each at its own price; the cascade follows the evaluation, not the price.
    assert [(c.vendor_id, c.unit_price_cents) for c in laptops] == [
        ("rheintal", 80_000), ("schwarzwald", 82_000), ("globalmeet", 70_000),
    ]  # fmt: skip
    assert len({c.framework.id for c in laptops}) == 1 and laptops[0].framework.max_quantity == 75
    single = next(c for c in contracts if c.lot_id == jitsi.lot_id)
    assert not single.HasField("framework")
    lot = next(lv.lot for lv in awarded.lots if lv.lot.id == laptop_lot)
    assert lot.framework_bid_ids == [r.bid_id for r in ranked]
    outcomes = {b.bid.id: b.outcome for b in await tendering.tenders.list_bids(GLOBALMEET, view.tender.id, "")}
    assert outcomes[ids["laptop-globalmeet"]] == "awarded"
    package = await tendering.tenders.ocds_package(LEAD, view.tender.id, "ocds-test")
    award = next(a for a in package["releases"][0]["awards"] if a["relatedLots"] == [laptop_lot])
    assert len(award["suppliers"]) == 3 and award["value"]["amount"] == 75 * 82_000 / 100


async def test_the_ocds_package_is_valid_with_every_city_as_buyer(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    decisions = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(), 0)
    inputs = await tendering.tenders.ocds_inputs(LEAD, view.tender.id)
    catalog = tendering.tenders._catalog  # the same catalog the gRPC servicer asks
    package = ocds.release_package(
        *inputs,
        await catalog.cities(LEAD),
        await catalog.vendors(LEAD),
        ocid_prefix="ocds-test",
        published_at=utc_now(),
    )
    assert ocds_errors(json.loads(json.dumps(package))) == []
    release = package["releases"][0]
    roles = {p["id"]: p["roles"] for p in release["parties"]}
    assert roles["city-ettlingen"] == ["procuringEntity", "buyer"]
    assert {pid for pid, r in roles.items() if "buyer" in r} == {"city-ettlingen", "city-bruchsal", "city-buehl"}
    assert release["tender"]["procuringEntity"]["id"] == "city-ettlingen"
    assert {c["buyer"]["id"] for c in release["contracts"]} == {"city-ettlingen", "city-bruchsal", "city-buehl"}
    assert len(release["awards"]) == 2 and release["tag"] == ["award", "contract"]
    with pytest.raises(PermissionDenied):
        await tendering.tenders.ocds_inputs(RHEINTAL, view.tender.id)
    # A participating city's export holds its own buyer entries only: no other city's quantity or value.
    mine = ocds.release_package(
        *await tendering.tenders.ocds_inputs(BRUCHSAL_IT, view.tender.id),
        await catalog.cities(LEAD), await catalog.vendors(LEAD), ocid_prefix="ocds-test", published_at=utc_now(),
    )  # fmt: skip
    assert ocds_errors(json.loads(json.dumps(mine))) == []
    assert {c["buyer"]["id"] for c in mine["releases"][0]["contracts"]} == {"city-bruchsal"}


async def test_the_same_tender_request_sent_twice_at_once_makes_one_tender(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    first, second = await asyncio.gather(
        tendering.tenders.create_tender(LEAD, round_id, "", "", []),
        tendering.tenders.create_tender(LEAD, round_id, "", "", []),
    )
    assert first.tender.id == second.tender.id
    listed, _ = await tendering.tenders.list_tenders(LEAD, 50, "", None)
    assert [v.tender.id for v in listed] == [first.tender.id]
    assert (await tendering.demand.get_round(LEAD, round_id)).tender_id == first.tender.id


async def test_a_vendors_first_bid_sent_twice_at_once_is_stored_once(tendering: Tendering) -> None:
    view = await tendering.published()
    tender_id, lot = view.tender.id, tendering.lot_of(view, tendering.laptop)
    results = await asyncio.gather(
        *(tendering.tenders.submit_bid(RHEINTAL, tender_id, bid(lot, tendering.laptop, 80_000)) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyExists", "BidView"]
    assert len(await tendering.tenders.list_bids(RHEINTAL, tender_id, "")) == 1


async def test_a_bid_scored_twice_is_refused_and_nothing_changes(tendering: Tendering) -> None:
    view, ids = await _opened(tendering)
    scores = [*_scores(ids), ScoreInput(ids["laptop-rheintal"], 10, None)]
    with pytest.raises(InvalidArgument) as refusal:
        await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), scores, 0)
    assert [v.field for v in refusal.value.violations] == [f"scores[{len(ids)}].bid_id"]
    assert (await tendering.tenders.get_tender(LEAD, view.tender.id)).tender.status == "bidding_closed"


async def test_a_passed_deadline_is_not_reopened(tendering: Tendering) -> None:
    view = await tendering.published()
    await tendering.deadline_passes(view.tender.id)
    later = utc_now() + dt.timedelta(days=3)
    with pytest.raises(StateConflict, match="the tender no longer changes"):
        await tendering.tenders.update_tender(LEAD, view.tender.id, {"bids_due_at": later}, view.tender.version)


async def test_a_cancelled_tender_stays_visible_to_those_who_saw_it_published(tendering: Tendering) -> None:
    draft = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    await tendering.tenders.transition(LEAD, draft.tender.id, "cancel", 0, "Doppelt angelegt")
    for who in (BRUCHSAL_IT, RHEINTAL):
        with pytest.raises(NotFound):  # never published: never seen outside the network's leads
            await tendering.tenders.get_tender(who, draft.tender.id)
    view = await tendering.published()
    lot = tendering.lot_of(view, tendering.laptop)
    own = await tendering.tenders.submit_bid(RHEINTAL, view.tender.id, bid(lot, tendering.laptop, 80_000))
    await tendering.tenders.transition(LEAD, view.tender.id, "cancel", 0, "Bedarf entfallen")
    seen = await tendering.tenders.get_tender(RHEINTAL, view.tender.id)
    assert (seen.tender.status, seen.tender.cancel_reason) == ("cancelled", "Bedarf entfallen")
    assert [(b.bid.id, b.outcome) for b in await tendering.tenders.list_bids(RHEINTAL, view.tender.id, "")] == [
        (own.bid.id, "not_awarded")
    ]
    listed, _ = await tendering.tenders.list_tenders(BRUCHSAL_IT, 50, "", None)
    assert [v.tender.id for v in listed] == [view.tender.id]


class LosesBundleReplies(InProcessDemand):
    """The real demand service, but the first bundle's reply is lost (after or instead of bundling)."""

    def __init__(self, demand: DemandService, *, bundle_first: bool) -> None:
        super().__init__(demand)
        self._bundle_first, self._failed = bundle_first, False

    async def bundle(self, principal: Principal, round_id: str, tender_id: str) -> None:
        if not self._failed:
            self._failed = True
            if self._bundle_first:
                await super().bundle(principal, round_id, tender_id)
            raise Unavailable("the demand service is unavailable: deadline exceeded")
        await super().bundle(principal, round_id, tender_id)


@pytest.mark.parametrize("bundle_first", [True, False])
async def test_a_lost_bundling_reply_keeps_the_draft_and_a_retry_finishes(
    tendering: Tendering, bundle_first: bool
) -> None:
    flaky = TendersService(
        tendering.tenders._sessions, LosesBundleReplies(tendering.demand, bundle_first=bundle_first),
        tendering.tenders._catalog, LIMITS, tendering.tenders._relay,
    )  # fmt: skip
    round_id = await tendering.closed_round()
    with pytest.raises(Unavailable, match="kept as a draft"):
        await flaky.create_tender(LEAD, round_id, "", "", [])
    again = await flaky.create_tender(LEAD, round_id, "", "", [])
    assert (await tendering.demand.get_round(LEAD, round_id)).tender_id == again.tender.id


async def test_a_kept_draft_is_published_only_once_its_round_is_bundled(tendering: Tendering) -> None:
    flaky = TendersService(
        tendering.tenders._sessions, LosesBundleReplies(tendering.demand, bundle_first=False),
        tendering.tenders._catalog, LIMITS, tendering.tenders._relay,
    )  # fmt: skip
    round_id = await tendering.closed_round()
    with pytest.raises(Unavailable):
        await flaky.create_tender(LEAD, round_id, "", "", [])
    listed, _ = await flaky.list_tenders(LEAD, 50, "", None)
    draft = listed[0].tender
    due = {"bids_due_at": utc_now() + dt.timedelta(days=3)}
    draft = (await flaky.update_tender(LEAD, draft.id, due, draft.version)).tender
    published = await flaky.transition(LEAD, draft.id, "publish", 0)  # bundles the round first
    assert published.tender.status == "published"
    assert (await tendering.demand.get_round(LEAD, round_id)).tender_id == draft.id

    other_round = await tendering.closed_round()
    flaky = TendersService(
        tendering.tenders._sessions, LosesBundleReplies(tendering.demand, bundle_first=False),
        tendering.tenders._catalog, LIMITS, tendering.tenders._relay,
    )  # fmt: skip
    with pytest.raises(Unavailable):
        await flaky.create_tender(LEAD, other_round, "", "", [])
    await tendering.demand.transition_round(LEAD, other_round, "cancel", 0, reason="Doch nicht")
    orphan = next(
        v.tender for v in (await flaky.list_tenders(LEAD, 50, "", None))[0] if v.tender.round_id == other_round
    )
    orphan = (await flaky.update_tender(LEAD, orphan.id, due, orphan.version)).tender
    with pytest.raises(StateConflict, match="cancel the draft"):
        await flaky.transition(LEAD, orphan.id, "publish", 0)


async def test_a_renewal_round_starts_from_each_citys_current_holding(
    tendering: Tendering, catalog: CatalogService
) -> None:
    view, ids = await _opened(tendering)
    evaluation = await tendering.tenders.evaluate(LEAD, view.tender.id, Weights(50, 30, 20), _scores(ids), 0)
    decisions = [AwardDecision(r.lot_id, r.bid_id) for r in evaluation.rows if r.rank == 1]
    _, contracts = await tendering.tenders.award(LEAD, view.tender.id, decisions, ContractTerm(), 0)
    assert contracts is not None
    jitsi = next(c for c in contracts if c.sku == "VC-JITSI")
    usage = UsageService(session_factory(tendering.contracts_engine), InProcessCatalog(catalog))
    await usage.call_off(BRUCHSAL_IT, jitsi.id, "bruchsal", 250, from_pool=False, key="")
    await usage.return_seats(BRUCHSAL_IT, jitsi.id, "bruchsal", 50, key="")
    await usage.call_off(BUEHL_IT, jitsi.id, "buehl", 20, from_pool=True, key="")
    renewals = RenewalService(
        session_factory(tendering.contracts_engine), InProcessDemand(tendering.demand), InProcessCatalog(catalog)
    )
    with pytest.raises(StateConflict, match="a renewal round can start from then"):
        await renewals.start(LEAD, jitsi.id, None)
    async with tendering.contracts_engine.begin() as connection:
        await connection.execute(update(Contract).where(Contract.id == jitsi.id).values(
            starts_on=network_today() - dt.timedelta(days=400), renewal_notice_on=network_today(),
            version=Contract.version + 1))  # fmt: skip
    with pytest.raises(PermissionDenied):
        await renewals.start(BRUCHSAL_IT, jitsi.id, None)
    started = await renewals.start(LEAD, jitsi.id, None)
    round_ = await tendering.demand.get_round(LEAD, started.round_id)
    assert (round_.status, round_.owner_city_id, round_.scope_item_ids) == ("draft", "ettlingen", [jitsi.item_id])
    lines = await tendering.demand.list_lines(LEAD, LineFilter(started.round_id, None, None, None), 50, "")
    assert {(x.city_id, x.quantity) for x in lines.records} == {("bruchsal", 200), ("buehl", 20)}
    again = await renewals.start(LEAD, jitsi.id, None)
    assert (again.round_id, again.existing) == (started.round_id, True)


# -- reference numbers -----------------------------------------------------------------------------


async def test_tenders_are_numbered_per_lead_city_and_year_and_found_by_number(tendering: Tendering) -> None:
    year = numbering.network_year(utc_now())
    first = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    round_id = await tendering.closed_round()
    twice = await asyncio.gather(*(tendering.tenders.create_tender(LEAD, round_id, "", "", []) for _ in range(2)))
    assert twice[0].tender.reference == twice[1].tender.reference  # one tender, one number: the race left no gap
    assert [first.tender.reference, twice[0].tender.reference] == [f"ETT-{year}-001", f"ETT-{year}-002"]
    found, _ = await tendering.tenders.list_tenders(LEAD, 50, "", None, f" ett-{year}-002 ")
    assert [v.tender.id for v in found] == [twice[0].tender.id]
    assert (await tendering.tenders.list_tenders(LEAD, 50, "", None, f"ETT-{year}-009")).records == []


async def test_a_removed_draft_gives_its_number_back_while_it_is_the_last(tendering: Tendering) -> None:
    year = numbering.network_year(utc_now())
    first = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    await tendering.tenders._forget_draft(first.tender.id)  # as after a bundling the demand service refused
    again = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    assert again.tender.reference == first.tender.reference == f"ETT-{year}-001"
    later = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    await tendering.tenders._forget_draft(again.tender.id)  # no longer the last: its number stays unused
    last = await tendering.tenders.create_tender(LEAD, await tendering.closed_round(), "", "", [])
    assert [later.tender.reference, last.tender.reference] == [f"ETT-{year}-002", f"ETT-{year}-003"]


# -- awards made elsewhere --------------------------------------------------------------------------


def _external(round_id: str, tendering: Tendering, *, laptop_max: int = 90, **changes: Any) -> ExternalAward:
    """Notebooks from Rheintal and Schwarzwald (a framework), video conferencing from Schwarzwald, as awarded on
    the state's platform; the round's demand: 75 notebooks, 420 seats."""
    laptop, jitsi = tendering.laptop.id, tendering.jitsi.id
    lots = [
        ExternalLot("Notebooks", [ExternalItem(laptop, 0, laptop_max)],
                    [ExternalVendor("rheintal", {laptop: 79_000}), ExternalVendor("schwarzwald", {laptop: 81_000})]),
        ExternalLot("Videokonferenz", [ExternalItem(jitsi, 400, 500)], [ExternalVendor("schwarzwald", {jitsi: 1_300})]),
    ]  # fmt: skip
    values: dict[str, Any] = {
        "round_id": round_id, "title": "", "description": "", "platform": "Vergabemarktplatz Baden-Württemberg",
        "notice_number": "2026/S 201-612345", "notice_date": network_today() - dt.timedelta(days=3),
        "procedure": Procedure.OPEN_EU, "lots": lots, "term": ContractTerm(),
    }  # fmt: skip
    return ExternalAward(**(values | changes))


async def test_an_award_made_elsewhere_is_recorded_with_its_contracts(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    tender_id, contracts = await tendering.external.record(LEAD, _external(round_id, tendering))
    assert contracts is not None and len(contracts) == 3
    laptops = sorted((c for c in contracts if c.item_id == tendering.laptop.id), key=lambda c: c.framework.rank)
    assert [(c.vendor_id, c.unit_price_cents, c.ceiling_quantity) for c in laptops] == [
        ("rheintal", 79_000, 90), ("schwarzwald", 81_000, 90),
    ]  # fmt: skip
    assert (laptops[0].framework.estimated_quantity, laptops[0].framework.max_quantity) == (75, 90)
    assert {q.city_id: q.quantity for q in laptops[0].quotas} == {"bruchsal": 40, "buehl": 25, "ettlingen": 10}
    jitsi = next(c for c in contracts if c.item_id == tendering.jitsi.id)
    assert (jitsi.status, jitsi.ceiling_quantity, jitsi.HasField("framework")) == (
        contracts_pb.CONTRACT_STATUS_ACTIVE, 500, False,
    )  # fmt: skip
    view = await tendering.tenders.get_tender(BRUCHSAL_IT, tender_id)
    assert (view.tender.status, view.tender.external_platform, view.tender.round_id) == (
        "awarded", "Vergabemarktplatz Baden-Württemberg", round_id,
    )  # fmt: skip
    assert (await tendering.demand.get_round(LEAD, round_id)).tender_id == tender_id  # bundled: not tendered again
    package = await tendering.tenders.ocds_package(LEAD, tender_id, "ocds-test")
    details = package["releases"][0]["tender"]["procurementMethodDetails"]
    assert "Vergabemarktplatz Baden-Württemberg" in details and "2026/S 201-612345" in details
    with pytest.raises(StateConflict, match="round is tendered"):  # bundled into the recorded tender
        await tendering.external.record(LEAD, _external(round_id, tendering))


async def test_an_award_made_elsewhere_covers_the_round_and_holds_its_quotas(tendering: Tendering) -> None:
    round_id = await tendering.closed_round()
    with pytest.raises(InvalidArgument) as refused:
        await tendering.external.record(LEAD, _external(round_id, tendering, laptop_max=70))
    assert [v.field for v in refused.value.violations] == ["lots[0].items[0].max_quantity"]
    only_laptops = _external(round_id, tendering).lots[:1]
    with pytest.raises(InvalidArgument) as missing:
        await tendering.external.record(LEAD, _external(round_id, tendering, lots=only_laptops))
    assert "items of the round in no lot" in str(missing.value.violations[0].description)
    with pytest.raises(PermissionDenied):
        await tendering.external.record(RASTATT_LEAD, _external(round_id, tendering))
    with pytest.raises(InvalidArgument) as late:
        await tendering.external.record(LEAD, _external(round_id, tendering, notice_date=network_today()
                                                        + dt.timedelta(days=1)))  # fmt: skip
    assert [v.field for v in late.value.violations] == ["notice_date"]
    async with tendering.engine.connect() as connection:  # nothing of the refused ones stored
        assert (await connection.execute(select(func.count()).select_from(Tender))).scalar_one() == 0
