"""Contracts in use on real databases (SQLite and PostgreSQL): call-offs, the pool, quota shifts, the ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import CatalogService
from civicpool_common.database import create_engine, session_factory, utc_now
from civicpool_common.errors import (
    AlreadyExists,
    DomainError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import LANGUAGES, rendered
from civicpool_common.timestamps import network_today
from civicpool_contracts.reports import ReportService
from civicpool_contracts.usage import UsageService
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, VENDOR, add_cost_keys, add_member_cities, city_it, finance
from tests.support.contracts import PRICE, awarded_contract, check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

BRUCHSAL, BUEHL, RASTATT = city_it("bruchsal"), city_it("buehl"), city_it("rastatt")
RASTATT_FINANCE, RASTATT_FINANCE_NETWORK = finance("rastatt"), finance(None)


@dataclass
class Usage:
    service: UsageService
    engine: AsyncEngine
    catalog: InProcessCatalog

    def reports(self) -> ReportService:
        return ReportService(session_factory(self.engine), self.catalog)

    async def contract(self, kind: str = "license", ceiling: int = 100, quotas: dict[str, int] | None = None) -> str:
        return await awarded_contract(self.engine, kind, ceiling, quotas)

    async def scalar(self, statement: str, **params: object) -> int:
        return await scalar(self.engine, statement, **params)

    async def check_invariants(self, contract_id: str) -> None:
        await check_invariants(self.engine, contract_id)


@pytest.fixture
async def usage(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Usage]:
    """The contracts service's use cases on a fresh database; the real catalog (in-process) splits costs."""
    await add_member_cities(catalog)
    await add_cost_keys(catalog)
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    in_process = InProcessCatalog(catalog)
    yield Usage(UsageService(session_factory(engine), in_process), engine, in_process)
    await engine.dispose()


async def test_a_call_off_posts_one_balanced_transaction(usage: Usage) -> None:
    contract_id = await usage.contract()
    operation = await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 20, from_pool=False, key="")
    assert [(m.city_id, m.kind, m.quantity, m.amount_cents) for m in operation.movements] == [
        ("bruchsal", "call_off", 20, 20 * PRICE)
    ]
    assert {e.account: e.amount_cents for e in operation.entries} == {
        "city:bruchsal": -20 * PRICE, f"contract:{contract_id}": 20 * PRICE,
    }  # fmt: skip
    use = await usage.service.utilisation(BRUCHSAL, contract_id)
    assert [(u.city_id, u.called_off, u.quota_left, u.holding) for u in use.cities] == [("bruchsal", 20, 40, 20)]
    await usage.check_invariants(contract_id)


async def test_call_offs_beyond_quota_or_ceiling_are_refused_saying_what_is_left(usage: Usage) -> None:
    contract_id = await usage.contract(ceiling=50, quotas={"bruchsal": 40, "buehl": 30})
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 35, from_pool=False, key="")
    with pytest.raises(StateConflict, match="bruchsal has 5 of its quota of 40 left"):
        await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 6, from_pool=False, key="")
    with pytest.raises(StateConflict, match="the contract 15 of its ceiling of 50"):
        await usage.service.call_off(BUEHL, contract_id, "buehl", 16, from_pool=False, key="")
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions") == 1
    await usage.service.call_off(BUEHL, contract_id, "buehl", 15, from_pool=False, key="")
    await usage.check_invariants(contract_id)


async def test_a_change_of_terms_is_never_missed_by_a_call_off(usage: Usage) -> None:
    """On PostgreSQL a call-off is checked on the contract's terms as kept and done in one statement that checks their
    version: a city that joined since is served, and a contract that ended since refuses (on SQLite: read each time)."""
    contract_id = await usage.contract(quotas={"bruchsal": 40})
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 1, from_pool=False, key="")  # terms kept
    await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "buehl", 5, "Bühl tritt dem Vertrag bei", key="",
                                    add_party=True)  # fmt: skip
    await usage.service.call_off(BUEHL, contract_id, "buehl", 2, from_pool=False, key="")
    async with usage.engine.begin() as connection:  # a change of terms takes the next version
        await connection.execute(text("UPDATE contracts SET status = 'terminated', version = version + 1 "
                                      "WHERE id = :id"), {"id": contract_id})  # fmt: skip
    with pytest.raises(StateConflict, match="call-offs need an active contract"):
        await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 1, from_pool=False, key="")
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions") == 2
    await usage.check_invariants(contract_id)


