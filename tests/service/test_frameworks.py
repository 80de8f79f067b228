"""Frameworks with several vendors on real databases: one contract per vendor, the maximum and every city's quota
held once for all of them (C-23/20), call-offs in rank order and passed on along the cascade (§ 21 (4) Nr. 1 VgV)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import CatalogService
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.lifecycle import StateConflict
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import PassOnCause
from civicpool_contracts.changes import ChangeRequest, ChangeService
from civicpool_contracts.competitions import CompetitionService
from civicpool_contracts.models import MiniCompetition
from civicpool_contracts.service import AwardedItem, AwardOrder, ContractsService
from civicpool_contracts.usage import UsageService
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import LEAD, add_member_cities, city_it, finance, vendor
from tests.support.contracts import check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

QUOTAS = {"bruchsal": 60, "buehl": 30, "ettlingen": 10}
PRICES = {"rheintal": 3_000, "schwarzwald": 2_900, "kraichgau": 3_100}  # in rank order: rank 1 is not the cheapest
BRUCHSAL = city_it("bruchsal")


@dataclass
class Frameworks:
    contracts: ContractsService
    usage: UsageService
    changes: ChangeService
    competitions: CompetitionService
    engine: AsyncEngine

    async def framework_id(self, contract_id: str) -> str:
        view = await self.contracts.get_contract(LEAD, contract_id)
        assert view.framework is not None
        return view.framework.framework.id

    async def compete(self, contract_id: str, **quantities: int) -> str:
        """A mini-competition of the lead for these cities, due in an hour."""
        due = utc_now() + dt.timedelta(hours=1)
        view, _ = await self.competitions.start(LEAD, await self.framework_id(contract_id), quantities, due,
                                                "Lieferung bis 15.01., Rathaus", key="")  # fmt: skip
        return view.competition.id

    async def deadline_passes(self, competition_id: str) -> None:
        async with session_factory(self.engine).begin() as session:
            await session.execute(update(MiniCompetition).where(MiniCompetition.id == competition_id)
                                  .values(offers_due_at=utc_now() - dt.timedelta(seconds=1)))  # fmt: skip

    async def award(
        self, quotas: dict[str, int] | None = None, weights: tuple[int, int, int] = (100, 0, 0),
        quality: tuple[int, int, int] = (0, 0, 0),
    ) -> list[str]:  # fmt: skip
        """A lot item awarded to three vendors (evaluated by `weights`, with these quality scores); their contracts'
        ids in rank order."""
        quotas = quotas or QUOTAS
        tag = f"{random.getrandbits(40):x}"
        items = [
            AwardedItem(f"c{rank}-{tag}", f"lot-{tag}", f"bid{rank}-{tag}", vendor_id, "i", "NB-14", "Notebook",
                        "Stück", "hardware", price, sum(quotas.values()), quotas, f"fw-{tag}", rank,
                        quality_score=quality[rank - 1])
            for rank, (vendor_id, price) in enumerate(PRICES.items(), start=1)
        ]  # fmt: skip
        today = network_today()
        order = AwardOrder(f"t-{tag}", "ettlingen", "ettlingen.lead", utc_now(), today - dt.timedelta(days=1),
                           today + dt.timedelta(days=700), today + dt.timedelta(days=600), items,
                           weights=weights)  # fmt: skip
        made = await self.contracts.create_award_contracts(order)
        return [view.contract.id for view in sorted(made, key=lambda v: v.contract.framework_rank)]

    async def call_off(self, contract_id: str, quantity: int, city: str = "bruchsal") -> str:
        operation = await self.usage.call_off(city_it(city), contract_id, city, quantity, from_pool=False, key="")
        return operation.transaction.id

    async def check(self, contract_ids: list[str]) -> None:
        """Each vendor's contract as every contract; the framework's counters the sums over all of them."""
        for contract_id in contract_ids:
            await check_invariants(self.engine, contract_id)
        framework = {"f": await self._framework_of(contract_ids[0])}
        called_off = await scalar(self.engine, "SELECT sum(called_off) FROM contracts WHERE framework_id = :f",
                                  **framework)  # fmt: skip
        value = await scalar(self.engine, "SELECT coalesce(sum(m.amount_cents), 0) FROM movements m JOIN contracts c "
                                          "ON c.id = m.contract_id WHERE m.kind = 'call_off' AND c.framework_id = :f",
                             **framework)  # fmt: skip
        counters = await scalar(self.engine, "SELECT called_off FROM frameworks WHERE id = :f", **framework)
        worth = await scalar(self.engine, "SELECT called_off_value_cents FROM frameworks WHERE id = :f", **framework)
        assert (counters, worth) == (called_off, value)
        for city in QUOTAS:
            from_all = await scalar(self.engine, "SELECT coalesce(sum(q.called_off), 0) FROM contract_quotas q JOIN "
                                                 "contracts c ON c.id = q.contract_id WHERE q.city_id = :c AND "
                                                 "c.framework_id = :f", c=city, **framework)  # fmt: skip
            held = await scalar(self.engine, "SELECT coalesce(sum(called_off), 0) FROM framework_quotas WHERE "
                                             "city_id = :c AND framework_id = :f", c=city, **framework)  # fmt: skip
            assert held == from_all
        assert await scalar(self.engine, "SELECT count(*) FROM framework_quotas WHERE called_off > quantity") == 0
        assert await scalar(self.engine, "SELECT count(*) FROM frameworks WHERE called_off > max_quantity") == 0

    async def _framework_of(self, contract_id: str) -> str:
        async with self.engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT framework_id FROM contracts WHERE id = :c"), {"c": contract_id}
            )
        return str(found)


async def rows(engine: AsyncEngine, statement: str) -> list[tuple[str, ...]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(text(statement))).all()]


@pytest.fixture
async def frameworks(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Frameworks]:
    await add_member_cities(catalog)
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    sessions, in_process = session_factory(engine), InProcessCatalog(catalog)
    usage = UsageService(sessions, in_process)
    yield Frameworks(ContractsService(sessions), usage, ChangeService(sessions, in_process, 21_600_000),
                     CompetitionService(sessions, in_process, usage), engine)  # fmt: skip
    await engine.dispose()


async def test_an_award_to_three_vendors_makes_one_framework_with_a_contract_per_vendor(
    frameworks: Frameworks,
) -> None:
    first, second, third = await frameworks.award()
    view = await frameworks.contracts.get_contract(LEAD, second)
    assert view.framework is not None
    framework = view.framework.framework
    assert (framework.vendors, framework.max_quantity, framework.estimated_quantity) == (3, 100, 100)
    assert framework.max_value_cents == 100 * max(PRICES.values())  # the most its call-offs can cost
    assert {q.city_id: q.quantity for q in view.framework.quotas} == QUOTAS
    assert (view.contract.framework_rank, view.contract.vendor_id) == (2, "schwarzwald")
    own = await frameworks.contracts.get_contract(city_it("buehl"), first)
    assert own.framework is not None and [q.city_id for q in own.framework.quotas] == ["buehl"]
    seller = await frameworks.contracts.get_contract(vendor("kraichgau"), third)
    assert seller.framework is not None and seller.framework.quotas == [] and seller.quotas == []
    with pytest.raises(NotFound):  # another vendor's contract of the same framework
        await frameworks.contracts.get_contract(vendor("kraichgau"), first)
    again = await frameworks.award()  # a second delivery of another award: its own framework
    assert again[0] != first


async def test_the_quota_and_the_maximum_hold_for_all_vendors_together(frameworks: Frameworks) -> None:
    first, second, third = await frameworks.award()
    called = await frameworks.call_off(first, 50)
    await frameworks.usage.pass_on(BRUCHSAL, called, PassOnCause.NOT_IN_TIME, "Lieferzeit 10 Wochen", key="")
    await frameworks.call_off(first, 5)
    with pytest.raises(StateConflict, match="5 of its framework quota of 60 left") as refused:
        await frameworks.call_off(first, 6)  # 55 of 60 called off from two vendors together
    assert "45 of its maximum of 100" in str(refused.value)
    await frameworks.call_off(first, 30, city="buehl")
    await frameworks.call_off(first, 10, city="ettlingen")
    await frameworks.call_off(first, 5)
    with pytest.raises(StateConflict, match="0 of its maximum"):
        await frameworks.call_off(first, 1)
    await frameworks.check([first, second, third])


async def test_call_offs_go_to_the_vendor_ranked_first(frameworks: Frameworks) -> None:
    first, second, _ = await frameworks.award()
    with pytest.raises(StateConflict, match="ranks 2 in the framework"):
        await frameworks.call_off(second, 1)
    await frameworks.call_off(first, 1)


async def test_a_declined_call_off_passes_along_the_cascade_at_each_vendors_price(frameworks: Frameworks) -> None:
    first, second, third = await frameworks.award()
    called = await frameworks.call_off(first, 10)
    passed = await frameworks.usage.pass_on(BRUCHSAL, called, PassOnCause.DECLINED, "Modell ausverkauft", key="k")
    assert (passed.contract.id, [m.amount_cents for m in passed.movements]) == (second, [10 * PRICES["schwarzwald"]])
    again = await frameworks.usage.pass_on(BRUCHSAL, called, PassOnCause.DECLINED, "Modell ausverkauft", key="k")
    assert again.replayed and again.transaction.id == passed.transaction.id
    with pytest.raises(AlreadyExists):
        await frameworks.usage.pass_on(BRUCHSAL, called, PassOnCause.DECLINED, "noch einmal", key="")
    last = await frameworks.usage.pass_on(LEAD, passed.transaction.id, PassOnCause.NOT_IN_TIME, "12 Wochen", key="")
    assert last.contract.id == third
    with pytest.raises(StateConflict, match="no vendor of the framework ranks after kraichgau"):
        await frameworks.usage.pass_on(BRUCHSAL, last.transaction.id, PassOnCause.DECLINED, "auch nicht", key="")
    owed = await scalar(frameworks.engine, "SELECT sum(amount_cents) FROM ledger_entries WHERE account = :a",
                        a="city:bruchsal")  # fmt: skip
    assert owed == -10 * PRICES["kraichgau"]  # the reversals post back exactly what was posted
    assert await scalar(frameworks.engine, "SELECT count(*) FROM cascade_steps") == 2
    await frameworks.check([first, second, third])


async def test_only_the_calling_city_or_the_lead_passes_a_call_off_on(frameworks: Frameworks) -> None:
    first, *_ = await frameworks.award()
    called = await frameworks.call_off(first, 3)
    with pytest.raises(NotFound):  # another city's call-off answers like a missing one
        await frameworks.usage.pass_on(city_it("buehl"), called, PassOnCause.DECLINED, "abgelehnt", key="")
    with pytest.raises(NotFound):
        await frameworks.usage.pass_on(BRUCHSAL, "no-such-call-off", PassOnCause.DECLINED, "abgelehnt", key="")
    assert await scalar(frameworks.engine, "SELECT count(*) FROM cascade_steps") == 0


async def test_a_quota_shift_moves_the_framework_quota_for_every_vendor(frameworks: Frameworks) -> None:
    contract_ids = await frameworks.award()
    await frameworks.call_off(contract_ids[0], 25, city="buehl")
    with pytest.raises(StateConflict, match="5 unused of its quota of 30"):
        await frameworks.usage.shift_quota(LEAD, contract_ids[1], "buehl", "bruchsal", 6, "Bedarf", key="")
    await frameworks.usage.shift_quota(LEAD, contract_ids[2], "buehl", "bruchsal", 5, "Bedarf gesunken", key="")
    assert await scalar(frameworks.engine, "SELECT count(*) FROM contract_quotas WHERE city_id = 'bruchsal' AND "
                                           "quantity = 65") == 3  # fmt: skip
    assert await scalar(frameworks.engine, "SELECT quantity FROM framework_quotas WHERE city_id = 'buehl'") == 25
    await frameworks.check(contract_ids)


async def test_one_vendors_quantity_is_not_raised_under_section_132(frameworks: Frameworks) -> None:
    first, *_ = await frameworks.award()
    more = ChangeRequest("quantity_increase", "Zusätzliche Arbeitsplätze im Bürgerbüro", quota_additions={"buehl": 2})
    with pytest.raises(StateConflict, match="framework with several vendors"):
        await frameworks.changes.change(LEAD, first, more)


async def test_a_mini_competition_seals_the_offers_and_calls_off_at_the_best_price(frameworks: Frameworks) -> None:
    first, second, third = await frameworks.award()
    framework_id = await frameworks.framework_id(first)
    due = utc_now() + dt.timedelta(hours=2)
    with pytest.raises(PermissionDenied):  # a city's IT invites for its own city only
        await frameworks.competitions.start(BRUCHSAL, framework_id, {"buehl": 5}, due, "", key="")
    with pytest.raises(StateConflict, match="10 of its framework quota of 10"):
        await frameworks.competitions.start(city_it("ettlingen"), framework_id, {"ettlingen": 11}, due, "", key="")
    view, _ = await frameworks.competitions.start(BRUCHSAL, framework_id, {"bruchsal": 20}, due,
                                                  "Lieferung ins Rathaus", key="k")  # fmt: skip
    competition_id = view.competition.id
    with pytest.raises(NotFound):
        await frameworks.competitions.get(city_it("buehl"), competition_id)
    with pytest.raises(NotFound):
        await frameworks.competitions.get(finance("buehl"), competition_id)
    seen = await frameworks.competitions.get(finance(None), competition_id)  # the network's finance, as contracts
    assert seen.competition.quantity == 20 and seen.offers == []
    with pytest.raises(InvalidArgument, match="framework price"):
        await frameworks.competitions.submit_offer(vendor("kraichgau"), competition_id, PRICES["kraichgau"] + 1, "")
    await frameworks.competitions.submit_offer(vendor("rheintal"), competition_id, 2_800, "")
    await frameworks.competitions.submit_offer(vendor("schwarzwald"), competition_id, 2_700, "")
    await frameworks.competitions.submit_offer(vendor("schwarzwald"), competition_id, 2_500, "Sonderkondition")
    sealed = await frameworks.competitions.get(BRUCHSAL, competition_id)
    assert (sealed.offers, sealed.offers_received) == ([], 0)  # the buyer sees nothing before the deadline
    own = await frameworks.competitions.get(vendor("schwarzwald"), competition_id)
    assert [(o.vendor_id, o.unit_price_cents) for o in own.offers] == [("schwarzwald", 2_500)]
    assert own.quantities == {} and own.competition.quantity == 20  # no city's share for a vendor
    with pytest.raises(StateConflict, match="offers are due by"):
        await frameworks.competitions.decide(BRUCHSAL, competition_id, key="")
    await frameworks.deadline_passes(competition_id)
    with pytest.raises(StateConflict, match="late offers are refused"):
        await frameworks.competitions.submit_offer(vendor("kraichgau"), competition_id, 2_000, "")
    decided, replayed = await frameworks.competitions.decide(BRUCHSAL, competition_id, key="d")
    assert not replayed and decided.competition.status == "awarded"
    assert (decided.winner_vendor_id, decided.competition.unit_price_cents) == ("schwarzwald", 2_500)
    assert [(o.vendor_id, o.rank) for o in decided.offers] == [("schwarzwald", 1), ("rheintal", 2)]
    again, replayed = await frameworks.competitions.decide(BRUCHSAL, competition_id, key="d")
    assert replayed and again.call_off_ids == decided.call_off_ids
    with pytest.raises(StateConflict, match="awarded"):
        await frameworks.competitions.decide(LEAD, competition_id, key="")
    owed = await scalar(frameworks.engine, "SELECT sum(amount_cents) FROM ledger_entries WHERE account = :a",
                        a="city:bruchsal")  # fmt: skip
    assert owed == -20 * 2_500  # the offered price, not schwarzwald's framework price
    theirs = await frameworks.competitions.get(vendor("rheintal"), competition_id)
    assert [o.vendor_id for o in theirs.offers] == ["rheintal"] and theirs.winner_vendor_id == "schwarzwald"
    mails = {
        key.removeprefix(f"contracts/mini-competition/{competition_id}/"): json.loads(request)
        for key, request in await rows(frameworks.engine, "SELECT event_key, request FROM notification_orders")
    }
    assert sorted(mails) == ["decided/cities", "decided/rheintal", "decided/schwarzwald", "invited"]
    assert {v["vendorId"] for v in mails["invited"]["audiences"]} == set(PRICES)  # every vendor of the framework
    assert (mails["decided/schwarzwald"]["values"]["variant"], mails["decided/rheintal"]["values"]["variant"]) == (
        "won", "lost",
    )  # fmt: skip
    assert mails["decided/cities"]["audiences"] == [{"role": "city-it", "cityId": "bruchsal"}]
    await frameworks.check([first, second, third])


async def test_a_mini_competitions_call_off_passes_to_the_next_offer_at_its_offered_price(
    frameworks: Frameworks,
) -> None:
    """Not along the framework's ranks at framework prices: the offers were the competition (§ 21 (5) VgV)."""
    first, second, third = await frameworks.award()
    competition_id = await frameworks.compete(first, bruchsal=6)
    await frameworks.competitions.submit_offer(vendor("kraichgau"), competition_id, 2_600, "")
    await frameworks.competitions.submit_offer(vendor("rheintal"), competition_id, 2_900, "")
    await frameworks.deadline_passes(competition_id)
    decided, _ = await frameworks.competitions.decide(LEAD, competition_id, key="")
    assert decided.winner_vendor_id == "kraichgau"
    [call_off] = decided.call_off_ids
    passed = await frameworks.competitions.pass_on(BRUCHSAL, call_off, PassOnCause.DECLINED, "Lieferengpass", key="")
    assert (passed.contract.id, [m.amount_cents for m in passed.movements]) == (first, [6 * 2_900])  # rheintal's offer
    with pytest.raises(StateConflict, match="no further offer of the mini-competition"):  # schwarzwald did not offer
        await frameworks.competitions.pass_on(BRUCHSAL, passed.transaction.id, PassOnCause.DECLINED, "auch", key="")
    plain = await frameworks.call_off(first, 2)  # a call-off of the framework's own: along the cascade
    onwards = await frameworks.competitions.pass_on(BRUCHSAL, plain, PassOnCause.NOT_IN_TIME, "8 Wochen", key="")
    assert (onwards.contract.id, [m.amount_cents for m in onwards.movements]) == (second, [2 * PRICES["schwarzwald"]])
    owed = await scalar(frameworks.engine, "SELECT sum(amount_cents) FROM ledger_entries WHERE account = :a",
                        a="city:bruchsal")  # fmt: skip
    assert owed == -(6 * 2_900 + 2 * PRICES["schwarzwald"])
    await frameworks.check([first, second, third])


