"""The three everyday jobs in a browser, one after the other on the same round (issue 6's "Done when").

Ettlingen's procurement office opens a round; Bruchsal's IT office registers its
demand; Ettlingen takes it to an awarded tender with two vendors' bids; Bruchsal
calls off seats; Bruchsal's finance sees the allocated licenses and their cost.
The tests run in file order and share the round through `journey`.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from civicpool_cli import demo
from civicpool_cli.demo_clock import end_standstill
from civicpool_cli.stack import Stack
from playwright.sync_api import FilePayload, Page, expect

from tests.conftest import ApiFactory
from tests.integration.test_demand_api import add_line, new_round
from tests.integration.test_invoices_api import charged
from tests.integration.test_usage_api import demo_contracts
from tests.portal.conftest import Shoot, SignIn
from tests.support.einvoices import Line, ubl_invoice
from tests.support.tenders import VENDORS, awarded, awarded_contract, draft_tender, evaluated, set_bids_due

BERLIN = ZoneInfo("Europe/Berlin")
ROUND_TITLE = f"Portal-Test {dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}: Videokonferenz aus der EU"
BIDDING_SECONDS = 30  # long enough for two vendors to sign in and bid
GERMAN_MONEY = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d{2}\s€$")  # 1.234,56 €


def local(moment: dt.datetime) -> str:
    """What a person in a German office types into a date-and-time field: TT.MM.JJJJ HH:MM:SS, Berlin's clock."""
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


def flash(page: Page) -> str:
    return page.locator(".flash").first.inner_text()


@pytest.fixture(scope="module")
def journey() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def items(api: ApiFactory) -> dict[str, dict[str, Any]]:
    return {item["sku"]: item for item in api("network.admin").get("/items", params={"limit": 200}).json()["data"]}