async def test_only_the_citys_it_or_the_lead_calls_off(usage: Usage) -> None:
    contract_id = await usage.contract()
    for who in (BUEHL, OTHER_LEAD, VENDOR, ADMIN):
        with pytest.raises(PermissionDenied):
            await usage.service.call_off(who, contract_id, "bruchsal", 1, from_pool=False, key="")
    await usage.service.call_off(LEAD, contract_id, "bruchsal", 1, from_pool=False, key="")


async def test_a_city_without_a_quota_learns_nothing_of_the_contract(usage: Usage) -> None:
    """Rastatt has no quota: every operation answers as for a contract that does not exist (no error oracle)."""
    contract_id = await usage.contract()
    missing = "01a219d6-0000-7000-8000-00000000dead"
    for who in (RASTATT, RASTATT_FINANCE):
        answers = []
        for contract in (contract_id, missing):
            for operation in (
                usage.service.call_off(who, contract, "rastatt", 1, from_pool=False, key=""),
                usage.service.call_off(who, contract, "rastatt", 1, from_pool=True, key=""),
                usage.service.return_seats(who, contract, "rastatt", 1, key=""),
                usage.service.utilisation(who, contract),
            ):
                with pytest.raises(DomainError) as caught:
                    await operation
                said = [rendered(caught.value.message, language).replace(contract, "<id>") for language in LANGUAGES]
                answers.append((type(caught.value), said))
        assert answers[:4] == answers[4:]
        assert {kind for kind, _ in answers} <= {NotFound, PermissionDenied}
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions") == 0


@pytest.mark.parametrize(
    ("city", "says"),
    [("rastatt", "rastatt is not a party to contract"), ("atlantis", "'atlantis' is not a member city"),
     ("Bruchsal", "did you mean 'bruchsal'"), ("stutensee ", "'stutensee ' is not a member city")],
)  # fmt: skip
async def test_a_call_off_for_a_city_that_is_no_party_or_no_member_is_refused(
    usage: Usage, city: str, says: str
) -> None:
    contract_id = await usage.contract()
    with pytest.raises(InvalidArgument) as caught:
        await usage.service.call_off(LEAD, contract_id, city, 1, from_pool=False, key="")
    assert [v.field for v in caught.value.violations] == ["city_id"]
    assert says in str(caught.value.violations[0].description)
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions") == 0


async def test_a_retry_with_the_same_key_answers_the_first_result_and_posts_nothing(usage: Usage) -> None:
    contract_id = await usage.contract()
    first = await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 5, from_pool=False, key="k-1")
    again = await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 5, from_pool=False, key="k-1")
    assert (again.id, again.transaction.id, again.replayed) == (first.id, first.transaction.id, True)
    with pytest.raises(InvalidArgument, match="another request"):
        await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 6, from_pool=False, key="k-1")
    other_user = await usage.service.call_off(LEAD, contract_id, "bruchsal", 5, from_pool=False, key="k-1")
    assert not other_user.replayed  # keys belong to their caller
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions") == 2