async def test_offers_are_ranked_by_the_frameworks_weights_not_by_price_alone(frameworks: Frameworks) -> None:
    """Price 50, quality 50: Kraichgau's quality 100 outweighs Rheintal's 5 % lower price with quality 40."""
    first, *_ = await frameworks.award(weights=(50, 50, 0), quality=(40, 60, 100))
    competition_id = await frameworks.compete(first, buehl=10)
    await frameworks.competitions.submit_offer(vendor("rheintal"), competition_id, 2_850, "")
    await frameworks.competitions.submit_offer(vendor("kraichgau"), competition_id, 3_000, "")
    await frameworks.deadline_passes(competition_id)
    decided, _ = await frameworks.competitions.decide(LEAD, competition_id, key="")
    assert decided.winner_vendor_id == "kraichgau"
    assert [o.total_score_milli for o in decided.offers] == [50 * 950 + 50 * 1000, 50 * 1000 + 40 * 500]


async def test_a_mini_competition_without_offers_calls_off_nothing(frameworks: Frameworks) -> None:
    first, *_ = await frameworks.award()
    competition_id = await frameworks.compete(first, bruchsal=5, buehl=5)
    await frameworks.deadline_passes(competition_id)
    decided, _ = await frameworks.competitions.decide(LEAD, competition_id, key="")
    assert (decided.competition.status, decided.call_off_ids) == ("no_offers", [])
    assert await scalar(frameworks.engine, "SELECT count(*) FROM ledger_transactions") == 0
    [(request,)] = await rows(frameworks.engine, "SELECT request FROM notification_orders WHERE event_key LIKE "
                                                 "'%/decided/cities'")  # fmt: skip
    assert json.loads(request)["values"]["variant"] == "no_offers"


