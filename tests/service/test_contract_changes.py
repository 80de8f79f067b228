"""Changes of active contracts under § 132 GWB on real databases: the de-minimis rule, the grounds, the history,
and what a change does to call-offs and postings made before and after it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import VENDORS, CatalogService
from civicpool_cli import demo
from civicpool_common.database import create_engine, session_factory
from civicpool_common.errors import InvalidArgument, NotFound, PermissionDenied, VersionConflict
from civicpool_common.lifecycle import StateConflict
from civicpool_contracts import holdings
from civicpool_contracts.changes import ChangeRequest, ChangeService
from civicpool_contracts.models import Contract
from civicpool_contracts.usage import UsageService
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, VENDOR, add_member_cities, city_it, vendor
from tests.support.contracts import PRICE, awarded_contract, check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

EU_THRESHOLD = 21_600_000
WHY = "Preisgleitklausel § 5 des Rahmenvertrags, Verbraucherpreisindex"
BRUCHSAL = city_it("bruchsal")


@dataclass
class Changing:
    changes: ChangeService
    usage: UsageService
    engine: AsyncEngine

    async def contract(self, ceiling: int = 100, quotas: dict[str, int] | None = None) -> str:
        return await awarded_contract(self.engine, "license", ceiling, quotas)


@pytest.fixture
async def changing(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Changing]:
    await add_member_cities(catalog)
    for demo_vendor in demo.VENDORS:
        await catalog.create(
            ADMIN, VENDORS, {"contact_name": "", "contact_phone": ""} | demo.vendor_payload(demo_vendor)
        )
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    sessions, in_process = session_factory(engine), InProcessCatalog(catalog)
    yield Changing(ChangeService(sessions, in_process, EU_THRESHOLD), UsageService(sessions, in_process), engine)
    await engine.dispose()


def price(cents: int, why: str = WHY, ground: str = "") -> ChangeRequest:
    return ChangeRequest("price_adjustment", why, ground, unit_price_cents=cents, index_name="VPI 2020=100")


def more(ground: str = "", **cities: int) -> ChangeRequest:
    return ChangeRequest("quantity_increase", "Zusätzliche Arbeitsplätze im Bürgerbüro", ground, quota_additions=cities)


async def test_changes_within_the_de_minimis_limit_pass_and_beyond_it_need_a_ground(changing: Changing) -> None:
    """100 seats at 30 €: 3.000 € originally, so 10 % is 300 €, far below the EU threshold. 9 seats more (270 €)
    pass; 2 more (60 €, together 330 €) are refused until the lead records a ground of § 132 (2)."""
    contract_id = await changing.contract()
    first, _ = await changing.changes.change(LEAD, contract_id, more(bruchsal=9))
    assert (first.value_change_cents, first.cumulative_change_cents, first.de_minimis_limit_cents) == (
        9 * PRICE, 9 * PRICE, 100 * PRICE // 10,
    )  # fmt: skip
    with pytest.raises(StateConflict, match="beyond the de-minimis limit") as refused:
        await changing.changes.change(LEAD, contract_id, more(buehl=2))
    assert "330,00" in str(refused.value) or "330.00" in str(refused.value)
    assert await scalar(changing.engine, "SELECT count(*) FROM contract_changes") == 1  # nothing of it stored
    second, _ = await changing.changes.change(LEAD, contract_id, more("unforeseeable", buehl=2))
    assert (second.sequence, second.legal_ground, second.cumulative_change_cents) == (2, "unforeseeable", 11 * PRICE)
    history, _ = await changing.changes.history(LEAD, contract_id)
    assert [c.sequence for c in history.changes] == [1, 2]
    assert (history.original.ceiling_quantity, history.current.ceiling_quantity) == (100, 111)
    await changing.usage.call_off(BRUCHSAL, contract_id, "bruchsal", 69, from_pool=False, key="")  # 60 + 9
    with pytest.raises(StateConflict, match="quota"):
        await changing.usage.call_off(BRUCHSAL, contract_id, "bruchsal", 1, from_pool=False, key="")
    await check_invariants(changing.engine, contract_id)


async def test_a_price_adjustment_posts_new_call_offs_at_its_price_and_reversals_at_the_old(
    changing: Changing,
) -> None:
    contract_id = await changing.contract()
    before = await changing.usage.call_off(BRUCHSAL, contract_id, "bruchsal", 10, from_pool=False, key="")
    change, _ = await changing.changes.change(LEAD, contract_id, price(PRICE + 100))
    assert change.value_change_cents == 100 * 90  # the 90 seats left to call off
    after = await changing.usage.call_off(BRUCHSAL, contract_id, "bruchsal", 10, from_pool=False, key="")
    assert [m.amount_cents for m in after.movements] == [10 * (PRICE + 100)]
    reversal = await changing.usage.reverse(LEAD, before.transaction.id, "Fehlbuchung", key="")
    assert [m.amount_cents for m in reversal.movements] == [-10 * PRICE]  # as posted, not at today's price
    owed = await scalar(changing.engine, "SELECT sum(amount_cents) FROM ledger_entries WHERE account = :a",
                        a="city:bruchsal")  # fmt: skip
    assert owed == -10 * (PRICE + 100)
    await check_invariants(changing.engine, contract_id)


async def test_an_index_clause_counts_the_10_percent_at_the_higher_price(changing: Changing) -> None:
    """§ 132 (3) sentence 3: after an indexed price rise the reference value is the original quantity at it."""
    contract_id = await changing.contract()
    change, _ = await changing.changes.change(LEAD, contract_id, price(PRICE + 300))
    assert change.reference_value_cents == 100 * (PRICE + 300)
    assert change.de_minimis_limit_cents == 100 * (PRICE + 300) // 10


async def test_a_term_extension_is_worth_the_days_added_and_moves_the_renewal_notice(changing: Changing) -> None:
    contract_id = await changing.contract()
    async with session_factory(changing.engine)() as session:
        contract = await session.get(Contract, contract_id)
        assert contract is not None
        days, ends_on, notice_on = (contract.ends_on - contract.starts_on).days + 1, contract.ends_on, \
            contract.renewal_notice_on  # fmt: skip
    longer = ChangeRequest(
        "term_extension", "Verlängerung bis zur Neuausschreibung", ends_on=ends_on + dt.timedelta(30)
    )
    change, _ = await changing.changes.change(LEAD, contract_id, longer)
    assert change.value_change_cents == 100 * PRICE * 30 // days
    async with session_factory(changing.engine)() as session:
        contract = await session.get(Contract, contract_id)
        assert contract is not None
        assert (contract.ends_on, contract.renewal_notice_on) == (ends_on + dt.timedelta(30),
                                                                  notice_on + dt.timedelta(30))  # fmt: skip
    with pytest.raises(InvalidArgument, match="must be after"):
        await changing.changes.change(LEAD, contract_id, longer)


async def test_a_new_vendor_needs_the_ground_of_succession_and_an_active_vendor(changing: Changing) -> None:
    contract_id = await changing.contract()
    takeover = "Verschmelzung der Rheintal GmbH auf die Schwarzwald eG (HRB 1234)"
    with pytest.raises(InvalidArgument, match="substantial change"):
        await changing.changes.change(LEAD, contract_id, ChangeRequest("vendor_succession", takeover,
                                                                       vendor_id="schwarzwald"))  # fmt: skip
    with pytest.raises(InvalidArgument, match="not a vendor of the network"):
        await changing.changes.change(LEAD, contract_id, ChangeRequest("vendor_succession", takeover, "succession",
                                                                       vendor_id="nobody"))  # fmt: skip
    change, _ = await changing.changes.change(
        LEAD, contract_id, ChangeRequest("vendor_succession", takeover, "succession", vendor_id="schwarzwald")
    )
    assert (change.vendor_id_before, change.vendor_id_after, change.value_change_cents) == (
        "rheintal", "schwarzwald", 0,
    )  # fmt: skip
    with pytest.raises(NotFound):  # the contract is the new vendor's now
        await changing.changes.history(VENDOR, contract_id)
    history, quotas = await changing.changes.history(vendor("schwarzwald"), contract_id)
    assert history.current.vendor_id == "schwarzwald" and quotas == []  # a vendor sees no city's share


async def test_only_the_lead_changes_and_whoever_may_not_see_the_contract_finds_none(changing: Changing) -> None:
    contract_id = await changing.contract()
    for who in (OTHER_LEAD, ADMIN, BRUCHSAL, VENDOR):
        with pytest.raises(PermissionDenied):
            await changing.changes.change(who, contract_id, more(bruchsal=1))
    missing = "01a219d6-0000-7000-8000-00000000dead"
    for contract in (contract_id, missing):
        with pytest.raises(NotFound):
            await changing.changes.change(city_it("rastatt"), contract, more(bruchsal=1))
        with pytest.raises(NotFound):
            await changing.changes.history(city_it("rastatt"), contract)
    with pytest.raises(InvalidArgument, match="not a party"):  # Rastatt holds no quota in it
        await changing.changes.change(LEAD, contract_id, more(rastatt=1))
    with pytest.raises(InvalidArgument):  # an unknown city is no member
        await changing.changes.change(LEAD, contract_id, more(atlantis=1))
    await changing.changes.change(LEAD, contract_id, more(bruchsal=1, buehl=1))
    _, quotas = await changing.changes.history(BRUCHSAL, contract_id)
    assert [q.city_id for q in quotas] == ["bruchsal"]  # Bruchsal sees its own share of the additions only


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (ChangeRequest("price_adjustment", WHY, unit_price_cents=PRICE + 1), "index_name"),
        (ChangeRequest("price_adjustment", WHY, unit_price_cents=PRICE, index_name="VPI"), "unit_price_cents"),
        (
            ChangeRequest("quantity_increase", WHY, unit_price_cents=1, quota_additions={"bruchsal": 1}),
            "unit_price_cents",
        ),
        (ChangeRequest("quantity_increase", WHY, quota_additions={"bruchsal": 0}), "quota_additions.bruchsal"),
        (ChangeRequest("term_extension", WHY), "ends_on"),
        (ChangeRequest("vendor_succession", WHY, "succession", vendor_id="rheintal"), "vendor_id"),
        (ChangeRequest("quantity_increase", "zu kurz", quota_additions={"bruchsal": 1}), "justification"),
        (ChangeRequest("merger", WHY), "kind"),
        (ChangeRequest("quantity_increase", WHY, "because", quota_additions={"bruchsal": 1}), "legal_ground"),
    ],
)
async def test_a_change_with_a_field_out_of_place_is_refused_naming_it(
    changing: Changing, request_: ChangeRequest, field: str
) -> None:
    contract_id = await changing.contract()
    with pytest.raises(InvalidArgument) as refused:
        await changing.changes.change(LEAD, contract_id, request_)
    assert [v.field for v in refused.value.violations] == [field]
    assert await scalar(changing.engine, "SELECT count(*) FROM contract_changes") == 0


async def test_a_change_is_made_once_per_key_and_checks_the_version_named(changing: Changing) -> None:
    contract_id = await changing.contract()
    first, replayed = await changing.changes.change(LEAD, contract_id, more(bruchsal=1), key="k-1")
    again, replayed_again = await changing.changes.change(LEAD, contract_id, more(bruchsal=1), key="k-1")
    assert (first.id, replayed, replayed_again) == (again.id, False, True)
    with pytest.raises(VersionConflict):
        await changing.changes.change(LEAD, contract_id, more(bruchsal=1), expected_version=1)
    assert await scalar(changing.engine, "SELECT ceiling_quantity FROM contracts WHERE id = :c", c=contract_id) == 101


async def test_an_ended_contract_is_not_changed(changing: Changing) -> None:
    contract_id = await changing.contract()
    async with session_factory(changing.engine).begin() as session:
        await session.execute(
            update(Contract).where(Contract.id == contract_id).values(status="terminated", version=Contract.version + 1)
        )
    with pytest.raises(StateConflict, match="only an active contract"):
        await changing.changes.change(LEAD, contract_id, more(bruchsal=1))


async def test_a_counter_moves_only_at_the_price_it_was_posted_at(changing: Changing) -> None:
    """A call-off that read the price before a § 132 change committed finds no row to update, so it is refused
    and sent again instead of posting at the old price (holdings' guard)."""
    contract_id = await changing.contract()
    async with changing.engine.connect() as connection:
        assert not await holdings.change_contract(connection, contract_id, "called_off", 1, PRICE + 1)
        assert await holdings.change_contract(connection, contract_id, "called_off", 1, PRICE)
        await connection.rollback()