def test_1_lead_opens_a_round(sign_in: SignIn, journey: dict[str, Any], shoot: Shoot) -> None:
    page = sign_in("ettlingen.lead", "/rounds")
    now = dt.datetime.now(dt.UTC)
    page.fill("input[name=title]", ROUND_TITLE)
    closes = now + dt.timedelta(days=7)
    page.fill("input[name=opens_at]", local(now - dt.timedelta(minutes=1)))
    page.fill("input[name=closes_at]", local(closes))
    page.get_by_role("button", name="Runde anlegen", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Runde als Entwurf angelegt")
    expect(page.locator("main")).to_contain_text(closes.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"))  # shown back
    page.get_by_role("button", name="Runde öffnen", exact=True).click()
    expect(page.get_by_test_id("round-status")).to_have_text("offen")
    journey["round_url"] = page.url
    journey["round_id"] = page.url.rsplit("/", 1)[1]


def test_2_city_it_submits_demand(
    sign_in: SignIn, api: ApiFactory, journey: dict[str, Any], items: dict[str, Any], shoot: Shoot
) -> None:
    # Another city's demand in the same round: Bruchsal must never see it.
    stutensee = {"item_id": items["VC-EU-CLOUD"]["id"], "quantity": 20, "justification": "Stutensee intern"}
    assert api("stutensee.it").post(f"/rounds/{journey['round_id']}/lines", json=stutensee).status_code == 201

    page = sign_in("bruchsal.it", "/rounds")
    page.get_by_role("link", name=ROUND_TITLE).click()
    # The data-protection profile stands next to each item, plainly.
    catalog = page.get_by_test_id("catalog")
    expect(catalog.locator("tr", has_text="VC-EU-CLOUD")).to_contain_text("Hosting: EU")
    expect(catalog.locator("tr", has_text="VC-GLOBALMEET")).to_contain_text("Hosting: Drittland")
    expect(catalog.locator("tr", has_text="VC-JITSI-SELFHOSTED")).to_contain_text("Open Source")

    # A date as a German office writes it, TT.MM.JJJJ; one that does not exist is refused in German.
    needed_by = (dt.datetime.now(BERLIN).date() + dt.timedelta(days=60)).strftime("%d.%m.%Y")
    for typed in ("31.02.2027", needed_by):
        page.select_option("select[name=item_id]", items["VC-EU-CLOUD"]["id"])
        page.fill("form[action$='/lines'] input[name=quantity]", "40")
        page.fill("form[action$='/lines'] input[name=needed_by]", typed)
        page.fill("input[name=justification]", "Videokonferenzen der Fachämter")
        page.click("form[action$='/lines'] button[type=submit]")
        if typed == "31.02.2027":
            expect(page.locator(".flash.error")).to_contain_text("Benötigt bis: „31.02.2027“ ist kein Datum")
            expect(page.get_by_test_id("lines").locator("tr", has_text="VC-EU-CLOUD")).to_have_count(0)
    expect(page.locator(".flash.ok")).to_contain_text("Bedarf gemeldet")
    line = page.get_by_test_id("lines").locator("tr", has_text="VC-EU-CLOUD")
    expect(line).to_contain_text("40")
    expect(line.get_by_test_id("needed-by")).to_have_text(needed_by)  # shown back as typed

    # A spreadsheet with mistakes is refused as a whole, row by row; nothing is added.
    bad = b"Artikelnummer;Menge\r\nHEADSET-USB;10\r\nGIBT-ES-NICHT;5\r\nDOCK-USBC;0\r\n"
    page.set_input_files("input[name=file]", files=[{"name": "bedarf.csv", "mimeType": "text/csv", "buffer": bad}])
    page.click("form[action$='/import'] button[type=submit]")
    errors = page.locator(".flash.error")
    expect(errors).to_contain_text("Der Import wurde abgelehnt")
    expect(errors).to_contain_text("Zeile 3")
    expect(errors).to_contain_text("Zeile 4")
    expect(page.get_by_test_id("lines").locator("tr", has_text="HEADSET-USB")).to_have_count(0)
    shoot(page, "city-it-round-import-errors")

    good = "Artikelnummer;Menge;Begründung\r\nHEADSET-USB;10;Ratssaal\r\n".encode()
    page.set_input_files("input[name=file]", files=[{"name": "bedarf.csv", "mimeType": "text/csv", "buffer": good}])
    page.click("form[action$='/import'] button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("Datei importiert")
    headset = page.get_by_test_id("lines").locator("tr", has_text="HEADSET-USB")
    expect(headset).to_have_count(1)
    # ... and withdrawn again: the round is about video conferencing.
    headset.get_by_role("button", name="Zurückziehen").click()
    expect(page.locator(".flash.ok")).to_contain_text("Bedarf zurückgezogen")
    expect(page.get_by_test_id("lines").locator("tr", has_text="HEADSET-USB")).to_have_count(0)

    line = page.get_by_test_id("lines").locator("tr", has_text="VC-EU-CLOUD")
    line.get_by_label("Neue Menge").fill("45")
    line.get_by_role("button", name="Ändern").click()
    expect(page.locator(".flash.ok")).to_contain_text("Bedarf geändert")
    expect(page.get_by_test_id("lines").locator("tr", has_text="VC-EU-CLOUD")).to_contain_text("45")
    # Only Bruchsal's own demand is on the page.
    expect(page.get_by_test_id("lines").locator("tbody tr")).to_have_count(1)
    assert "stutensee" not in page.content().lower()
    shoot(page, "city-it-round")


def test_3_lead_takes_the_demand_to_an_awarded_tender(
    sign_in: SignIn, journey: dict[str, Any], items: dict[str, Any], shoot: Shoot
) -> None:
    lead = sign_in("ettlingen.lead")
    lead.goto(journey["round_url"])
    lead.get_by_role("button", name="Runde schließen", exact=True).click()
    expect(lead.get_by_test_id("round-status")).to_have_text("geschlossen")

    lead.get_by_role("link", name="Gebündelter Bedarf").click()
    expect(lead.locator("figure.chart svg rect")).to_have_count(2)  # one bar per city
    expect(lead.locator("table", has_text="VC-EU-CLOUD")).to_contain_text("Bruchsal")
    expect(lead.locator("table", has_text="VC-EU-CLOUD")).to_contain_text("Stutensee")
    shoot(lead, "lead-aggregation")
    lead.go_back()

    lead.get_by_role("button", name="Ausschreibung erstellen", exact=True).click()
    expect(lead.locator(".flash.ok")).to_contain_text("Ausschreibungsentwurf")
    expect(lead.get_by_test_id("recommendation")).to_contain_text("Empfohlenes Verfahren")
    # 45 + 20 seats at the reference price of 96,00 €; the reason names the limits it applied.
    expect(lead.get_by_test_id("recommendation")).to_contain_text("6.240,00\xa0€")
    expect(lead.get_by_test_id("recommendation")).to_contain_text("direct-award limit")
    tender_url = lead.url
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=BIDDING_SECONDS)
    lead.fill("input[name=bids_due_at]", local(due))
    lead.get_by_role("button", name="Speichern", exact=True).click()
    expect(lead.locator(".flash.ok")).to_contain_text("Ausschreibung gespeichert")
    document = demo.pdf_document("Leistungsbeschreibung Videokonferenz")
    upload = lead.get_by_test_id("document-form")
    upload.locator("input[name=title]").fill("Leistungsbeschreibung")
    upload.locator("input[name=file]").set_input_files(
        files=[FilePayload(name="LB.pdf", mimeType="application/pdf", buffer=document)]
    )
    upload.get_by_role("button", name="Dokument hinzufügen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Dokument hinzugefügt")
    expect(lead.locator("tr[data-document=Leistungsbeschreibung]")).to_contain_text("LB.pdf")
    shoot(lead, "lead-tender-draft")
    lead.get_by_role("button", name="Ausschreibung veröffentlichen", exact=True).click()
    expect(lead.get_by_test_id("tender-status")).to_have_text("veröffentlicht")

    for vendor, price in (("vendor.rheintal", "84,00"), ("vendor.schwarzwald", "79,50")):
        seller = sign_in(vendor, "/tenders")
        seller.goto(tender_url)
        with seller.expect_download() as download:  # the tender's documents, as the lead uploaded them
            seller.get_by_test_id("documents").get_by_role("link", name="LB.pdf").click()
        assert Path(download.value.path()).read_bytes() == document
        form = seller.get_by_test_id("bid-form")
        form.locator("input[name^=price_]").fill("99,00")
        form.locator("input[name=delivery_days]").fill("10")
        form.locator("select[name=hosting_region]").select_option("DE")
        form.locator("input[name=dpa_offered]").check()
        form.get_by_role("button", name="Angebot abgeben").click()
        expect(seller.locator(".flash.ok")).to_contain_text("Angebot abgegeben")
        if vendor == "vendor.rheintal":  # withdrawn and submitted again, all before the deadline
            seller.get_by_role("button", name="Angebot zurückziehen").click()
            expect(seller.locator(".flash.ok")).to_contain_text("Angebot zurückgezogen")
            expect(seller.get_by_test_id("own-bid")).to_have_count(0)
            form = seller.get_by_test_id("bid-form")
            form.locator("input[name^=price_]").fill("99,00")
            form.locator("input[name=delivery_days]").fill("10")
            form.get_by_role("button", name="Angebot abgeben").click()
            expect(seller.locator(".flash.ok")).to_contain_text("Angebot abgegeben")
        # Replaced before the deadline: the better price counts.
        form = seller.get_by_test_id("bid-form")
        form.locator("input[name^=price_]").fill(price)
        form.get_by_role("button", name="Angebot ersetzen").click()
        expect(seller.locator(".flash.ok")).to_contain_text("Angebot ersetzt")
        expect(seller.get_by_test_id("own-bid")).to_contain_text(f"{price}\xa0€")
        if vendor == "vendor.schwarzwald":  # its offer letter, sealed with the bid
            attach = seller.get_by_test_id("bid-document-form")
            attach.locator("input[name=title]").fill("Angebotsschreiben")
            attach.locator("input[name=file]").set_input_files(
                files=[FilePayload(name="Angebot.pdf", mimeType="application/pdf", buffer=demo.pdf_document("Angebot"))]
            )
            attach.get_by_role("button", name="Dem Angebot beifügen").click()
            expect(seller.locator(".flash.ok")).to_contain_text("Dokument dem Angebot beigefügt")
            expect(seller.get_by_test_id("bid-documents")).to_contain_text("Angebotsschreiben")
            shoot(seller, "vendor-bid")
    journey["tender_url"] = tender_url

    # Sealed: before the deadline the lead cannot open the bids.
    lead.reload()
    lead.get_by_role("button", name="Angebotsphase schließen und Angebote öffnen", exact=True).click()
    expect(lead.locator(".flash.error")).to_be_visible()
    expect(lead.get_by_test_id("tender-status")).to_have_text("veröffentlicht")
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
    lead.get_by_role("button", name="Angebotsphase schließen und Angebote öffnen", exact=True).click()
    expect(lead.get_by_test_id("tender-status")).to_have_text("Angebote geöffnet")
    expect(lead.get_by_test_id("bids").locator("tbody tr")).to_have_count(2)
    expect(lead.get_by_test_id("bids").get_by_test_id("bid-documents")).to_contain_text("Angebotsschreiben")

    lead.fill("input[name=weight_price]", "70")
    lead.fill("input[name=weight_quality]", "10")
    lead.fill("input[name=weight_data_protection]", "20")
    lead.get_by_role("button", name="Bewerten", exact=True).click()
    expect(lead.locator(".flash.ok")).to_contain_text("Angebote bewertet")
    scores = lead.get_by_test_id("scores")
    expect(scores.locator("tbody tr").first).to_contain_text("Schwarzwald")  # the lower price wins at equal quality
    shoot(lead, "lead-evaluation")

    lead.get_by_role("button", name="Zuschlag erteilen", exact=True).click()
    expect(lead.get_by_test_id("tender-status")).to_have_text("bezuschlagt")
    expect(lead.get_by_test_id("tender-reference")).to_have_text(re.compile(r"^ETT-\d{4}-\d{3}$"))
    expect(lead.get_by_test_id("tender-contracts")).to_contain_text(re.compile(r"ETT-\d{4}-\d{3}"))
    contracts = lead.get_by_test_id("tender-contracts")
    expect(contracts).to_contain_text("VC-EU-CLOUD")
    expect(contracts).to_contain_text("Bruchsal 45")
    expect(contracts).to_contain_text("Stutensee 20")
    shoot(lead, "lead-awarded")

    # The lead city moves 5 of Stutensee's seats to Bruchsal.
    contracts.get_by_role("link").first.click()
    journey["contract_url"] = lead.url
    lead.select_option("select[name=from_city_id]", "stutensee")
    lead.select_option("select[name=to_city_id]", "bruchsal")
    lead.fill("form[action$='/quota-shifts'] input[name=quantity]", "5")
    lead.fill("input[name=reason]", "Stutensee braucht weniger")
    lead.get_by_role("button", name="Kontingent verschieben", exact=True).click()
    expect(lead.locator(".flash.ok")).to_contain_text("Kontingent verschoben")
    expect(lead.get_by_test_id("quotas").locator("tr[data-city=bruchsal]")).to_contain_text("50")

    # The losing vendor sees its result after the award.
    seller = sign_in("vendor.rheintal")
    seller.goto(tender_url)
    expect(seller.get_by_test_id("outcome")).to_have_text("nicht berücksichtigt")


def test_4_city_it_calls_off_and_returns_seats(sign_in: SignIn, journey: dict[str, Any], shoot: Shoot) -> None:
    page = sign_in("bruchsal.it")
    page.goto(journey["contract_url"])
    page.fill("form[action$='/allocations'] input[name=quantity]", "30")
    page.get_by_role("button", name="Abrufen", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Lizenzen abgerufen")
    page.fill("form[action$='/returns'] input[name=quantity]", "4")
    page.get_by_role("button", name="Zurückgeben", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("an den Pool zurückgegeben")
    own = page.get_by_test_id("quotas").locator("tbody tr")
    expect(own).to_have_count(1)  # Bruchsal's row only
    expect(own.first).to_contain_text("26")  # holding: 30 called off, 4 returned
    expect(own.first.get_by_test_id("leitweg-id")).to_have_text("Rechnungen an Leitweg-ID 08215009-RECHNUNG-64")
    expect(page.get_by_test_id("pool")).to_have_text("4")
    expect(page.get_by_test_id("contract-reference")).to_have_text(re.compile(r"^ETT-\d{4}-\d{3}$"))
    shoot(page, "city-it-contract")


def test_5_finance_sees_the_allocated_licenses_and_costs(
    sign_in: SignIn, journey: dict[str, Any], shoot: Shoot
) -> None:
    page = sign_in("bruchsal.finance", "/finance")
    expect(page.locator("h1")).to_have_text("Finanzen von Bruchsal")
    row = page.get_by_test_id("allocations").locator("tr", has_text="VC-EU-CLOUD")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    cost = cells.last.inner_text()
    assert GERMAN_MONEY.match(cost), cost
    assert cost == "2.067,00\xa0€"  # 26 seats held at 79,50 €
    expect(cells.nth(2)).to_have_text("50")  # quota after the shift
    expect(page.locator("figure.chart svg")).to_have_count(2)  # cost per contract, budget against actual
    statement = page.get_by_test_id("statement")
    expect(statement.locator("tr", has_text="VC-EU-CLOUD")).to_have_count(2)  # the call-off and the return
    # Booking texts, with the contract's number (and the call-off's in its own column).
    expect(statement.locator("tr", has_text="VC-EU-CLOUD").first).to_contain_text(
        re.compile(r"Abruf 30 × .+, Vertrag ETT-\d{4}-\d{3}")
    )
    expect(statement.locator("tr", has_text="VC-EU-CLOUD").first).to_contain_text(re.compile(r"BRU-\d{4}-\d{3}"))
    expect(statement.locator("tr", has_text="VC-EU-CLOUD").last).to_contain_text("Rückgabe 4 ×")
    total = page.get_by_test_id("cost-total").inner_text()
    assert GERMAN_MONEY.match(total), total
    assert "stutensee" not in page.content().lower()

    page.fill("input[name=amount]", "10.000,00")
    page.get_by_role("button", name="Budget speichern", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Budget gespeichert")
    budget = page.get_by_test_id("budget").locator("tbody tr")
    expect(budget).to_have_count(1)
    expect(budget.locator("td").nth(1)).to_have_text("10.000,00\xa0€")
    shoot(page, "finance")

    with page.expect_download() as download:
        page.click("a[href*='statement.xlsx']")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_6_a_vendor_asks_and_the_lead_answers_every_vendor(sign_in: SignIn, api: ApiFactory, shoot: Shoot) -> None:
    """Questions stay open until a day before the deadline, so the lead's answer needs a longer deadline first
    (§ 20 (3) VgV), which the lead gives on the tender's page."""
    tender = draft_tender(api)
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=4)
    set_bids_due(api, tender["id"], due)
    own_time = {"questions_due_at": (due - dt.timedelta(days=1)).isoformat(), "version": tender["version"] + 1}
    assert api("ettlingen.lead").patch(f"/tenders/{tender['id']}", json=own_time).status_code == 200
    assert api("ettlingen.lead").post(f"/tenders/{tender['id']}/publish").status_code == 200

    asker = sign_in("vendor.rheintal", f"/tenders/{tender['id']}")
    asker.get_by_test_id("question-form").locator("textarea").fill("Ist eine Lieferung in zwei Teilen zulässig?")
    asker.get_by_role("button", name="Fragen", exact=True).click()
    expect(asker.locator(".flash.ok")).to_contain_text("Frage an die federführende Stadt gesendet")
    expect(asker.get_by_test_id("question")).to_contain_text("Ihre Frage")

    lead = sign_in("ettlingen.lead", f"/tenders/{tender['id']}")
    question = lead.get_by_test_id("question")
    expect(question).to_contain_text("Rheintal")  # the lead city sees who asked
    question.locator("textarea[name=answer]").fill("Ja, in zwei Teilen bis zum Vertragsbeginn.")
    question.get_by_role("button", name="Antwort veröffentlichen").click()
    expect(lead.locator(".flash")).to_contain_text("verlängern Sie die Angebotsfrist zuerst bis mindestens")
    deadlines = lead.get_by_test_id("deadlines")
    deadlines.locator("input[name=bids_due_at]").fill(local(due + dt.timedelta(days=4)))
    deadlines.get_by_role("button", name="Verlängern").click()
    expect(lead.locator(".flash.ok")).to_contain_text("gespeichert")
    question = lead.get_by_test_id("question")
    question.locator("textarea[name=answer]").fill("Ja, in zwei Teilen bis zum Vertragsbeginn.")
    question.get_by_role("button", name="Antwort veröffentlichen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Antwort für alle Anbieter veröffentlicht")
    shoot(lead, "lead-questions")

    other = sign_in("vendor.schwarzwald", f"/tenders/{tender['id']}")
    answered = other.get_by_test_id("question")
    expect(answered).to_contain_text("Ja, in zwei Teilen bis zum Vertragsbeginn.")
    expect(answered).not_to_contain_text("Rheintal")  # every vendor reads it, nobody learns who asked


def test_7_the_lead_adjusts_a_contracts_price_under_its_index_clause(
    sign_in: SignIn, api: ApiFactory, shoot: Shoot
) -> None:
    contract = awarded_contract(api, unit_price_cents=3_000)
    lead = sign_in("ettlingen.lead", f"/contracts/{contract['id']}")
    form = lead.get_by_test_id("change-form")
    form.locator("select[name=kind]").select_option("price_adjustment")
    form.locator("input[name=unit_price]").fill("31,50")
    form.locator("input[name=index_name]").fill("VPI 2020=100")
    form.locator("textarea[name=justification]").fill("Preisgleitklausel § 5: Verbraucherpreisindex +5 %")
    form.get_by_role("button", name="Vertrag ändern").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Vertrag geändert")
    change = lead.get_by_test_id("change")
    expect(change).to_contain_text("Preisanpassung (Indexklausel)")
    expect(change).to_contain_text("12,00 €")  # 1,50 € more for each of the 8 seats
    expect(lead.get_by_test_id("changes")).to_contain_text("innerhalb der De-minimis-Grenze")
    shoot(lead, "lead-contract-change")


def test_8_the_lead_waits_out_the_standstill_and_concludes(
    sign_in: SignIn, api: ApiFactory, stack: Stack, shoot: Shoot
) -> None:
    """Schwarzwald reads why it lost; the lead records a review application, its dismissal, and concludes the
    contracts once the standstill is over (moved into the past here: nobody waits 10 days)."""
    tender = awarded(api, standstill=True)["tender"]
    loser = sign_in("vendor.schwarzwald", f"/tenders/{tender['id']}")
    expect(loser.get_by_test_id("information-notice")).to_contain_text("Zuschlag an Rheintal")
    expect(loser.get_by_test_id("standstill-last-day")).to_contain_text(
        dt.date.fromisoformat(tender["standstill_ends_on"]).strftime("%d.%m.%Y")
    )
    lead = sign_in("ettlingen.lead", f"/tenders/{tender['id']}")
    lead.get_by_test_id("complaint-form").get_by_role("button", name="Nachprüfungsantrag erfassen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Nachprüfungsantrag erfasst")
    assert end_standstill(stack.data_dir, tender["id"])
    lead.reload()
    lead.get_by_role("button", name="Vertragsschluss bestätigen").click()
    expect(lead.locator(".flash")).to_contain_text("Nachprüfungsantrag")  # still open: refused, saying why
    lead.get_by_test_id("complaint").get_by_role("button", name="Entscheidung erfassen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Entscheidung erfasst")
    shoot(lead, "lead-standstill")
    lead.get_by_role("button", name="Vertragsschluss bestätigen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Verträge geschlossen")


def test_9_below_the_threshold_the_lead_switches_the_standstill_on(sign_in: SignIn, api: ApiFactory) -> None:
    tender = draft_tender(api)  # 8 VPN seats: far below the EU threshold
    lead = sign_in("ettlingen.lead", f"/tenders/{tender['id']}")
    lead.get_by_label("Wartefrist nach der Zuschlagsentscheidung (§ 134 GWB)").check()
    lead.get_by_role("button", name="Speichern", exact=True).click()
    expect(lead.locator(".flash.ok")).to_contain_text("Ausschreibung gespeichert")
    assert api("ettlingen.lead").get(f"/tenders/{tender['id']}").json()["standstill"] is True
    lead.get_by_role("button", name="Speichern", exact=True).click()  # left as shown: no change
    expect(lead.locator(".flash.ok")).to_contain_text("Ausschreibung gespeichert")
    assert api("ettlingen.lead").get(f"/tenders/{tender['id']}").json()["standstill"] is True


def test_10_the_lead_awards_a_framework_to_three_vendors_and_a_city_passes_a_call_off_on(
    sign_in: SignIn, api: ApiFactory, shoot: Shoot
) -> None:
    tender, _ = evaluated(api, bidders=VENDORS)
    lead = sign_in("ettlingen.lead", f"/tenders/{tender['id']}")
    lead.get_by_label("Unternehmen in der Rahmenvereinbarung", exact=False).fill("3")
    lead.get_by_role("button", name="Zuschlag erteilen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Zuschlag erteilt")
    expect(lead.get_by_test_id("framework-rank")).to_have_text(["Rang 1 von 3", "Rang 2 von 3", "Rang 3 von 3"])
    shoot(lead, "lead-framework-award")
    first = next(c for c in api("ettlingen.lead").get("/contracts", params={"tender_id": tender["id"]}).json()["data"]
                 if c["framework"]["rank"] == 1)  # fmt: skip
    city = sign_in("bruchsal.it", f"/contracts/{first['id']}")
    expect(city.get_by_test_id("framework")).to_contain_text("Rang 1 von 3")
    city.fill("form[action$='/allocations'] input[name=quantity]", "3")
    city.get_by_role("button", name="Abrufen", exact=True).click()
    expect(city.locator(".flash.ok")).to_contain_text("Lizenzen abgerufen")
    cascade = city.get_by_test_id("cascade")
    cascade.locator("select[name=cause]").select_option("not_in_time")
    cascade.locator("input[name=reason]").fill("Lieferzeit 8 Wochen statt 7 Tagen")
    cascade.get_by_role("button", name="Weitergeben").click()
    expect(city.locator(".flash.ok")).to_contain_text("An das nächste Unternehmen der Rahmenvereinbarung weitergegeben")
    expect(city.get_by_test_id("framework-quota")).to_have_text("3 / 8")  # now from the second vendor
    shoot(city, "city-it-cascade")


def test_11_a_city_invites_a_mini_competition_and_a_vendor_offers(
    sign_in: SignIn, api: ApiFactory, shoot: Shoot
) -> None:
    first = next(c for c in awarded(api, vendors=3)["contracts"] if c["framework"]["rank"] == 1)
    city = sign_in("bruchsal.it", f"/contracts/{first['id']}")
    invite = city.get_by_test_id("invite-form")
    invite.locator("input[name=quantity]").fill("4")
    invite.locator("input[name=description]").fill("Lieferung ins Rathaus bis Monatsende")
    invite.get_by_role("button", name="Zum Angebot auffordern").click()
    expect(city.locator(".flash.ok")).to_contain_text("zum Angebot aufgefordert")
    expect(city.get_by_test_id("competition-status")).to_have_text("offen für Angebote")
    vendor = sign_in("vendor.schwarzwald", "/mini-competitions")
    vendor.get_by_test_id("competitions").get_by_role("link").first.click()
    expect(vendor.get_by_test_id("competition-quantity")).to_contain_text("4")
    form = vendor.get_by_test_id("offer-form")
    form.locator("input[name=unit_price]").fill("31,00")
    form.get_by_role("button", name="Angebot abgeben").click()
    expect(vendor.locator(".flash.ok")).to_contain_text("Angebot abgegeben")
    expect(vendor.get_by_test_id("own-offer")).to_contain_text("31,00")
    shoot(vendor, "vendor-mini-competition-offer")


def test_12_the_lead_records_an_award_made_on_the_state_platform(
    sign_in: SignIn, api: ApiFactory, shoot: Shoot
) -> None:
    """A closed round without a tender: the lead records the procedure run elsewhere on the round's page, two
    vendors in the order of the cascade, and lands on the awarded tender with its contracts in force."""
    round_ = new_round(api, title=f"Headsets extern {dt.datetime.now(dt.UTC):%H%M%S%f}")
    add_line(api, round_["id"], "gaggenau.it", "HEADSET-USB", 25)
    assert api("ettlingen.lead").post(f"/rounds/{round_['id']}/close").status_code == 200
    lead = sign_in("ettlingen.lead", f"/rounds/{round_['id']}")
    section = lead.get_by_test_id("external-award")
    section.locator("summary").click()
    section.locator("input[name=platform]").fill("Vergabemarktplatz Baden-Württemberg")
    section.locator("input[name=notice_number]").fill("2027/S 010-004711")
    section.locator("input[name=notice_date]").fill(
        (dt.datetime.now(BERLIN).date() - dt.timedelta(days=20)).strftime("%d.%m.%Y")
    )
    headsets = section.locator("fieldset[data-item=HEADSET-USB]")
    headsets.locator("input[name^=max_]").fill("40")
    headsets.locator("select[name$=_1]").select_option(label="Kraichgau Computer GmbH")
    headsets.locator("input[name$=_1]").fill("43,00")
    headsets.locator("select[name$=_2]").select_option(label="Rheintal IT-Systemhaus GmbH")
    headsets.locator("input[name$=_2]").fill("44,50")
    section.get_by_role("button", name="Vergabe erfassen").click()
    expect(lead.locator(".flash.ok")).to_contain_text("Vergabe erfasst")
    expect(lead.get_by_test_id("external-procedure")).to_contain_text("Vergabemarktplatz Baden-Württemberg, ")
    expect(lead.get_by_test_id("external-procedure")).to_contain_text("2027/S 010-004711")
    shoot(lead, "lead-external-award")
    tender_id = lead.url.rstrip("/").split("/")[-1]
    contracts = api("ettlingen.lead").get("/contracts", params={"tender_id": tender_id}).json()["data"]
    assert sorted((c["framework"]["rank"], c["vendor_id"], c["unit_price_cents"], c["status"]) for c in contracts) == [
        (1, "kraichgau", 4_300, "active"), (2, "rheintal", 4_450, "active"),
    ]  # fmt: skip


def test_13_a_vendor_sends_an_e_invoice_and_the_citys_finance_approves_it(
    sign_in: SignIn, api: ApiFactory, shoot: Shoot
) -> None:
    """Rheintal sends its XRechnung for Bruchsal's call-off on the invoices page and reads it matched; Bruchsal's
    finance opens it from its list and approves it for payment."""
    [contract] = awarded(api, 3_100)["contracts"]  # Bruchsal's 8 VPN seats
    called = api("bruchsal.it").post(f"/contracts/{contract['id']}/allocations",
                                     json={"city_id": "bruchsal", "quantity": 8})  # fmt: skip
    assert called.status_code == 201, called.text
    leitweg_id = api("bruchsal.finance").get("/cities/bruchsal").json()["billing_units"][0]["leitweg_id"]
    number = f"RIT-P-{dt.datetime.now(dt.UTC):%H%M%S%f}"
    xml = ubl_invoice(number=number, leitweg_id=leitweg_id, vat_id="DE812345673", contract=contract["reference"],
                      lines=[Line(contract["sku"], contract["name"], 8, 3_100)])  # fmt: skip
    vendor = sign_in("vendor.rheintal", "/invoices")
    scan = FilePayload(name="scan.xml", mimeType="application/xml", buffer=b"Rechnung als Bild")
    vendor.get_by_test_id("upload-form").locator("input[name=file]").set_input_files(files=[scan])
    vendor.get_by_test_id("upload-form").get_by_role("button", name="Rechnung senden").click()
    expect(vendor.get_by_test_id("invoice-status")).to_have_text("abgewiesen")  # the refused upload's record
    expect(vendor.get_by_test_id("invoice-problem")).to_contain_text("weder ein PDF noch wohlgeformtes XML")
    vendor.get_by_role("link", name="E-Rechnungen").first.click()
    form = vendor.get_by_test_id("upload-form")
    form.locator("input[name=file]").set_input_files(
        files=[FilePayload(name=f"{number}.xml", mimeType="application/xml", buffer=xml)]
    )
    form.get_by_role("button", name="Rechnung senden").click()
    expect(vendor.locator(".flash.ok")).to_contain_text("Rechnung eingegangen")
    expect(vendor.get_by_test_id("invoice-status")).to_have_text("stimmig")
    expect(vendor.get_by_test_id("invoice-amounts")).to_contain_text("248,00 €")  # 8 × 31,00 €
    finance = sign_in("bruchsal.finance", "/invoices?status=matched")
    finance.get_by_test_id("invoices").get_by_role("link", name=number).click()
    finance.get_by_test_id("approve-form").get_by_role("button", name="Zur Zahlung freigeben").click()
    expect(finance.locator(".flash.ok")).to_contain_text("freigegeben und gebucht")
    expect(finance.get_by_test_id("invoice-status")).to_have_text("freigegeben")
    shoot(finance, "finance-invoice-approved")
    finance.get_by_role("navigation").get_by_role("link", name="Finanzen").click()
    with finance.expect_download() as downloading:
        finance.get_by_test_id("invoice-downloads").get_by_role("link", name="CSV").nth(1).click()
    lines = Path(downloading.value.path()).read_text(encoding="utf-8-sig")
    assert number in lines and leitweg_id in lines and "Leitweg-ID" in lines.splitlines()[0]


def test_14_a_member_citys_finance_reads_and_downloads_a_charge_of_the_lead_city(
    sign_in: SignIn, api: ApiFactory
) -> None:
    """Ettlingen charges the video conference contract's cities a shared cost; Bruchsal's finance finds its XRechnung
    on the finance page and downloads it."""
    charge = charged(api, demo_contracts(api)["VC-JITSI-SELFHOSTED"], "Schulung Videokonferenz")["bruchsal"]
    finance = sign_in("bruchsal.finance", "/finance")
    row = finance.get_by_test_id("charges").get_by_role("row").filter(has_text=charge["number"])
    expect(row).to_contain_text(charge["leitweg_id"])
    with finance.expect_download() as downloading:
        row.get_by_role("link", name="XML").click()
    assert charge["leitweg_id"] in Path(downloading.value.path()).read_text(encoding="utf-8")
