"""Service tests run against SQLite and against a real PostgreSQL, each test on a fresh database."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from civicpool_catalog.service import CITIES, COST_KEYS, CatalogService
from civicpool_cli import demo
from civicpool_common.auth import Principal, Role
from civicpool_common.database import create_engine, session_factory

from tests.support.databases import DatabaseFactory

ADMIN = Principal("u-admin", "network.admin", frozenset({Role.NETWORK_ADMIN}))
CITY_IT = Principal("u-it", "bruchsal.it", frozenset({Role.CITY_IT}), city="bruchsal")
LEAD = Principal("u-lead", "ettlingen.lead", frozenset({Role.PROCUREMENT_LEAD}), city="ettlingen")
OTHER_LEAD = Principal("u-lead2", "rastatt.lead", frozenset({Role.PROCUREMENT_LEAD}), city="rastatt")


def city_it(city: str) -> Principal:
    return Principal(f"u-{city}-it", f"{city}.it", frozenset({Role.CITY_IT}), city=city)


def finance(city: str | None) -> Principal:
    """A city's finance; None: the network's finance, which reads every city."""
    return Principal(f"u-{city}-fin", f"{city or 'network'}.finance", frozenset({Role.FINANCE}), city=city)


def vendor(vendor_id: str) -> Principal:
    return Principal(f"u-{vendor_id}", f"vendor.{vendor_id}", frozenset({Role.VENDOR}), vendor=vendor_id)


VENDOR = vendor("rheintal")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DatabaseFactory:
    backend: str = request.param
    postgres = request.getfixturevalue("postgres") if backend == "postgresql" else None
    return DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"), postgres)


@pytest.fixture
async def catalog(databases: DatabaseFactory) -> AsyncIterator[CatalogService]:
    engine = create_engine(databases.fresh("civicpool_catalog:migrations"))
    yield CatalogService(session_factory(engine))
    await engine.dispose()


async def add_member_cities(catalog: CatalogService) -> None:
    """The demo network's nine member cities: every city a write names must be an active member."""
    for city in demo.CITIES:
        await catalog.create(ADMIN, CITIES, demo.city_payload(city) | {"joined_on": dt.date(2020, 6, 1)})


async def add_cost_keys(catalog: CatalogService) -> None:
    """The demo network's cost-sharing keys (equal, population, usage, and the fixed LoRaWAN pilot's)."""
    for key in demo.COST_KEYS:
        shares = {share["city_id"]: share["basis_points"] for share in key.get("shares", [])}
        await catalog.create(ADMIN, COST_KEYS, key | ({"shares": shares} if shares else {}))
