"""Loads the demo network into a running system, through the public API (idempotent)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from civicpool_common.timestamps import network_today
from civicpool_einvoice import writing

from civicpool_cli import demo


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.existing} already there"


def load_demo(
    gateway_url: str,
    token_for: Callable[[str], str],
    progress: Callable[[str], None] = lambda _: None,
    end_standstill: Callable[[str], bool] = lambda _: False,
) -> LoadReport:
    """Load the demo network, signing in as each demo user it needs (`token_for(username)`). `end_standstill`
    lets a tender's standstill have ended (demo_clock, for a local system); without it the demo's stays running."""
    report = LoadReport()
    with _client(gateway_url, token_for(demo.NETWORK_ADMIN_USER)) as api:
        # Cities before cost keys: fixed keys name cities.
        steps: list[tuple[str, Iterable[dict[str, Any]]]] = [
            ("cities", (demo.city_payload(c) for c in demo.CITIES)),
            ("vendors", (demo.vendor_payload(v) for v in demo.VENDORS)),
            ("items", demo.ITEMS),
            ("cost-keys", demo.COST_KEYS),
        ]
        for path, payloads in steps:
            for payload in payloads:
                response = api.post(f"/{path}", json=payload)
                if response.status_code == 201:
                    report.created += 1
                elif response.status_code == 409 and response.json().get("type") == "/problems/already-exists":
                    report.existing += 1
                else:
                    raise RuntimeError(f"loading {path} {payload.get('id') or payload.get('sku')}: {response.text}")
            progress(f"demo {path} loaded")
    _load_demo_round(gateway_url, token_for, report)
    progress("demo round loaded")
    _load_demo_tender(gateway_url, token_for, report, progress)
    _load_demo_usage(gateway_url, token_for, report, progress)
    _load_demo_open_tender(gateway_url, token_for, report, progress)
    _load_demo_framework(gateway_url, token_for, report, progress)
    _load_demo_standstill(gateway_url, token_for, report, progress, end_standstill)
    _load_demo_invoices(gateway_url, token_for, report, progress)
    return report


BIDDING = dt.timedelta(seconds=demo.DEMO_BIDDING_SECONDS)  # the demo's awarded tenders take bids this long


def _client(gateway_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{gateway_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10.0)


def _checked(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(f"loading {what}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


def _load_demo_round(gateway_url: str, token_for: Callable[[str], str], report: LoadReport) -> None:
    """An open round with demand of six cities, unless an open demo round exists already."""
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        open_rounds = _checked(lead.get("/rounds", params={"status": "open", "limit": 500}), "rounds")["data"]
        if any(r["title"] == demo.DEMO_ROUND["title"] for r in open_rounds):
            report.existing += 1
            return
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        body = {
            **demo.DEMO_ROUND,
            "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=demo.DEMO_ROUND_DAYS_OPEN)).isoformat(),
        }
        round_id = _checked(lead.post("/rounds", json=body), "the demo round")["id"]
        _checked(lead.post(f"/rounds/{round_id}/open"), "opening the demo round")
        items = _checked(lead.get("/items", params={"limit": 500}), "items")["data"]
    item_ids = {item["sku"]: item["id"] for item in items}
    for city in dict.fromkeys(city for city, *_ in demo.DEMO_LINES):
        with _client(gateway_url, token_for(f"{city}.it")) as city_it:
            for _, sku, quantity, justification in (line for line in demo.DEMO_LINES if line[0] == city):
                line = {"item_id": item_ids[sku], "quantity": quantity, "justification": justification}
                _checked(city_it.post(f"/rounds/{round_id}/lines", json=line), f"demand of {city}")
    report.created += 1 + len(demo.DEMO_LINES)


def _draft_tender(
    gateway_url: str,
    token_for: Callable[[str], str],
    report: LoadReport,
    round_body: dict[str, Any],
    lines: Sequence[tuple[str, str, int, str]],
    bids_due_in: dt.timedelta,
) -> tuple[dict[str, Any], dt.datetime] | None:
    """A draft tender of the lead made from a new round with these cities' lines (city, sku, quantity, why), closed,
    and its deadline `bids_due_in` from now (returned too); None when a tender of that title is there already."""
    title = round_body["title"]
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        tenders = _checked(lead.get("/tenders", params={"limit": 500}), "tenders")["data"]
        if any(t["title"] == title and t["status"] != "cancelled" for t in tenders):
            report.existing += 1
            return None
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        body = {**round_body, "opens_at": (now - dt.timedelta(days=1)).isoformat(),
                "closes_at": (now + dt.timedelta(days=1)).isoformat()}  # fmt: skip
        round_id = _checked(lead.post("/rounds", json=body), f"the round of {title}")["id"]
        _checked(lead.post(f"/rounds/{round_id}/open"), f"opening the round of {title}")
        items = {i["sku"]: i["id"] for i in _checked(lead.get("/items", params={"limit": 500}), "items")["data"]}
    for city in dict.fromkeys(city for city, *_ in lines):
        with _client(gateway_url, token_for(f"{city}.it")) as city_it:
            for _, sku, quantity, justification in (line for line in lines if line[0] == city):
                line = {"item_id": items[sku], "quantity": quantity, "justification": justification}
                _checked(city_it.post(f"/rounds/{round_id}/lines", json=line), f"demand of {city}")
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        _checked(lead.post(f"/rounds/{round_id}/close"), f"closing the round of {title}")
        tender = _checked(lead.post("/tenders", json={"round_id": round_id}), title)
        due = dt.datetime.now(dt.UTC) + bids_due_in
        changed = lead.patch(f"/tenders/{tender['id']}", json={"bids_due_at": due.isoformat(),
                                                               "version": tender["version"]})  # fmt: skip
        tender = _checked(changed, f"the deadline of {title}")
    report.created += 3 + len(lines)  # the round, its opening and closing counted as one; the lines; the tender
    return tender, due


def _load_demo_tender(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None]
) -> None:
    """A closed round taken to an awarded tender with contracts, through the API as each person would."""
    drafted = _draft_tender(gateway_url, token_for, report, demo.DEMO_TENDER_ROUND, demo.DEMO_TENDER_LINES, BIDDING)
    if drafted is None:
        return
    tender, due = drafted
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        for title, file_name, shown in demo.DEMO_DOCUMENTS:
            upload = {"file": (file_name, demo.pdf_document(shown), "application/pdf")}
            _checked(lead.post(f"/tenders/{tender['id']}/documents", files=upload, data={"title": title}), title)
        tender = _checked(lead.post(f"/tenders/{tender['id']}/publish"), "publishing the demo tender")
    progress("demo tender published; the demo vendors bid")
    lot_of = {item["sku"]: lot["id"] for lot in tender["lots"] for item in lot["items"]}
    item_of = {item["sku"]: item["item_id"] for lot in tender["lots"] for item in lot["items"]}
    quality: dict[str, int] = {}
    for vendor, sku, cents, tiers, days, region, dpa, oss, score in demo.DEMO_BIDS:
        bid = {"lot_id": lot_of[sku], "delivery_days": days, "hosting_region": region, "dpa_offered": dpa,
               "open_source": oss, "prices": [{"item_id": item_of[sku], "unit_price_cents": cents,
               "tiers": [{"min_quantity": q, "unit_price_cents": c} for q, c in tiers]}]}  # fmt: skip
        with _client(gateway_url, token_for(f"vendor.{vendor}")) as seller:
            bid_id = _checked(seller.post(f"/tenders/{tender['id']}/bids", json=bid), f"{vendor}'s bid")["id"]
            title, file_name, shown = demo.DEMO_OFFER
            offer = {"file": (file_name, demo.pdf_document(f"{shown} {vendor}"), "application/pdf")}
            documents = f"/tenders/{tender['id']}/bids/{bid_id}/documents"
            _checked(seller.post(documents, files=offer, data={"title": title}), f"{vendor}'s offer")
            quality[bid_id] = score
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)  # bids are opened after the deadline
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        _checked(lead.post(f"/tenders/{tender['id']}/close-bidding"), "opening the demo bids")
        scores = [{"bid_id": bid_id, "quality": score} for bid_id, score in quality.items()]
        evaluation = lead.post(
            f"/tenders/{tender['id']}/evaluate", json={"weights": demo.DEMO_WEIGHTS, "scores": scores}
        )
        best = [{"lot_id": r["lot_id"], "bid_id": r["bid_id"]} for r in _checked(evaluation, "evaluating")["rows"]
                if r["rank"] == 1]  # fmt: skip
        awarded = _checked(lead.post(f"/tenders/{tender['id']}/award", json={"awards": best}), "the award")
    report.created += 2 * len(demo.DEMO_BIDS) + len(awarded["contracts"]) + len(demo.DEMO_DOCUMENTS)
    progress(f"demo tender awarded: {len(awarded['contracts'])} framework contracts")


def _load_demo_usage(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None]
) -> None:
    """The demo contracts in use: call-offs by the cities, a quota shift, a return, a take, a move."""
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        tenders = _checked(lead.get("/tenders", params={"status": "awarded", "limit": 500}), "tenders")["data"]
        tender = next(t for t in tenders if t["title"] == demo.DEMO_TENDER_ROUND["title"])
        contracts = _checked(lead.get("/contracts", params={"tender_id": tender["id"]}), "contracts")["data"]
        contract_of = {c["sku"]: c["id"] for c in contracts}
        if any(
            _checked(lead.get(f"/contracts/{c}/utilisation"), "utilisation")["called_off"] for c in contract_of.values()
        ):
            report.existing += 1
            return

    def post(user: str, path: str, body: dict[str, Any], what: str) -> None:
        with _client(gateway_url, token_for(user)) as api:
            _checked(api.post(path, json=body), what)
        report.created += 1

    for city, sku, quantity in demo.DEMO_CALL_OFFS:
        post(f"{city}.it", f"/contracts/{contract_of[sku]}/allocations", {"city_id": city, "quantity": quantity},
             f"{city}'s call-off")  # fmt: skip
    sku, from_city, to_city, quantity, reason = demo.DEMO_QUOTA_SHIFT
    shift = {"from_city_id": from_city, "to_city_id": to_city, "quantity": quantity, "reason": reason,
             "add_party": True}  # fmt: skip
    post(demo.DEMO_ROUND_LEAD, f"/contracts/{contract_of[sku]}/quota-shifts", shift, "the quota shift")
    city, sku, quantity = demo.DEMO_RASTATT_CALL_OFF
    post(f"{city}.it", f"/contracts/{contract_of[sku]}/allocations", {"city_id": city, "quantity": quantity},
         "Rastatt's call-off")  # fmt: skip
    city, sku, quantity = demo.DEMO_RETURN
    post(f"{city}.it", f"/contracts/{contract_of[sku]}/returns", {"city_id": city, "quantity": quantity}, "the return")
    city, sku, quantity = demo.DEMO_TAKE
    take = {"city_id": city, "quantity": quantity, "from_pool": True}
    post(f"{city}.it", f"/contracts/{contract_of[sku]}/allocations", take, "the take from the pool")
    sku, from_city, to_city, quantity = demo.DEMO_MOVE
    move = {"from_city_id": from_city, "to_city_id": to_city, "quantity": quantity}
    post(demo.DEMO_ROUND_LEAD, f"/contracts/{contract_of[sku]}/moves", move, "the move")
    sku, city, quantity, why = demo.DEMO_CONTRACT_CHANGE
    change = {"kind": "quantity_increase", "quota_additions": [{"city_id": city, "quantity": quantity}],
              "justification": why}  # fmt: skip
    post(demo.DEMO_ROUND_LEAD, f"/contracts/{contract_of[sku]}/changes", change, "the contract change")
    progress("demo contracts in use: call-offs, a quota shift, a return, a take, a move and a contract change")


def _load_demo_open_tender(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None]
) -> None:
    """A tender taking bids for three weeks, with a changed document and answered questions (unless loaded)."""
    drafted = _draft_tender(gateway_url, token_for, report, demo.DEMO_OPEN_TENDER_ROUND, demo.DEMO_OPEN_TENDER_LINES,
                            dt.timedelta(days=demo.DEMO_OPEN_TENDER_DAYS))  # fmt: skip
    if drafted is None:
        return
    tender, _ = drafted
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        documents = {}
        for doc_title, file_name, shown in demo.DEMO_OPEN_TENDER_DOCUMENTS:
            upload = {"file": (file_name, demo.pdf_document(shown), "application/pdf")}
            added = lead.post(f"/tenders/{tender['id']}/documents", files=upload, data={"title": doc_title})
            documents[doc_title] = _checked(added, doc_title)["id"]
        _checked(lead.post(f"/tenders/{tender['id']}/publish"), "publishing the open demo tender")
        doc_title, file_name, shown = demo.DEMO_OPEN_TENDER_CHANGE
        upload = {"file": (file_name, demo.pdf_document(shown), "application/pdf")}
        new_version = lead.put(f"/tenders/{tender['id']}/documents/{documents[doc_title]}", files=upload)
        _checked(new_version, "the changed document")
    for vendor, question, answer in demo.DEMO_QUESTIONS:
        with _client(gateway_url, token_for(f"vendor.{vendor}")) as seller:
            asked = seller.post(f"/tenders/{tender['id']}/questions", json={"question": question})
            question_id = _checked(asked, f"{vendor}'s question")["id"]
        if answer:
            with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
                answered = lead.post(f"/tenders/{tender['id']}/questions/{question_id}/answer", json={"answer": answer})
                _checked(answered, "the answer")
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        clarified = lead.post(f"/tenders/{tender['id']}/clarifications", json={"text": demo.DEMO_CLARIFICATION})
        _checked(clarified, "the clarification")
    report.created += 1 + len(demo.DEMO_OPEN_TENDER_DOCUMENTS) + 1 + len(demo.DEMO_QUESTIONS) + 2
    progress("demo tender taking bids: a changed document, a question answered, one open, a clarification")


def _load_demo_framework(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None]
) -> None:
    """A tender awarded as one framework to three vendors, a call-off passed on along its cascade, and a
    mini-competition taking sealed offers."""
    drafted = _draft_tender(gateway_url, token_for, report, demo.DEMO_FRAMEWORK_ROUND, demo.DEMO_FRAMEWORK_LINES,
                            BIDDING)  # fmt: skip
    if drafted is None:
        return
    tender, due = drafted
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        tender = _checked(lead.post(f"/tenders/{tender['id']}/publish"), "publishing the framework tender")
    awarded = _bid_and_award(gateway_url, token_for, tender, due, demo.DEMO_FRAMEWORK_BIDS,
                             demo.DEMO_FRAMEWORK_VENDORS)  # fmt: skip
    contracts = sorted(awarded["contracts"], key=lambda c: c["framework"]["rank"])
    progress(f"demo framework awarded to {len(contracts)} vendors")
    city, quantity, cause, reason = demo.DEMO_CASCADE
    with _client(gateway_url, token_for(f"{city}.it")) as city_it:
        called = city_it.post(
            f"/contracts/{contracts[0]['id']}/allocations", json={"city_id": city, "quantity": quantity}
        )
        passed_on = f"/ledger/transactions/{_checked(called, 'the call-off')['transaction']['id']}/pass-on"
        _checked(city_it.post(passed_on, json={"cause": cause, "reason": reason}), "passing the call-off on")
    city, quantity, hours, description = demo.DEMO_MINI_COMPETITION
    with _client(gateway_url, token_for(f"{city}.it")) as city_it:
        invitation = {"quantities": [{"city_id": city, "quantity": quantity}], "description": description,
                      "offers_due_at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()}  # fmt: skip
        framework = contracts[0]["framework"]["id"]
        competition = _checked(city_it.post(f"/frameworks/{framework}/mini-competitions", json=invitation),
                               "the mini-competition")  # fmt: skip
    for vendor, cents in demo.DEMO_MINI_COMPETITION_OFFERS:
        with _client(gateway_url, token_for(f"vendor.{vendor}")) as seller:
            offer = seller.put(f"/mini-competitions/{competition['id']}/offer", json={"unit_price_cents": cents})
            _checked(offer, f"{vendor}'s offer")
    report.created += 2 + len(demo.DEMO_FRAMEWORK_BIDS) + len(contracts)
    report.created += 2 + 1 + len(demo.DEMO_MINI_COMPETITION_OFFERS)
    progress("demo cascade call-off and mini-competition loaded")


def _load_demo_standstill(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None],
    end_standstill: Callable[[str], bool],
) -> None:  # fmt: skip
    """A tender awarded with the standstill switched on; once it has ended, the lead concludes the contract."""
    drafted = _draft_tender(gateway_url, token_for, report, demo.DEMO_STANDSTILL_ROUND, demo.DEMO_STANDSTILL_LINES,
                            BIDDING)  # fmt: skip
    if drafted is None:
        return
    tender, due = drafted
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        switched = lead.patch(f"/tenders/{tender['id']}", json={"standstill": True, "version": tender["version"]})
        _checked(switched, "switching the standstill on")
        tender = _checked(lead.post(f"/tenders/{tender['id']}/publish"), "publishing the standstill tender")
    _bid_and_award(gateway_url, token_for, tender, due, demo.DEMO_STANDSTILL_BIDS, 1)
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        concluded = end_standstill(tender["id"])
        if concluded:
            _checked(lead.post(f"/tenders/{tender['id']}/activation"), "concluding the contract after the standstill")
    report.created += 2 + len(demo.DEMO_STANDSTILL_BIDS) + 1 + concluded
    progress("demo award with a standstill " + ("ended and concluded" if concluded else "waiting out its standstill"))


def _load_demo_invoices(
    gateway_url: str, token_for: Callable[[str], str], report: LoadReport, progress: Callable[[str], None]
) -> None:
    """Rheintal's e-invoices for VPN seats the cities called off, written as XRechnung and uploaded: one approved by
    the city's finance, one matched and waiting, one mismatched (the list price instead of the contract's)."""
    with _client(gateway_url, token_for(demo.vendor_user(demo.VENDORS[0]))) as vendor:
        sent = _checked(vendor.get("/invoices", params={"limit": 500}), "the vendor's invoices")["data"]
        if any(i["number"] == demo.DEMO_INVOICES[0][0] for i in sent):
            report.existing += 1
            return
        contracts = _checked(vendor.get("/contracts", params={"limit": 500}), "the vendor's contracts")["data"]
        vpn = next(c for c in contracts if c["sku"] == "VPN-SEAT" and c["status"] == "active")
        rheintal = demo.VENDORS[0]
        street, town, code, phone = demo.DEMO_INVOICE_SELLER
        seller = writing.Party(rheintal.name, street, town, code, rheintal.contact_email, vat_id=rheintal.vat_id or "",
                               contact_name="Vertrieb öffentliche Auftraggeber", phone=phone)  # fmt: skip
        today = network_today()
        for number, city_id, quantity, price, approve in demo.DEMO_INVOICES:
            city = _checked(vendor.get(f"/cities/{city_id}"), f"the city {city_id}")
            buyer = writing.Party(f"Stadt {city['name']}", "Marktplatz 1", city["name"], demo.DEMO_POSTCODES[city_id],
                                  f"rechnung@{city_id}.example")  # fmt: skip
            line = writing.Line(vpn["sku"], vpn["name"], quantity, price or vpn["unit_price_cents"], 1900)
            draft = writing.Draft(
                number=number, issue_date=today, buyer_reference=city["billing_units"][0]["leitweg_id"], seller=seller,
                buyer=buyer, lines=[line], iban=demo.DEMO_IBAN, payment_terms="Zahlbar innerhalb von 30 Tagen ohne "
                "Abzug.", due_date=today + dt.timedelta(days=30), contract_reference=vpn["reference"],
            )  # fmt: skip
            files = {"file": (f"{number}.xml", writing.ubl_invoice(draft), "application/xml")}
            invoice = _checked(vendor.post("/invoices", files=files), f"the invoice {number}")
            report.created += 1
            if approve:
                with _client(gateway_url, token_for(f"{city_id}.finance")) as finance:
                    _checked(finance.post(f"/invoices/{invoice['id']}/approve"), f"approving the invoice {number}")
    progress("demo e-invoices: one approved, one waiting for approval, one differing from the contract")


def _bid_and_award(
    gateway_url: str, token_for: Callable[[str], str], tender: dict[str, Any], due: dt.datetime,
    bids: Sequence[tuple[str, int, int, int]], vendors: int,
) -> dict[str, Any]:  # fmt: skip
    """The vendors bid on the published one-lot tender (vendor, unit price in cents, delivery days, quality score
    the lead gives); after the deadline the lead opens, evaluates and awards the lot to the `vendors` best."""
    [lot] = tender["lots"]
    quality = {}
    for vendor, cents, days, score in bids:
        bid = {"lot_id": lot["id"], "delivery_days": days, "dpa_offered": False, "open_source": False,
               "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": cents}]}  # fmt: skip
        with _client(gateway_url, token_for(f"vendor.{vendor}")) as seller:
            quality[_checked(seller.post(f"/tenders/{tender['id']}/bids", json=bid), f"{vendor}'s bid")["id"]] = score
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.2)  # bids are opened after the deadline
    title = tender["title"]
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        _checked(lead.post(f"/tenders/{tender['id']}/close-bidding"), f"opening the bids of {title}")
        scores = [{"bid_id": bid_id, "quality": score} for bid_id, score in quality.items()]
        evaluation = lead.post(
            f"/tenders/{tender['id']}/evaluate", json={"weights": demo.DEMO_WEIGHTS, "scores": scores}
        )
        first = next(r for r in _checked(evaluation, f"evaluating {title}")["rows"] if r["rank"] == 1)
        award = {"lot_id": lot["id"], "bid_id": first["bid_id"], "vendors": vendors}
        return _checked(lead.post(f"/tenders/{tender['id']}/award", json={"awards": [award]}), f"the award of {title}")