async def test_the_license_pool_returns_takes_and_moves(usage: Usage) -> None:
    contract_id = await usage.contract()
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 30, from_pool=False, key="")
    returned = await usage.service.return_seats(BRUCHSAL, contract_id, "bruchsal", 10, key="")
    assert {e.account: e.amount_cents for e in returned.entries} == {
        "city:bruchsal": 10 * PRICE, f"pool:{contract_id}": -10 * PRICE,
    }  # fmt: skip
    taken = await usage.service.call_off(BUEHL, contract_id, "buehl", 4, from_pool=True, key="")
    assert taken.kind == "take"
    with pytest.raises(StateConflict, match="the pool holds 6 seats"):
        await usage.service.call_off(BUEHL, contract_id, "buehl", 7, from_pool=True, key="")
    moved = await usage.service.move(LEAD, contract_id, "bruchsal", "buehl", 15, key="")
    assert {e.account: e.amount_cents for e in moved.entries} == {
        "city:bruchsal": 15 * PRICE, "city:buehl": -15 * PRICE,
    }  # fmt: skip
    with pytest.raises(StateConflict, match="bruchsal holds 5"):
        await usage.service.move(LEAD, contract_id, "bruchsal", "buehl", 6, key="")
    with pytest.raises(PermissionDenied):
        await usage.service.move(BRUCHSAL, contract_id, "bruchsal", "buehl", 1, key="")
    use = {u.city_id: u for u in (await usage.service.utilisation(LEAD, contract_id)).cities}
    assert (use["bruchsal"].holding, use["buehl"].holding, use["bruchsal"].quota_left) == (5, 19, 30)
    await usage.check_invariants(contract_id)


async def test_hardware_does_not_go_through_the_pool(usage: Usage) -> None:
    contract_id = await usage.contract(kind="hardware")
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 3, from_pool=False, key="")
    with pytest.raises(StateConflict, match="only license seats"):
        await usage.service.return_seats(BRUCHSAL, contract_id, "bruchsal", 1, key="")


async def test_the_lead_shifts_unused_quota_only(usage: Usage) -> None:
    contract_id = await usage.contract()
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 50, from_pool=False, key="")
    with pytest.raises(PermissionDenied):
        await usage.service.shift_quota(BRUCHSAL, contract_id, "bruchsal", "buehl", 5, "", key="")
    with pytest.raises(StateConflict, match="bruchsal has 10 unused of its quota of 60"):
        await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "buehl", 11, "", key="")
    shift, _ = await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "buehl", 4, "", key="s-0")
    assert (shift.from_city_id, shift.to_city_id, shift.quantity, shift.created_by, shift.adds_party) == (
        "bruchsal", "buehl", 4, "ettlingen.lead", False,
    )  # fmt: skip
    use = {u.city_id: u for u in (await usage.service.utilisation(LEAD, contract_id)).cities}
    assert (use["bruchsal"].quantity, use["buehl"].quantity) == (56, 34)
    await usage.check_invariants(contract_id)


async def test_a_city_becomes_a_party_only_when_the_lead_says_so_and_why(usage: Usage) -> None:
    contract_id = await usage.contract()
    with pytest.raises(InvalidArgument, match="not a party") as caught:
        await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "rastatt", 10, "Bedarf", key="")
    assert [v.field for v in caught.value.violations] == ["to_city_id"]
    with pytest.raises(InvalidArgument, match="say why rastatt becomes a party"):
        await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "rastatt", 10, "Bedarf", key="", add_party=True)
    for stranger in ("atlantis", "Rastatt"):  # no member city becomes a party, whatever the lead says
        with pytest.raises(InvalidArgument, match="not a member city"):
            await usage.service.shift_quota(LEAD, contract_id, "bruchsal", stranger, 10, "Rastatt stößt dazu",
                                            key="", add_party=True)  # fmt: skip
    assert await usage.scalar("SELECT count(*) FROM quota_shifts") == 0
    reason = "Rastatt stößt zum Verbund"
    shift, _ = await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "rastatt", 10, reason, key="s-1",
                                               add_party=True)  # fmt: skip
    assert (shift.to_city_id, shift.quantity, shift.reason, shift.adds_party) == ("rastatt", 10, reason, True)
    again, replayed = await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "rastatt", 10, reason,
                                                      key="s-1", add_party=True)  # fmt: skip
    assert replayed and again.id == shift.id
    use = {u.city_id: u for u in (await usage.service.utilisation(LEAD, contract_id)).cities}
    assert (use["bruchsal"].quantity, use["rastatt"].quantity) == (50, 10)
    await usage.service.call_off(RASTATT, contract_id, "rastatt", 10, from_pool=False, key="")
    later, _ = await usage.service.shift_quota(LEAD, contract_id, "bruchsal", "rastatt", 5, "", key="", add_party=True)
    assert not later.adds_party  # a party by now: nothing is added
    await usage.check_invariants(contract_id)


