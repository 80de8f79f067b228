"""Charges to member cities on real databases (SQLite and PostgreSQL): the lead city invoices each member its part of
a shared cost as an XRechnung the official rules accept, with the VAT the network's setting gives, once; whoever is
no party sees nothing of it; what cannot be issued is refused whole.

The documents are read back with XPath here, not with civicpool's own extraction.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import CITIES, CatalogService
from civicpool_cli import demo
from civicpool_common import leitweg
from civicpool_common.database import create_engine, session_factory
from civicpool_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import rendered
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ChargeVat
from civicpool_contracts.charge_settings import ChargeSettings
from civicpool_contracts.charges import ChargeService
from civicpool_contracts.reports import ReportService
from civicpool_contracts.usage import UsageService
from civicpool_einvoice.validation import Validator
from lxml import etree
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, LEAD, OTHER_LEAD, VENDOR, add_cost_keys, add_member_cities, city_it, finance
from tests.support.contracts import awarded_contract, check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.in_process import InProcessCatalog

UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}  # fmt: skip
VALIDATOR = Validator()
QUOTAS = {"bruchsal": 60, "buehl": 30, "ettlingen": 10}  # Ettlingen leads


@dataclass
class Charging:
    charges: ChargeService
    usage: UsageService
    settings: ChargeSettings
    catalog: CatalogService
    engine: AsyncEngine
    contract_id: str

    async def shared_cost(self, amount_cents: int = 300) -> str:
        operation = await self.usage.share_cost(LEAD, self.contract_id, amount_cents, "Schulung", "equal", key="")
        return operation.transaction.id

    async def count(self, table: str) -> int:
        return await scalar(self.engine, f"SELECT count(*) FROM {table}")  # noqa: S608 (a table name of the test's)


@pytest.fixture
async def charging(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Charging]:
    await add_member_cities(catalog)
    await add_cost_keys(catalog)
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    sessions, in_process = session_factory(engine), InProcessCatalog(catalog)
    contract_id = await awarded_contract(engine, "license", 100, QUOTAS)
    yield Charging(ChargeService(sessions, in_process), UsageService(sessions, in_process), ChargeSettings(sessions),
                   catalog, engine, contract_id)  # fmt: skip
    await engine.dispose()


def _read(content: bytes, path: str) -> str:
    return str(etree.fromstring(content).xpath(f"string({path})", namespaces=UBL))


async def test_each_member_is_charged_its_part_by_an_xrechnung_the_official_rules_accept(charging: Charging) -> None:
    await charging.settings.set(ADMIN, ChargeVat.NOT_TAXABLE_2B_3, key="")
    shared = await charging.shared_cost(300)  # equal: 100 cents to each of the three cities
    issued = await charging.charges.issue(LEAD, shared, 0)
    assert not issued.existing
    year = network_today().year
    by_city = {charge.buyer_city_id: charge for charge in issued.invoices}
    assert sorted(by_city) == ["bruchsal", "buehl"]  # the lead city's own part is not invoiced
    assert sorted(c.number for c in issued.invoices) == [f"ETT-{year}-001", f"ETT-{year}-002"]
    for city, charge in by_city.items():
        ags = next(c.ags for c in demo.CITIES if c.id == city)
        assert (charge.net_cents, charge.vat_cents, charge.gross_cents, charge.vat_category) == (100, 0, 100, "O")
        assert charge.leitweg_id == str(leitweg.make(ags, "RECHNUNG")) and charge.vat_transaction_id == ""
        report = VALIDATOR.validate(charge.content)
        assert report.accepted, [(f.rule_id, f.text) for f in report.findings if f.severity in ("fatal", "error")]
        assert _read(charge.content, "//cbc:BuyerReference") == charge.leitweg_id
        assert _read(charge.content, "//cbc:ID[1]") == charge.number
        assert _read(charge.content, "//cac:LegalMonetaryTotal/cbc:PayableAmount") == "1.00"
        assert _read(charge.content, "//cac:ClassifiedTaxCategory/cbc:ID") == "O"
        assert "§ 2b Abs. 3 Nr. 2" in _read(charge.content, "/*/cbc:Note")
        assert _read(charge.content, "//cac:AccountingSupplierParty//cac:PostalAddress/cbc:PostalZone") == "76275"

    again = await charging.charges.issue(finance("ettlingen"), shared, 0)  # the lead city's finance may issue too
    assert again.existing and [c.id for c in again.invoices] == [c.id for c in issued.invoices]
    assert await charging.count("charge_invoices") == 2
    assert await charging.count("ledger_transactions WHERE kind = 'charge'") == 0
    async with charging.engine.connect() as connection:
        mails = dict((await connection.execute(text("SELECT event_key, request FROM notification_orders"))).all())
    assert set(mails) == {f"contracts/charge/{c.id}/charge_issued" for c in issued.invoices}  # once, not again
    for charge in issued.invoices:
        request = json.loads(mails[f"contracts/charge/{charge.id}/charge_issued"])
        assert request["audiences"] == [{"role": "finance", "cityId": charge.buyer_city_id}]
        assert request["values"]["number"] == charge.number and request["values"]["seller"] == "Ettlingen"


async def test_a_taxable_charge_bears_19_percent_on_top_and_posts_its_vat(charging: Charging) -> None:
    await charging.settings.set(ADMIN, ChargeVat.TAXABLE, key="")
    shared = await charging.shared_cost(301)  # equal: 101, 100, 100 (the remainder cent to one city)
    issued = (await charging.charges.issue(LEAD, shared, 14)).invoices
    for charge in issued:
        expected_vat = (charge.net_cents * 19 + 50) // 100  # 19 %, half up
        assert (charge.vat_category, charge.vat_rate_bps, charge.vat_cents) == ("S", 1900, expected_vat)
        assert charge.gross_cents == charge.net_cents + expected_vat
        assert (charge.due_date - charge.issue_date).days == 14
        report = VALIDATOR.validate(charge.content)
        assert report.accepted, [(f.rule_id, f.text) for f in report.findings if f.severity in ("fatal", "error")]
        assert _read(charge.content, "//cac:TaxTotal/cbc:TaxAmount") == f"{expected_vat / 100:.2f}"
    posting = {issued[0].vat_transaction_id} | {c.vat_transaction_id for c in issued}
    assert len(posting) == 1 and "" not in posting
    async with charging.engine.connect() as connection:
        entries = dict(
            (
                await connection.execute(
                    text("SELECT account, amount_cents FROM ledger_entries WHERE transaction_id = :t"),
                    {"t": posting.pop()},
                )
            ).all()
        )
    assert entries == {f"city:{c.buyer_city_id}": -c.vat_cents for c in issued} | {
        "output_vat:ettlingen": sum(c.vat_cents for c in issued)}  # fmt: skip
    await check_invariants(charging.engine, charging.contract_id)

    bruchsal = next(c for c in issued if c.buyer_city_id == "bruchsal")
    statement = await ReportService(session_factory(charging.engine), InProcessCatalog(charging.catalog)).statement(
        finance("bruchsal"), "bruchsal", network_today(), network_today())  # fmt: skip
    texts = [rendered(line.booking.text(), "en") for line in statement.lines if line.booking]
    assert any(t.startswith("VAT of charge ") and bruchsal.number in t for t in texts), texts


async def test_only_the_lead_city_issues_and_each_city_sees_its_own(charging: Charging) -> None:
    shared = await charging.shared_cost()
    for outsider in (finance("rastatt"), city_it("rastatt"), VENDOR):  # as if the posting did not exist
        missing = await _refusal(charging.charges.issue(outsider, "no-such-posting", 0))
        existing = await _refusal(charging.charges.issue(outsider, shared, 0))
        assert existing.replace(shared, "?") == missing.replace("no-such-posting", "?")
    for party in (finance("bruchsal"), city_it("ettlingen"), OTHER_LEAD):
        with pytest.raises(PermissionDenied):
            await charging.charges.issue(party, shared, 0)
    issued = {c.buyer_city_id: c for c in (await charging.charges.issue(LEAD, shared, 0)).invoices}

    async def seen(who: object) -> list[str]:
        page = await charging.charges.list(who, transaction_id="", city_id="", limit=50, cursor="")  # type: ignore[arg-type]
        return sorted(c.buyer_city_id for c in page.records)

    assert await seen(finance("bruchsal")) == ["bruchsal"] and await seen(finance("buehl")) == ["buehl"]
    assert await seen(finance("ettlingen")) == await seen(LEAD) == await seen(finance(None)) == ["bruchsal", "buehl"]
    assert await seen(ADMIN) == ["bruchsal", "buehl"]
    for nobody in (finance("rastatt"), city_it("bruchsal"), VENDOR, OTHER_LEAD):
        assert await seen(nobody) == []
    nothing = await _refusal(charging.charges.get(finance("buehl"), "no-such-charge"))
    foreign = await _refusal(charging.charges.get(finance("buehl"), issued["bruchsal"].id))
    assert foreign.replace(issued["bruchsal"].id, "?") == nothing.replace("no-such-charge", "?")
    assert (await charging.charges.get(finance("bruchsal"), issued["bruchsal"].id)).number == issued["bruchsal"].number


async def test_what_cannot_be_issued_is_refused_whole(charging: Charging) -> None:
    shared = await charging.shared_cost()
    buehl = await charging.catalog.get(CITIES, "buehl")
    await charging.catalog.update(ADMIN, CITIES, "buehl", {"invoicing": {}}, buehl.version)
    with pytest.raises(FailedPrecondition, match="buehl"):
        await charging.charges.issue(LEAD, shared, 0)
    assert await charging.count("charge_invoices") == 0
    assert await charging.count("reference_counters WHERE kind = 'charge'") == 0  # no number taken either
    with pytest.raises(InvalidArgument):
        await charging.charges.issue(LEAD, shared, 91)

    call_off = await charging.usage.call_off(city_it("bruchsal"), charging.contract_id, "bruchsal", 1,
                                             from_pool=False, key="")  # fmt: skip
    with pytest.raises(FailedPrecondition, match="no shared cost"):
        await charging.charges.issue(LEAD, call_off.transaction.id, 0)
    reversed_cost = await charging.shared_cost(600)
    await charging.usage.reverse(LEAD, reversed_cost, "Doppelt gebucht", key="")
    with pytest.raises(FailedPrecondition, match="reversed"):
        await charging.charges.issue(LEAD, reversed_cost, 0)

    buehl = await charging.catalog.get(CITIES, "buehl")
    await charging.catalog.update(ADMIN, CITIES, "buehl", {"invoicing": demo.demo_invoicing(demo.CITIES[3])},
                                  buehl.version)  # fmt: skip
    issued = await charging.charges.issue(LEAD, shared, 0)
    assert sorted(c.number[-3:] for c in issued.invoices) == ["001", "002"]  # the refusals left no gap
    with pytest.raises(StateConflict, match="charged"):  # the members hold its invoices
        await charging.usage.reverse(LEAD, shared, "Zu spät bemerkt", key="")


async def _refusal(call: object) -> str:
    with pytest.raises((NotFound, PermissionDenied)) as caught:
        await call  # type: ignore[misc]
    return str(caught.value)
