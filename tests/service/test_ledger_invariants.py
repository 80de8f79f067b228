"""The ledger's invariants under any sequence of operations (hypothesis stateful, SQLite and PostgreSQL).

After every step: each posting sums to zero, all entries together sum to zero,
the holdings' counters equal the sums of the movements and stay within quota,
ceiling and pool; and after every step that posted, the pandas statement of each
city equals the SQL sum of its account.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, TypeVar

from civicpool_catalog.service import CatalogService
from civicpool_common.database import create_engine, session_factory
from civicpool_common.errors import AlreadyExists
from civicpool_common.lifecycle import StateConflict
from civicpool_common.timestamps import network_today
from civicpool_contracts.usage import UsageService
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.service.conftest import LEAD, add_member_cities, city_it
from tests.service.test_usage import Usage
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

CITIES = ("bruchsal", "buehl", "ettlingen")
Result = TypeVar("Result")
cities = st.sampled_from(CITIES)
quantities = st.integers(1, 12)


class LedgerMachine(RuleBasedStateMachine):
    databases: DatabaseFactory  # set by the test before it runs the machine
    catalog_url: str  # the member cities (every city a write names must be one)

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.engine = create_engine(self.databases.fresh("civicpool_contracts:migrations"))
        self.catalog_engine = create_engine(self.catalog_url)  # an engine per loop: connections stay in theirs
        catalog = InProcessCatalog(CatalogService(session_factory(self.catalog_engine)))
        self.usage = Usage(UsageService(session_factory(self.engine), catalog), self.engine, catalog)
        self.reports = self.usage.reports()
        self.contract_id = self.run(self.usage.contract(ceiling=60, quotas={"bruchsal": 30, "buehl": 20,
                                                                            "ettlingen": 20}))  # fmt: skip
        self.postings: list[str] = []
        self.entries_compared = -1  # how many ledger entries the statements were last compared over

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work)

    def attempt(self, work: Any) -> None:
        """An operation the limits may refuse; a refusal must change nothing (the invariants check that)."""
        try:
            operation = self.run(work)
        except (StateConflict, AlreadyExists):
            return
        if hasattr(operation, "transaction"):
            self.postings.append(operation.transaction.id)

    @rule(city=cities, quantity=quantities)
    def call_off(self, city: str, quantity: int) -> None:
        self.attempt(self.usage.service.call_off(city_it(city), self.contract_id, city, quantity, from_pool=False,
                                                 key=""))  # fmt: skip

    @rule(city=cities, quantity=quantities)
    def return_seats(self, city: str, quantity: int) -> None:
        self.attempt(self.usage.service.return_seats(city_it(city), self.contract_id, city, quantity, key=""))

    @rule(city=cities, quantity=quantities)
    def take(self, city: str, quantity: int) -> None:
        self.attempt(self.usage.service.call_off(city_it(city), self.contract_id, city, quantity, from_pool=True,
                                                 key=""))  # fmt: skip

    @rule(source=cities, to_city=cities, quantity=quantities)
    def move(self, source: str, to_city: str, quantity: int) -> None:
        if source != to_city:
            self.attempt(self.usage.service.move(LEAD, self.contract_id, source, to_city, quantity, key=""))

    @rule(source=cities, to_city=cities, quantity=quantities)
    def shift(self, source: str, to_city: str, quantity: int) -> None:
        if source != to_city:
            self.attempt(self.usage.service.shift_quota(LEAD, self.contract_id, source, to_city, quantity, "", key=""))

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        if self.postings:
            transaction_id = data.draw(st.sampled_from(self.postings))
            with contextlib.suppress(StateConflict, AlreadyExists):
                self.run(self.usage.service.reverse(LEAD, transaction_id, "Korrektur", key=""))

    @invariant()
    def books_balance_and_holdings_add_up(self) -> None:
        self.run(self.usage.check_invariants(self.contract_id))
        entries = self.run(self.usage.scalar("SELECT count(*) FROM ledger_entries"))
        if entries == self.entries_compared:
            return  # the ledger is append-only: the same count, the same entries, the same statements
        self.entries_compared = entries
        today = network_today()
        for city in CITIES:
            statement = self.run(self.reports.statement(LEAD, city, today, today))
            owed = -self.run(self.usage.scalar(
                "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE account = :a", a=f"city:{city}"
            ))  # fmt: skip
            assert statement.closing_cents == owed

    def teardown(self) -> None:
        self.run(self.engine.dispose())
        self.run(self.catalog_engine.dispose())
        self.loop.close()


def test_the_ledger_invariants_hold_after_any_sequence(databases: DatabaseFactory) -> None:
    LedgerMachine.databases = databases
    LedgerMachine.catalog_url = databases.fresh("civicpool_catalog:migrations")

    async def add_cities() -> None:
        engine = create_engine(LedgerMachine.catalog_url)
        await add_member_cities(CatalogService(session_factory(engine)))
        await engine.dispose()

    asyncio.run(add_cities())
    run_state_machine_as_test(LedgerMachine, settings=settings(max_examples=12, stateful_step_count=25, deadline=None))