async def test_a_reversal_undoes_quantities_and_money_once(usage: Usage) -> None:
    contract_id = await usage.contract()
    call_off = await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 20, from_pool=False, key="")
    with pytest.raises(InvalidArgument, match="say why"):
        await usage.service.reverse(LEAD, call_off.transaction.id, " ", key="")
    with pytest.raises(PermissionDenied):
        await usage.service.reverse(OTHER_LEAD, call_off.transaction.id, "Fehlbuchung", key="")
    reversal = await usage.service.reverse(LEAD, call_off.transaction.id, "Fehlbuchung", key="")
    assert reversal.transaction.reverses_id == call_off.transaction.id and reversal.kind == "reversal"
    assert {e.account: e.amount_cents for e in reversal.entries} == {
        e.account: -e.amount_cents for e in call_off.entries
    }
    with pytest.raises(AlreadyExists):
        await usage.service.reverse(ADMIN, call_off.transaction.id, "noch einmal", key="")
    with pytest.raises(StateConflict, match="a reversal is not reversed"):
        await usage.service.reverse(LEAD, reversal.transaction.id, "zurück", key="")
    use = (await usage.service.utilisation(BRUCHSAL, contract_id)).cities[0]
    assert (use.called_off, use.quota_left) == (0, 60)
    await usage.check_invariants(contract_id)


async def test_the_ledger_and_movements_are_append_only_in_the_database(usage: Usage) -> None:
    contract_id = await usage.contract()
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 2, from_pool=False, key="")
    await usage.service.shift_quota(LEAD, contract_id, "buehl", "bruchsal", 1, "", key="")
    for statement in (
        "UPDATE ledger_entries SET amount_cents = 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'x'",
        "DELETE FROM movements",
        "DELETE FROM quota_shifts",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with usage.engine.begin() as connection:
                await connection.execute(text(statement))
    assert await usage.scalar("SELECT count(*) FROM ledger_entries") == 2


async def test_city_users_read_their_own_city_only(usage: Usage) -> None:
    contract_id = await usage.contract(quotas={"bruchsal": 10, "gaggenau": 10})
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 2, from_pool=False, key="")
    assert [u.city_id for u in (await usage.service.utilisation(BRUCHSAL, contract_id)).cities] == ["bruchsal"]
    with pytest.raises(PermissionDenied):
        await usage.service.transactions(RASTATT_FINANCE, contract_id="", city_id="gaggenau", limit=50, cursor="")
    assert await usage.service.transactions(RASTATT_FINANCE, contract_id="", city_id="", limit=50, cursor="") == (
        [],
        "",
    )
    with pytest.raises(PermissionDenied):
        await usage.service.utilisation(VENDOR, contract_id)


# -- finance reports ------------------------------------------------------------------------------


async def test_a_statement_shows_opening_movements_and_closing_as_owed(usage: Usage) -> None:
    contract_id = await usage.contract()
    reports = usage.reports()
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 10, from_pool=False, key="")
    today = network_today()  # statements count the network's (Berlin) days
    await usage.service.return_seats(BRUCHSAL, contract_id, "bruchsal", 4, key="")
    await usage.service.call_off(BUEHL, contract_id, "buehl", 7, from_pool=False, key="")
    statement = await reports.statement(RASTATT_FINANCE_NETWORK, "bruchsal", today, today)
    assert statement.opening_cents == 0
    assert [(line.kind, line.amount_cents, line.balance_cents) for line in statement.lines] == [
        ("call_off", 10 * PRICE, 10 * PRICE), ("return", -4 * PRICE, 6 * PRICE),
    ]  # fmt: skip
    assert (
        statement.closing_cents
        == 6 * PRICE
        == -await usage.scalar("SELECT sum(amount_cents) FROM ledger_entries WHERE account = 'city:bruchsal'")
    )
    assert [(t.contract_id, t.amount_cents) for t in statement.by_contract] == [(contract_id, 6 * PRICE)]
    tomorrow = today + dt.timedelta(days=1)
    later = await reports.statement(LEAD, "bruchsal", tomorrow, tomorrow)
    assert (later.opening_cents, later.lines, later.closing_cents) == (6 * PRICE, [], 6 * PRICE)