# -- the property: whatever runs at once, the framework's maximum and every city's quota hold -----------------------

CITIES = ("bruchsal", "buehl", "ettlingen")
Step = tuple[str, str, int, bool]  # what (call_off / compete), city, quantity, passed on (a call-off) afterwards
steps = st.lists(
    st.tuples(st.sampled_from(["call_off", "compete"]), st.sampled_from(CITIES), st.integers(1, 6), st.booleans()),
    min_size=1,
    max_size=12,
)


def test_the_maximum_and_every_quota_hold_under_concurrent_call_offs_and_mini_competitions(
    databases: DatabaseFactory,
) -> None:
    """Each example: a new framework (quotas 12 + 9 + 7 = its maximum), mini-competitions invited while each fitted
    and offered in, then every call-off, pass-on and decision at once. Afterwards its counters are the sums over
    its vendors' contracts and within the maximum and every quota; a refusal changed nothing."""
    loop = asyncio.new_event_loop()
    catalog_engine = create_engine(databases.fresh("civicpool_catalog:migrations"))
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    catalog = CatalogService(session_factory(catalog_engine))
    loop.run_until_complete(add_member_cities(catalog))
    sessions, in_process = session_factory(engine), InProcessCatalog(catalog)
    usage = UsageService(sessions, in_process)
    world = Frameworks(ContractsService(sessions), usage, ChangeService(sessions, in_process, 21_600_000),
                       CompetitionService(sessions, in_process, usage), engine)  # fmt: skip

    async def example(plan: list[Step]) -> None:
        contract_ids = await world.award({"bruchsal": 12, "buehl": 9, "ettlingen": 7})
        competitions = []
        for what, city, quantity, _ in plan:
            if what == "compete":
                with contextlib.suppress(StateConflict):  # no longer fits the quota: not invited
                    competitions.append(await world.compete(contract_ids[0], **{city: quantity}))
        for n, competition_id in enumerate(competitions):
            bidder = ("rheintal", "schwarzwald", "kraichgau")[n % 3]
            await world.competitions.submit_offer(vendor(bidder), competition_id, 2_000 + 100 * n, "")
            await world.deadline_passes(competition_id)

        async def call_off(city: str, quantity: int, pass_on: bool) -> None:
            with contextlib.suppress(StateConflict):
                called = await world.call_off(contract_ids[0], quantity, city=city)
                if pass_on:
                    await world.usage.pass_on(city_it(city), called, PassOnCause.DECLINED, "Lieferengpass", key="")

        async def decide(competition_id: str) -> None:
            with contextlib.suppress(StateConflict):
                await world.competitions.decide(LEAD, competition_id, key="")

        await asyncio.gather(*(call_off(city, quantity, again) for what, city, quantity, again in plan
                               if what == "call_off"), *(decide(c) for c in competitions))  # fmt: skip
        await world.check(contract_ids)
        for competition_id in competitions:
            view = await world.competitions.get(LEAD, competition_id)
            assert (view.competition.status == "awarded") == bool(view.call_off_ids)

    @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(plan=steps)
    def holds(plan: list[Step]) -> None:
        loop.run_until_complete(example(plan))

    try:
        holds()
    finally:
        loop.run_until_complete(engine.dispose())
        loop.run_until_complete(catalog_engine.dispose())
        loop.close()
