"""E-invoices on real databases (SQLite and PostgreSQL): each upload kept and checked by the official rules, matched
against the contract and the city's call-offs, decided by the city's finance with four eyes, and booked.

The invoices are made independently of the code under test (tests/support/einvoices.py: UBL by template).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from civicpool_catalog.service import ITEMS, VENDORS, CatalogService
from civicpool_cli import demo
from civicpool_common import leitweg
from civicpool_common.database import create_engine, session_factory
from civicpool_common.errors import InvalidArgument, NotFound, PermissionDenied
from civicpool_common.lifecycle import StateConflict
from civicpool_common.messages import rendered
from civicpool_common.timestamps import network_today
from civicpool_common.vocabulary import ChargeVat
from civicpool_contracts.charge_settings import ChargeSettings
from civicpool_contracts.invoice_reports import InvoiceReports
from civicpool_contracts.invoices import InvoiceService, InvoiceView, mismatch_text
from civicpool_contracts.orders import OrderService
from civicpool_contracts.reports import ReportService
from civicpool_contracts.usage import UsageService
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.service.conftest import ADMIN, add_member_cities, city_it, finance, vendor
from tests.support.contracts import PRICE, awarded_contract, check_invariants, scalar
from tests.support.databases import DatabaseFactory
from tests.support.einvoices import CII, Line, pdf_with, ubl_invoice
from tests.support.in_process import InProcessCatalog

RHEINTAL = vendor("rheintal")
RHEINTAL_VAT = "DE812345673"
BRUCHSAL_LW, BUEHL_LW = str(leitweg.make("08215009", "RECHNUNG")), str(leitweg.make("08216007", "RECHNUNG"))
BRUCHSAL_FINANCE, RASTATT_FINANCE = finance("bruchsal"), finance("rastatt")
SECOND_BRUCHSAL_FINANCE = finance("bruchsal").__class__(
    "u-bruchsal-fin-2", "bruchsal.finance2", BRUCHSAL_FINANCE.roles, city="bruchsal"
)


@dataclass
class Invoicing:
    service: InvoiceService
    usage: UsageService
    engine: AsyncEngine
    catalog: InProcessCatalog
    contract_id: str
    reference: str

    async def call_off(self, city: str, quantity: int) -> str:
        operation = await self.usage.call_off(city_it(city), self.contract_id, city, quantity, from_pool=False, key="")
        return operation.booking.reference if operation.booking else ""

    def invoice(self, number: str, lines: list[Line] | None = None, **terms: object) -> bytes:
        values: dict[str, object] = {"leitweg_id": BRUCHSAL_LW, "vat_id": RHEINTAL_VAT, "contract": self.reference}
        return ubl_invoice(number=number, lines=lines or [Line("LAPTOP-14", "Notebook 14", 40, PRICE)],
                           **(values | terms))  # type: ignore[arg-type]  # fmt: skip

    async def upload(self, content: bytes, who: object = RHEINTAL, key: str = "") -> InvoiceView:
        return await self.service.upload(who, "rechnung.xml", content, key=key)  # type: ignore[arg-type]

    async def count(self, table: str) -> int:
        return await scalar(self.engine, f"SELECT count(*) FROM {table}")  # noqa: S608 (a table name of the test's)


@pytest.fixture
async def invoicing(databases: DatabaseFactory, catalog: CatalogService) -> AsyncIterator[Invoicing]:
    await add_member_cities(catalog)
    for demo_vendor in demo.VENDORS:
        await catalog.create(
            ADMIN, VENDORS, {"contact_name": "", "contact_phone": ""} | demo.vendor_payload(demo_vendor)
        )
    item = await catalog.create(ADMIN, ITEMS, {
        "description": "", "license_model": None, "license_term_months": None, "hosting_region": None,
        "dpa_available": False, "open_source": False} | demo.ITEMS[0])  # fmt: skip
    engine = create_engine(databases.fresh("civicpool_contracts:migrations"))
    in_process = InProcessCatalog(catalog)
    contract_id = await awarded_contract(engine, "hardware", 100, {"bruchsal": 60, "buehl": 30},
                                         item=(item.id, "LAPTOP-14"))  # fmt: skip
    reference = await _reference(engine, contract_id)
    sessions = session_factory(engine)
    yield Invoicing(InvoiceService(sessions, in_process), UsageService(sessions, in_process), engine, in_process,
                    contract_id, reference)  # fmt: skip
    await engine.dispose()


async def _reference(engine: AsyncEngine, contract_id: str) -> str:
    async with engine.connect() as connection:
        return str(await connection.scalar(text("SELECT reference FROM contracts WHERE id = :id"), {"id": contract_id}))


async def _set_price(engine: AsyncEngine, contract_id: str, price: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE contracts SET unit_price_cents = :p, ceiling_value_cents = ceiling_quantity * :p, "
                "version = version + 1 WHERE id = :id"  # a change of terms takes the next version
            ),
            {"p": price, "id": contract_id},
        )


async def test_an_invoice_for_what_was_called_off_is_matched_approved_and_booked(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    view = await invoicing.upload(invoicing.invoice("R-2026-0001"))
    invoice = view.invoice
    assert (invoice.status, invoice.city_id, invoice.vendor_id, invoice.contract_id) == (
        "matched", "bruchsal", "rheintal", invoicing.contract_id)  # fmt: skip
    assert invoice.mismatches == []
    net, tax = 40 * PRICE, round(40 * PRICE * 0.19)
    assert (invoice.net_cents, invoice.tax_cents, invoice.gross_cents) == (net, tax, net + tax)
    assert [(line.seller_item_id, line.quantity, line.unit_price_cents) for line in view.lines] == [
        ("LAPTOP-14", 40, PRICE)]  # fmt: skip

    approved = (await invoicing.service.approve(BRUCHSAL_FINANCE, invoice.id, key="k1")).invoice
    assert (approved.status, approved.decided_by) == ("approved", "bruchsal.finance")
    async with invoicing.engine.connect() as connection:
        entries: dict[str, int] = dict((await connection.execute(text(
            "SELECT account, amount_cents FROM ledger_entries WHERE transaction_id = :t"),
            {"t": approved.transaction_id})).all())  # fmt: skip
    assert entries == {f"invoiced:{invoicing.contract_id}": -net, "city:bruchsal": -tax,
                       f"payable:{invoice.id}": net + tax}  # fmt: skip
    again = await invoicing.service.approve(BRUCHSAL_FINANCE, invoice.id, key="k1")
    assert again.replayed and await invoicing.count("ledger_transactions WHERE kind = 'invoice'") == 1
    with pytest.raises(StateConflict):
        await invoicing.service.approve(BRUCHSAL_FINANCE, invoice.id, key="k2")
    await check_invariants(invoicing.engine, invoicing.contract_id)

    statement = await ReportService(session_factory(invoicing.engine), invoicing.catalog).statement(
        BRUCHSAL_FINANCE, "bruchsal", network_today() - dt.timedelta(days=1), network_today()
    )
    texts = [rendered(line.booking.text(), "en") for line in statement.lines if line.booking]
    assert f"VAT of invoice R-2026-0001, contract {invoicing.reference}" in texts


async def test_each_difference_from_the_call_offs_is_a_mismatch_with_its_amount(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    dearer = await invoicing.upload(invoicing.invoice("R-1", [Line("LAPTOP-14", "Notebook", 40, PRICE + 1_000)]))
    assert dearer.invoice.status == "mismatched"
    terms = {m["term"]: m for m in dearer.invoice.mismatches}
    assert terms["unit_price"]["difference_cents"] == 40 * 1_000
    assert (terms["unit_price"]["expected"], terms["unit_price"]["invoiced"]) == ("30.00", "40.00")
    message = rendered(dearer.mismatch_texts()[0], "de")
    assert "40,00" in message and "30,00" in message and "400,00" in message, message

    more = await invoicing.upload(invoicing.invoice("R-2", [Line("LAPTOP-14", "Notebook", 41, PRICE)]))
    quantity = next(m for m in more.invoice.mismatches if m["term"] == "quantity")
    assert (quantity["expected"], quantity["invoiced"], quantity["difference_cents"]) == ("40", "41", PRICE)

    other_item = await invoicing.upload(invoicing.invoice("R-3", [Line("DOCK-USBC", "Dock", 40, PRICE)]))
    assert {m["term"] for m in other_item.invoice.mismatches} == {"item"}

    late = await invoicing.upload(invoicing.invoice("R-4", issue_date=network_today() + dt.timedelta(days=800)))
    assert {m["term"] for m in late.invoice.mismatches} == {"issue_date"}

    no_contract = await invoicing.upload(invoicing.invoice("R-5", contract="ETT-1999-999"))
    assert {m["term"] for m in no_contract.invoice.mismatches} == {"contract"}
    assert no_contract.invoice.contract_id == ""


async def test_what_was_invoiced_counts_against_the_call_offs(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 30)
    first = await invoicing.upload(invoicing.invoice("R-1", [Line("LAPTOP-14", "Notebook", 20, PRICE)]))
    assert first.invoice.status == "matched"
    beyond = await invoicing.upload(invoicing.invoice("R-2", [Line("LAPTOP-14", "Notebook", 20, PRICE)]))
    assert [(m["term"], m["expected"], m["invoiced"]) for m in beyond.invoice.mismatches] == [("quantity", "10", "20")]
    rest = await invoicing.upload(invoicing.invoice("R-3", [Line("LAPTOP-14", "Notebook", 10, PRICE)]))
    assert rest.invoice.status == "matched"
    # A credit note gives back what it credits: after it, 5 may be invoiced again.
    credit = await invoicing.upload(invoicing.invoice("G-1", [Line("LAPTOP-14", "Notebook", 5, PRICE)],
                                                      credit_note_of="R-3"))  # fmt: skip
    assert (credit.invoice.status, credit.invoice.credit_note) == ("matched", True)
    assert (await invoicing.upload(invoicing.invoice("R-4", [Line("LAPTOP-14", "N", 5, PRICE)]))).invoice.status == (
        "matched")  # fmt: skip


async def test_a_price_changed_after_a_call_off_is_invoiced_at_the_call_offs_price(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 10)
    await _set_price(invoicing.engine, invoicing.contract_id, PRICE + 2_000)
    await invoicing.call_off("bruchsal", 5)
    lines = [Line("LAPTOP-14", "Notebook", 10, PRICE), Line("LAPTOP-14", "Notebook", 5, PRICE + 2_000)]
    assert (await invoicing.upload(invoicing.invoice("R-1", lines))).invoice.status == "matched"


async def test_the_same_invoice_number_again_is_a_duplicate(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    first = await invoicing.upload(invoicing.invoice("R-7"))
    second = await invoicing.upload(invoicing.invoice("R-7"))
    assert (second.invoice.status, second.invoice.duplicate_of) == ("duplicate", first.invoice.id)
    # A rejected invoice no longer stands: the vendor may send the number again, corrected.
    await invoicing.service.reject(BRUCHSAL_FINANCE, first.invoice.id, "Lieferschein fehlt", key="")
    assert (await invoicing.upload(invoicing.invoice("R-7"))).invoice.status == "matched"


async def test_another_citys_leitweg_id_on_a_call_off_is_a_mismatch(invoicing: Invoicing) -> None:
    number = await invoicing.call_off("bruchsal", 40)
    await invoicing.call_off("buehl", 30)
    view = await invoicing.upload(invoicing.invoice("R-1", leitweg_id=BUEHL_LW, contract="", order=number))
    assert view.invoice.status == "mismatched"
    assert [(m["term"], m["expected"], m["invoiced"]) for m in view.invoice.mismatches] == [
        ("buyer_reference", "bruchsal", BUEHL_LW)]  # fmt: skip
    # Bühl's finance reads the invoice sent to it, but not whose call-off or which contract it names.
    seen_by_buehl = (await invoicing.service.get(finance("buehl"), view.invoice.id)).invoice
    assert (seen_by_buehl.contract_id, seen_by_buehl.mismatches[0]["expected"]) == ("", "")
    assert "bruchsal" not in rendered(mismatch_text(seen_by_buehl.mismatches[0]), "en")
    unknown = await invoicing.upload(invoicing.invoice("R-2", leitweg_id=str(leitweg.make("08999999", "RECHNUNG"))))
    assert unknown.invoice.mismatches[0]["term"] == "unknown_buyer"
    assert "is no Leitweg-ID of a member city" in rendered(unknown.mismatch_texts()[0], "en")
    by_number = await invoicing.upload(invoicing.invoice("R-3", contract="", order=number))
    assert (by_number.invoice.status, by_number.invoice.contract_id) == ("matched", invoicing.contract_id)


async def test_only_the_citys_finance_sees_and_decides_and_never_its_uploader(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    received = await invoicing.upload(invoicing.invoice("R-1"), who=BRUCHSAL_FINANCE)
    assert (received.invoice.status, received.invoice.vendor_id) == ("matched", "rheintal")
    invoice_id = received.invoice.id
    with pytest.raises(PermissionDenied, match="four eyes"):
        await invoicing.service.approve(BRUCHSAL_FINANCE, invoice_id, key="")
    for outsider in (RASTATT_FINANCE, city_it("bruchsal"), vendor("schwarzwald")):
        with pytest.raises(NotFound):
            await invoicing.service.get(outsider, invoice_id)
        with pytest.raises(NotFound):
            await invoicing.service.approve(outsider, invoice_id, key="")
        page = await invoicing.service.list(outsider, city_id="", vendor_id="", contract_id="", status="", limit=50,
                                            cursor="")  # fmt: skip
        assert page.records == []
    with pytest.raises(PermissionDenied):
        await invoicing.service.approve(RHEINTAL, invoice_id, key="")
    assert (await invoicing.service.get(RHEINTAL, invoice_id)).invoice.number == "R-1"
    assert (await invoicing.service.get(finance(None), invoice_id)).invoice.number == "R-1"
    approved = await invoicing.service.approve(SECOND_BRUCHSAL_FINANCE, invoice_id, key="")
    assert approved.invoice.status == "approved"


async def test_a_rejection_says_why_and_a_decided_invoice_stays_decided(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    view = await invoicing.upload(invoicing.invoice("R-1", [Line("LAPTOP-14", "Notebook", 40, PRICE + 1)]))
    with pytest.raises(StateConflict):
        await invoicing.service.approve(BRUCHSAL_FINANCE, view.invoice.id, key="")
    with pytest.raises(InvalidArgument):
        await invoicing.service.reject(BRUCHSAL_FINANCE, view.invoice.id, "  kurz ", key="")
    rejected = await invoicing.service.reject(BRUCHSAL_FINANCE, view.invoice.id, "Preis laut Vertrag 30,00 €", key="")
    assert (rejected.invoice.status, rejected.invoice.rejection_reason) == ("rejected", "Preis laut Vertrag 30,00 €")
    assert (await invoicing.service.get(RHEINTAL, view.invoice.id)).invoice.rejection_reason.startswith("Preis")
    with pytest.raises(StateConflict):
        await invoicing.service.reject(BRUCHSAL_FINANCE, view.invoice.id, "noch einmal abgelehnt", key="")


BOMB = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"Sehr geehrte Damen und Herren", "neither a PDF nor well-formed XML"),
        (BOMB, "DOCTYPE"),
        (b"<order xmlns='urn:x'/>", "no invoice"),
        (b"%PDF-1.7 broken", "cannot be read"),
        (b"PDF", "no embedded invoice"),
        (b"x" * (10 * 1024 * 1024 + 1), "more than the"),
    ],
    ids=["text", "entities", "not-an-invoice", "broken-pdf", "pdf-without-xml", "too-large"],
)
async def test_what_is_no_readable_invoice_is_refused_and_only_its_record_kept(
    invoicing: Invoicing, content: bytes, problem: str
) -> None:
    if content == b"PDF":
        content = pdf_with({"readme.txt": b"hello"})
    view = await invoicing.upload(content)
    assert view.invoice.status == "refused"
    text = view.problem()
    assert text is not None and problem in rendered(text, "en"), rendered(text, "en") if text else None
    assert (await invoicing.count("invoices"), await invoicing.count("invoice_lines")) == (1, 0)
    assert await invoicing.count("ledger_transactions") == 0
    assert await invoicing.count("invoice_documents") == (0 if len(content) > 10 * 1024 * 1024 else 1)


async def test_a_zugferd_pdf_is_read_from_its_attachment_and_a_basic_profile_is_not_enough(
    invoicing: Invoicing,
) -> None:
    await invoicing.call_off("bruchsal", 40)
    cii = CII
    embedded = await invoicing.upload(pdf_with({"factur-x.xml": cii}))
    assert (embedded.invoice.format, embedded.invoice.syntax, embedded.invoice.status) == ("pdf", "CII", "mismatched")
    basic = cii.replace(b"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                        b"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic")  # fmt: skip
    refused = await invoicing.upload(pdf_with({"factur-x.xml": basic}))
    text = refused.problem()
    assert refused.invoice.status == "invalid" and text is not None
    assert "profile BASIC is not enough for a public buyer" in rendered(text, "en")


async def test_an_invoice_breaking_the_official_rules_is_invalid_with_the_rule(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    broken = re.sub(rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>", b"", invoicing.invoice("R-1"))
    view = await invoicing.upload(broken)
    assert view.invoice.status == "invalid"
    assert "BR-DE-15" in {f["rule_id"] for f in view.invoice.findings}


async def test_the_vendor_and_the_citys_finance_are_told_by_mail(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    matched = (await invoicing.upload(invoicing.invoice("R-1"))).invoice
    differing = (await invoicing.upload(invoicing.invoice("R-2", [Line("LAPTOP-14", "N", 40, PRICE + 1)]))).invoice
    refused = (await invoicing.upload(b"kein XML")).invoice
    await invoicing.service.approve(BRUCHSAL_FINANCE, matched.id, key="")
    await invoicing.service.reject(BRUCHSAL_FINANCE, differing.id, "Preis laut Vertrag beachten", key="")
    async with invoicing.engine.connect() as connection:
        found = (await connection.execute(text("SELECT event_key, request FROM notification_orders"))).all()
    mails = {str(key).removeprefix("contracts/invoice/"): json.loads(request) for key, request in found}
    vendor_audience = [{"role": "vendor", "vendorId": "rheintal"}]
    finance_audience = [{"role": "finance", "cityId": "bruchsal"}]
    expected = {
        f"{matched.id}/invoice_waiting/matched": finance_audience,
        f"{matched.id}/invoice_outcome/approved": vendor_audience,
        f"{differing.id}/invoice_waiting/mismatched": finance_audience,
        f"{differing.id}/invoice_outcome/mismatched": vendor_audience,
        f"{differing.id}/invoice_outcome/rejected": vendor_audience,
        f"{refused.id}/invoice_outcome/refused": vendor_audience,
    }
    assert {key: mail["audiences"] for key, mail in mails.items()} == expected
    rejected = mails[f"{differing.id}/invoice_outcome/rejected"]["values"]
    assert (rejected["reason"], rejected["buyer"], rejected["path"]) == (
        "Preis laut Vertrag beachten", "Stadtverwaltung Bruchsal", f"invoices/{differing.id}")  # fmt: skip


async def test_a_leitweg_id_with_wrong_check_digits_makes_the_invoice_invalid(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    wrong = BRUCHSAL_LW[:-2] + ("00" if not BRUCHSAL_LW.endswith("00") else "01")
    view = await invoicing.upload(invoicing.invoice("R-1", leitweg_id=wrong))
    assert view.invoice.status == "invalid"
    [finding] = [f for f in view.invoice.findings if f["severity"] in ("fatal", "error")]
    assert (finding["rule_id"], finding["rules"]) == ("CIVICPOOL-LEITWEG-ID", "civicpool")
    assert BRUCHSAL_LW[-2:] in finding["text"], finding  # the right check digits are named


async def test_the_vendor_reads_each_call_off_with_the_leitweg_id_to_invoice_it_to(invoicing: Invoicing) -> None:
    number = await invoicing.call_off("bruchsal", 40)
    await invoicing.call_off("buehl", 5)
    orders = OrderService(session_factory(invoicing.engine), invoicing.catalog)
    seen = await orders.of_contract(RHEINTAL, invoicing.contract_id, 50, "")
    first = seen.records[0]
    assert (first.reference, first.city_id, first.quantity, first.unit_price_cents, first.leitweg_id) == (
        number, "bruchsal", 40, PRICE, BRUCHSAL_LW)  # fmt: skip
    assert not first.reversed
    assert {o.city_id: o.leitweg_id for o in seen.records} == {"bruchsal": BRUCHSAL_LW, "buehl": BUEHL_LW}
    own = await orders.of_contract(BRUCHSAL_FINANCE, invoicing.contract_id, 50, "")
    assert [o.city_id for o in own.records] == ["bruchsal"]
    for outsider in (vendor("schwarzwald"), RASTATT_FINANCE):
        with pytest.raises(NotFound):
            await orders.of_contract(outsider, invoicing.contract_id, 50, "")


async def test_finance_reports_invoices_by_status_accruals_and_the_lines_for_accounting(invoicing: Invoicing) -> None:
    await invoicing.call_off("bruchsal", 40)
    await invoicing.call_off("buehl", 10)
    lines = [Line("LAPTOP-14", "Notebook", 25, PRICE), Line("LAPTOP-14", "Notebook", 5, PRICE)]
    invoice = (await invoicing.upload(invoicing.invoice("R-1", lines))).invoice
    await invoicing.service.approve(BRUCHSAL_FINANCE, invoice.id, key="")
    await invoicing.upload(invoicing.invoice("R-2", [Line("LAPTOP-14", "N", 10, PRICE + 5)]))
    reports = InvoiceReports(session_factory(invoicing.engine))
    today = network_today()

    by_status = await reports.by_status(finance(None), "", today, today)
    assert {(r.city_id, r.status, r.invoices, r.net_cents) for r in by_status} == {
        ("bruchsal", "approved", 1, 30 * PRICE), ("bruchsal", "mismatched", 1, 10 * (PRICE + 5))}  # fmt: skip
    accruals = {r.city_id: r for r in await reports.accruals(finance(None), "", today)}
    assert (accruals["bruchsal"].called_off_quantity, accruals["bruchsal"].invoiced_quantity) == (40, 30)
    assert (accruals["bruchsal"].open_quantity, accruals["bruchsal"].open_cents) == (10, 10 * PRICE)
    assert (accruals["buehl"].open_quantity, accruals["bruchsal"].contract_reference) == (10, invoicing.reference)
    assert [r.city_id for r in await reports.accruals(BRUCHSAL_FINANCE, "", today)] == ["bruchsal"]

    exported = await reports.approved_lines(BRUCHSAL_FINANCE, "", today, today)
    assert [(r.number, r.leitweg_id, r.vendor_id, r.quantity, r.net_cents) for r in exported] == [
        ("R-1", BRUCHSAL_LW, "rheintal", 25, 25 * PRICE), ("R-1", BRUCHSAL_LW, "rheintal", 5, 5 * PRICE)]  # fmt: skip
    assert sum(r.vat_cents for r in exported) == invoice.tax_cents
    assert sum(r.gross_cents for r in exported) == invoice.gross_cents
    assert await reports.approved_lines(RASTATT_FINANCE, "", today, today) == []
    with pytest.raises(PermissionDenied):
        await reports.accruals(RHEINTAL, "", today)


async def test_the_same_number_sent_twice_at_once_stands_once(invoicing: Invoicing) -> None:
    """Two uploads of one number for two cities lock different quota rows: the index of standing invoices makes
    the later one a duplicate, whichever commits first."""
    await invoicing.call_off("bruchsal", 10)
    await invoicing.call_off("buehl", 10)
    one = [Line("LAPTOP-14", "Notebook", 10, PRICE)]
    views = await asyncio.gather(
        invoicing.upload(invoicing.invoice("R-SAME", one)),
        invoicing.upload(invoicing.invoice("R-SAME", one, leitweg_id=BUEHL_LW, buyer="Bühl")),
    )
    assert sorted(view.invoice.status for view in views) == ["duplicate", "matched"]
    assert await invoicing.count("invoices WHERE status = 'matched'") == 1


async def test_the_network_admin_sets_how_cities_charge_each_other_vat(invoicing: Invoicing) -> None:
    settings = ChargeSettings(session_factory(invoicing.engine))
    default = await settings.current(BRUCHSAL_FINANCE)
    assert (default.treatment, default.set_by, default.set_at) == (ChargeVat.LAW_ON_INVOICE_DATE, "", None)
    with pytest.raises(PermissionDenied):
        await settings.set(BRUCHSAL_FINANCE, ChargeVat.TAXABLE, key="")
    declared = await settings.set(ADMIN, ChargeVat.NOT_TAXABLE_2B_3, key="k")
    assert (declared.treatment, declared.set_by, declared.today.outside_scope) == (
        ChargeVat.NOT_TAXABLE_2B_3, "network.admin", True)  # fmt: skip
    assert (await settings.set(ADMIN, ChargeVat.NOT_TAXABLE_2B_3, key="k")).replayed
    assert (await settings.set(ADMIN, ChargeVat.TAXABLE, key="")).today.rate_bps == 1900
    assert await invoicing.count("charge_vat_settings") == 2  # each setting kept, the latest in force