async def test_finance_reads_only_its_own_citys_reports(usage: Usage) -> None:
    reports = usage.reports()
    today = network_today()  # statements count the network's (Berlin) days
    with pytest.raises(PermissionDenied):
        await reports.statement(RASTATT_FINANCE, "gaggenau", today, today)
    with pytest.raises(PermissionDenied):
        await reports.utilisation(VENDOR, "", "")
    own = await reports.statement(RASTATT_FINANCE, "", today, today)
    assert own.city_id == "rastatt"
    with pytest.raises(InvalidArgument):
        await reports.statement(LEAD, "rastatt", today, today - dt.timedelta(days=1))


async def test_utilisation_and_cost_per_contract_and_city(usage: Usage) -> None:
    contract_id = await usage.contract()
    reports = usage.reports()
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 10, from_pool=False, key="")
    await usage.service.return_seats(BRUCHSAL, contract_id, "bruchsal", 3, key="")
    await usage.service.call_off(BUEHL, contract_id, "buehl", 2, from_pool=True, key="")
    rows = {r.city_id: r for r in await reports.utilisation(LEAD, contract_id, "")}
    assert (rows["bruchsal"].holding, rows["bruchsal"].cost_cents, rows["bruchsal"].quota_left) == (7, 7 * PRICE, 50)
    assert (rows["buehl"].taken, rows["buehl"].holding, rows["buehl"].cost_cents) == (2, 2, 2 * PRICE)
    assert (rows["ettlingen"].holding, rows["ettlingen"].cost_cents) == (0, 0)
    assert [r.city_id for r in await reports.utilisation(BRUCHSAL, contract_id, "")] == ["bruchsal"]
    due = await reports.renewals_due(LEAD, 700)
    assert [d.contract.id for d in due] == [contract_id] and due[0].days_left == 600
    assert await reports.renewals_due(LEAD, 30) == []


async def test_finance_sets_its_budget_and_sees_it_against_the_charges(usage: Usage) -> None:
    contract_id = await usage.contract(quotas={"rastatt": 40, "gaggenau": 10})
    reports = usage.reports()
    year = utc_now().year
    await usage.service.call_off(RASTATT, contract_id, "rastatt", 10, from_pool=False, key="")
    budget, _ = await reports.set_budget(RASTATT_FINANCE, "", year, 100_000, 0)
    assert (budget.city_id, budget.amount_cents, budget.version, budget.set_by) == (
        "rastatt",
        100_000,
        1,
        "rastatt.finance",
    )
    with pytest.raises(VersionConflict):
        await reports.set_budget(RASTATT_FINANCE, "rastatt", year, 1, 0)  # it exists: say which version you change
    changed, replayed = await reports.set_budget(RASTATT_FINANCE, "rastatt", year, 90_000, 1, key="k-1")
    assert (changed.amount_cents, changed.version, replayed) == (90_000, 2, False)
    again, replayed = await reports.set_budget(RASTATT_FINANCE, "rastatt", year, 90_000, 1, key="k-1")  # a retry
    assert (again.id, again.version, replayed) == (changed.id, 2, True)
    with pytest.raises(InvalidArgument):  # the same key for another request
        await reports.set_budget(RASTATT_FINANCE, "rastatt", year, 80_000, 2, key="k-1")
    history = "SELECT count(*) FROM budget_changes WHERE city_id = 'rastatt'"
    assert await usage.scalar(history) == 2  # the first setting and the change; the retry added nothing
    for who, city in ((RASTATT_FINANCE, "gaggenau"), (RASTATT, "rastatt"), (LEAD, "rastatt")):
        with pytest.raises(PermissionDenied):
            await reports.set_budget(who, city, year, 1, 0)
    rows = {r.city_id: r for r in await reports.budget_vs_actual(LEAD, year)}
    assert (rows["rastatt"].budget_cents, rows["rastatt"].actual_cents, rows["rastatt"].remaining_cents) == (
        90_000, 10 * PRICE, 90_000 - 10 * PRICE,
    )  # fmt: skip
    assert [r.city_id for r in await reports.budget_vs_actual(RASTATT_FINANCE, year)] == ["rastatt"]


