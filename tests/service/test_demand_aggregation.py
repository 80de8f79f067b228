"""The aggregation (the totals the database keeps by triggers) against an independent sum in Python, on random
demand: lines added, changed and withdrawn."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import ITEMS, CatalogService
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_common.vocabulary import Priority
from civicpool_demand.service import DemandService, LineDraft, RoundDraft
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import ADMIN, LEAD, add_member_cities, city_it, finance
from tests.service.test_catalog_service import LAPTOP
from tests.support.catalog_directory import InProcessDirectory
from tests.support.databases import DatabaseFactory

CITIES = ("bruchsal", "buehl", "ettlingen", "rastatt")
PRICES = (89_900, 1, 0, 123_456_789, 4_900)


@dataclass(frozen=True)
class World:
    catalog_url: str
    demand_url: str
    item_ids: tuple[str, ...]


@pytest.fixture
def world(databases: DatabaseFactory) -> World:
    catalog_url = databases.fresh("civicpool_catalog:migrations")

    async def add_items() -> tuple[str, ...]:
        engine = create_engine(catalog_url)
        catalog = CatalogService(session_factory(engine))
        await add_member_cities(catalog)
        ids = []
        for index, price in enumerate(PRICES):
            values = {**LAPTOP, "sku": f"ITEM-{index}", "reference_price_cents": price}
            ids.append((await catalog.create(ADMIN, ITEMS, values)).id)
        await engine.dispose()
        return tuple(ids)

    return World(catalog_url, databases.fresh("civicpool_demand:migrations"), asyncio.run(add_items()))


# city, item, quantity, what happens to the line next, the quantity it is changed to
DemandLine = tuple[str, int, int, str, int]
demand_lines = st.lists(
    st.tuples(st.sampled_from(CITIES), st.integers(0, len(PRICES) - 1), st.integers(1, 1_000_000),
              st.sampled_from(["keep", "withdraw", "change"]), st.integers(1, 1_000_000)),
    max_size=30,
)  # fmt: skip


async def _check(world: World, lines: list[DemandLine]) -> None:
    catalog_engine, demand_engine = create_engine(world.catalog_url), create_engine(world.demand_url)
    try:
        service = DemandService(
            session_factory(demand_engine), InProcessDirectory(CatalogService(session_factory(catalog_engine)))
        )
        now = utc_now()
        round_ = await service.create_round(LEAD, RoundDraft("R", "", now, now + dt.timedelta(days=1)))
        await service.transition_round(LEAD, round_.id, "open", 0)
        quantity: Counter[tuple[str, str]] = Counter()  # (item, city) -> submitted quantity
        line_count: Counter[str] = Counter()  # item -> submitted lines
        for city, item_index, amount, then, changed_to in lines:
            item_id = world.item_ids[item_index]
            draft = LineDraft(round_.id, city, item_id, amount, None, "", Priority.NORMAL)
            line = await service.create_line(city_it(city), draft)
            if then == "withdraw":
                await service.withdraw_line(city_it(city), round_.id, line.id, 0)
                continue
            if then == "change":
                await service.update_line(city_it(city), round_.id, line.id, {"quantity": changed_to}, line.version)
                amount = changed_to
            quantity[item_id, city] += amount
            line_count[item_id] += 1
        price = dict(zip(world.item_ids, PRICES, strict=True))
        per_item: dict[str, dict[str, int]] = defaultdict(dict)
        for (item_id, city), amount in quantity.items():
            per_item[item_id][city] = amount

        network = await service.aggregate(LEAD, round_.id)
        got = {a.item.id: {c.city_id: c.quantity for c in a.cities} for a in network.items}
        assert got == per_item
        for aggregate in network.items:
            expected_total = sum(per_item[aggregate.item.id].values())
            assert aggregate.total_quantity == expected_total
            assert aggregate.city_count == len(per_item[aggregate.item.id])
            assert aggregate.line_count == line_count[aggregate.item.id]
            assert aggregate.estimated_cents == expected_total * price[aggregate.item.id]
            assert [c.estimated_cents for c in aggregate.cities] == [
                per_item[aggregate.item.id][c.city_id] * price[aggregate.item.id] for c in aggregate.cities
            ]
        assert network.total_estimated_cents == sum(amount * price[item] for (item, _), amount in quantity.items())
        assert network.city_count == len({city for _, city in quantity})

        for city in CITIES:
            own = await service.aggregate(city_it(city), round_.id)
            assert [(a.item.id, a.total_quantity) for a in own.items] == [
                (a.item.id, a.total_quantity) for a in network.items
            ]
            assert {c.city_id for a in own.items for c in a.cities} <= {city}
            money = await service.aggregate(finance(city), round_.id)
            assert {a.item.id: a.total_quantity for a in money.items} == {
                item: cities[city] for item, cities in per_item.items() if city in cities
            }
    finally:
        await catalog_engine.dispose()
        await demand_engine.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=demand_lines)
def test_the_aggregation_equals_an_independent_sum(world: World, lines: list[DemandLine]) -> None:
    asyncio.run(_check(world, lines))