async def test_a_shared_cost_is_split_to_the_cent_by_the_cost_key(usage: Usage) -> None:
    contract_id = await usage.contract(quotas={"bruchsal": 60, "buehl": 30, "ettlingen": 10})
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 2, from_pool=False, key="")
    await usage.service.call_off(BUEHL, contract_id, "buehl", 1, from_pool=False, key="")
    with pytest.raises(PermissionDenied):
        await usage.service.share_cost(BRUCHSAL, contract_id, 100_00, "Schulung", "", key="")
    by_usage = await usage.service.share_cost(LEAD, contract_id, 100_00, "Schulung", "", key="c-1")
    parts = {e.account: e.amount_cents for e in by_usage.entries}
    # usage: 2 : 1 held; 10,000 cents -> 6,667 and 3,333 (the remainder cent to the larger remainder)
    assert parts == {f"contract:{contract_id}": 100_00, "city:bruchsal": -6_667, "city:buehl": -3_333}
    equal = await usage.service.share_cost(LEAD, contract_id, 100, "Porto", "equal", key="")
    assert sorted(-e.amount_cents for e in equal.entries if e.account.startswith("city:")) == [33, 33, 34]
    again = await usage.service.share_cost(LEAD, contract_id, 100_00, "Schulung", "", key="c-1")
    assert again.replayed and again.transaction.id == by_usage.transaction.id
    await usage.check_invariants(contract_id)


async def test_a_shared_cost_charges_the_contracts_cities_only_and_has_a_sane_upper_bound(usage: Usage) -> None:
    """The demo's fixed key (LoRaWAN pilot) names Rastatt, Gaggenau and Bühl: on a contract of Bruchsal, Bühl
    and Ettlingen it would charge two cities that are no party to it."""
    contract_id = await usage.contract(quotas={"bruchsal": 60, "buehl": 30, "ettlingen": 10})
    await usage.service.call_off(BRUCHSAL, contract_id, "bruchsal", 2, from_pool=False, key="")
    with pytest.raises(InvalidArgument, match="do not share this cost: gaggenau, rastatt") as caught:
        await usage.service.share_cost(LEAD, contract_id, 100_00, "Sensoren", "lorawan-pilot", key="")
    assert [v.field for v in caught.value.violations] == ["cost_key_id"]
    with pytest.raises(InvalidArgument, match="EU threshold"):
        await usage.service.share_cost(LEAD, contract_id, 21_600_001, "Tippfehler", "equal", key="")
    assert await usage.scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'shared_cost'") == 0
    await usage.service.share_cost(LEAD, contract_id, 21_600_000, "Einrichtung", "equal", key="")


async def test_a_city_reads_its_own_leg_of_a_shared_posting_never_another_citys(usage: Usage) -> None:
    contract_id = await usage.contract(quotas={"bruchsal": 60, "buehl": 30, "ettlingen": 10})
    shared = await usage.service.share_cost(LEAD, contract_id, 300, "Schulung", "equal", key="")
    assert len(shared.entries) == 4  # the contract's side and three cities
    for who, city in ((BRUCHSAL, "bruchsal"), (finance("buehl"), "buehl")):
        postings = (await usage.service.transactions(who, contract_id="", city_id="", limit=50, cursor="")).records
        assert [p.transaction.id for p in postings] == [shared.transaction.id]
        assert sorted(e.account for e in postings[0].entries) == [f"city:{city}", f"contract:{contract_id}"]
    network = await usage.service.transactions(LEAD, contract_id=contract_id, city_id="", limit=50, cursor="")
    assert len(network.records[0].entries) == 4
    assert await usage.service.transactions(RASTATT, contract_id=contract_id, city_id="", limit=50, cursor="") == (
        [],
        "",
    )
