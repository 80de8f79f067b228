"""E-invoices through the gateway with real Keycloak users: a vendor's XRechnung matched against Bruchsal's call-off
and approved by Bruchsal's finance; differences, duplicates and another city's Leitweg-ID; who sees what; and what
is no invoice refused with a problem while its record is kept.

The invoices are made independently of the code under test (tests/support/einvoices.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from civicpool_common import leitweg

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_usage_api import demo_contracts
from tests.support.einvoices import CII, Line, pdf_with, ubl_invoice

RHEINTAL_VAT = "DE812345673"
BRUCHSAL_LW, BUEHL_LW = str(leitweg.make("08215009", "RECHNUNG")), str(leitweg.make("08216007", "RECHNUNG"))


def _vpn(api: ApiFactory) -> dict[str, Any]:
    return demo_contracts(api)["VPN-SEAT"]


def _call_off(api: ApiFactory, contract_id: str, quantity: int) -> str:
    called = api("bruchsal.it").post(f"/contracts/{contract_id}/allocations",
                                     json={"city_id": "bruchsal", "quantity": quantity})  # fmt: skip
    assert called.status_code == 201, called.text
    return str(called.json()["transaction"]["reference"])


def _invoice(vpn: dict[str, Any], quantity: int, *, price: int | None = None, number: str = "", **terms: Any) -> bytes:
    values: dict[str, Any] = {"leitweg_id": BRUCHSAL_LW, "vat_id": RHEINTAL_VAT, "contract": vpn["reference"]}
    line = Line(vpn["sku"], vpn["name"], quantity, vpn["unit_price_cents"] if price is None else price)
    return ubl_invoice(number=number or f"R-{uuid.uuid4().hex[:10]}", lines=[line], **(values | terms))


def _upload(api: ApiFactory, user: str, content: bytes, name: str = "rechnung.xml") -> Any:
    return api(user).post("/invoices", files={"file": (name, content, "application/xml")})


def test_a_vendors_invoice_is_matched_approved_booked_and_seen_only_by_its_parties(api: ApiFactory) -> None:
    vpn = _vpn(api)
    _call_off(api, vpn["id"], 3)
    content = _invoice(vpn, 3)
    uploaded = _upload(api, "vendor.rheintal", content)
    assert uploaded.status_code == 201, uploaded.text
    invoice = uploaded.json()
    assert (invoice["status"], invoice["city_id"], invoice["contract_id"]) == ("matched", "bruchsal", vpn["id"])
    assert uploaded.headers["Location"] == f"/api/v1/invoices/{invoice['id']}"

    assert api("bruchsal.finance").get(f"/invoices/{invoice['id']}").status_code == 200
    for outsider in ("rastatt.finance", "bruchsal.it", "vendor.schwarzwald", "ettlingen.lead"):
        assert api(outsider).get(f"/invoices/{invoice['id']}").status_code == 404, outsider
        listed = api(outsider).get("/invoices", params={"limit": 500}).json()["data"]
        assert invoice["id"] not in {i["id"] for i in listed}, outsider
    document = api("vendor.rheintal").get(f"/invoices/{invoice['id']}/document")
    assert document.content == content and document.headers["ETag"] == f'"{invoice["sha256"]}"'

    assert api("vendor.rheintal").post(f"/invoices/{invoice['id']}/approve").status_code == 403
    approved = api("bruchsal.finance").post(f"/invoices/{invoice['id']}/approve",
                                            headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "bruchsal.finance")
    assert api("bruchsal.finance").post(f"/invoices/{invoice['id']}/approve").status_code == 409
    statement = api("bruchsal.finance").get("/reports/statement", headers={"Accept-Language": "de"}).json()
    vat = [line for line in statement["lines"] if line["transaction_id"] == approved.json()["transaction_id"]]
    assert [line["text"] for line in vat] == [f"Umsatzsteuer der Rechnung {invoice['number']}, Vertrag "
                                              f"{vpn['reference']}"]  # fmt: skip
    assert vat[0]["amount_cents"] == invoice["tax_cents"] > 0


def test_differences_duplicates_and_another_citys_leitweg_id_are_mismatches(api: ApiFactory) -> None:
    vpn = _vpn(api)
    number = _call_off(api, vpn["id"], 2)
    dearer = _upload(api, "vendor.rheintal", _invoice(vpn, 2, price=vpn["unit_price_cents"] + 150)).json()
    assert dearer["status"] == "mismatched"
    assert [(m["term"], m["difference_cents"]) for m in dearer["mismatches"]] == [("unit_price", 300)]

    first = _upload(api, "vendor.rheintal", _invoice(vpn, 2, number="R-TWICE-" + number)).json()
    again = _upload(api, "vendor.rheintal", _invoice(vpn, 2, number="R-TWICE-" + number)).json()
    assert (first["status"], again["status"], again["duplicate_of"]) == ("matched", "duplicate", first["id"])

    buehl = _upload(api, "vendor.rheintal", _invoice(vpn, 1, leitweg_id=BUEHL_LW, contract="", order=number))
    answer = api("vendor.rheintal").get(f"/invoices/{buehl.json()['id']}", headers={"Accept-Language": "en"}).json()
    assert [(m["term"], m["expected"], m["invoiced"]) for m in answer["mismatches"]] == [
        ("buyer_reference", "bruchsal", BUEHL_LW)]  # fmt: skip
    assert "is not the Leitweg-ID of the city the invoice is for" in answer["mismatches"][0]["message"]

    uploader = api("bruchsal.finance")
    received = _upload(api, "bruchsal.finance", _invoice(vpn, 1)).json()
    refused = uploader.post(f"/invoices/{received['id']}/approve")
    assert refused.status_code == 403 and "four eyes" in refused.json()["detail"]
    rejected = uploader.post(f"/invoices/{received['id']}/reject", json={"reason": "Lieferschein fehlt noch"})
    assert rejected.json()["status"] == "rejected"
    assert api("vendor.rheintal").get(f"/invoices/{received['id']}").json()["rejection_reason"] == (
        "Lieferschein fehlt noch")  # fmt: skip


def test_what_is_no_invoice_gets_a_problem_and_only_its_record_is_kept(api: ApiFactory) -> None:
    vendor = api("vendor.rheintal")
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
    for name, content, detail in (
        ("brief.txt", b"Sehr geehrte Damen und Herren", "neither a PDF nor well-formed XML"),
        ("bomb.xml", bomb, "DOCTYPE"),
        ("scan.pdf", pdf_with({"readme.txt": b"hello"}), "no embedded invoice"),
        ("huge.xml", b"<a>" + b"x" * (20 * 1000 * 1000) + b"</a>", "more than the"),
    ):
        answer = vendor.post("/invoices", files={"file": (name, content)}, headers={"Accept-Language": "en"})
        assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM, (name, answer.text)
        problem = answer.json()
        assert detail in problem["detail"], (name, problem)
        record = vendor.get(f"/invoices/{problem['invoice_id']}").json()
        assert (record["status"], record["file_name"], record["lines"]) == ("refused", name, [])
        kept = vendor.get(f"/invoices/{problem['invoice_id']}/document")
        assert kept.status_code == (404 if name == "huge.xml" else 200), name
    too_large = vendor.post("/invoices", files={"file": ("x.xml", b"x" * (25 * 1024 * 1024))})
    assert too_large.status_code == 413 and too_large.headers["content-type"] == PROBLEM
    assert api("bruchsal.it").post("/invoices", files={"file": ("r.xml", b"<a/>")}).status_code == 403


def test_a_check_says_what_the_rules_say_and_keeps_nothing(api: ApiFactory) -> None:
    vendor, vpn = api("vendor.rheintal"), _vpn(api)
    kept_before = len(vendor.get("/invoices", params={"limit": 500}).json()["data"])
    good = _invoice(vpn, 1, number="CHECK-1")
    checked = vendor.post("/invoices/check", files={"file": ("rechnung.xml", good)})
    assert checked.status_code == 200, checked.text
    assert checked.json()["accepted"] and checked.json()["number"] == "CHECK-1" and checked.json()["syntax"] == "UBL"
    wrong_leitweg = _invoice(vpn, 1, leitweg_id=BRUCHSAL_LW[:-2] + "00")
    refused = api("bruchsal.finance").post("/invoices/check", files={"file": ("r.xml", wrong_leitweg)}).json()
    assert not refused["accepted"] and "CIVICPOOL-LEITWEG-ID" in {f["rule_id"] for f in refused["findings"]}
    unreadable = vendor.post("/invoices/check", files={"file": ("brief.txt", b"Sehr geehrte")},
                             headers={"Accept-Language": "en"})  # fmt: skip
    assert unreadable.status_code == 200 and "neither a PDF nor well-formed XML" in unreadable.json()["problem"]
    assert not unreadable.json()["accepted"] and unreadable.json()["findings"] == []
    assert api("bruchsal.it").post("/invoices/check", files={"file": ("r.xml", good)}).status_code == 403
    assert len(vendor.get("/invoices", params={"limit": 500}).json()["data"]) == kept_before


def test_a_zugferd_basic_profile_is_kept_and_told_it_is_not_enough(api: ApiFactory) -> None:
    basic = CII.replace(b"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                        b"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic")  # fmt: skip
    answer = _upload(api, "vendor.rheintal", pdf_with({"factur-x.xml": basic}), "rechnung.pdf")
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["format"]) == ("invalid", "pdf")
    assert "profile BASIC is not enough for a public buyer" in answer.json()["problem"]


def test_the_vendor_reads_its_orders_with_the_leitweg_id_to_invoice_them_to(api: ApiFactory) -> None:
    vpn = _vpn(api)
    number = _call_off(api, vpn["id"], 1)
    orders = api("vendor.rheintal").get(f"/contracts/{vpn['id']}/call-offs", params={"limit": 500}).json()
    mine = next(o for o in orders["data"] if o["reference"] == number)
    assert (mine["city_id"], mine["quantity"], mine["leitweg_id"]) == ("bruchsal", 1, BRUCHSAL_LW)
    assert mine["billing_unit"] == "Stadtverwaltung Bruchsal" and not mine["reversed"]
    rastatt = api("rastatt.finance").get(f"/contracts/{vpn['id']}/call-offs", params={"limit": 500}).json()["data"]
    assert rastatt and {o["city_id"] for o in rastatt} == {"rastatt"}
    assert api("vendor.schwarzwald").get(f"/contracts/{vpn['id']}/call-offs").status_code == 404


def test_finance_downloads_the_invoice_reports_and_the_lines_for_its_accounting(api: ApiFactory) -> None:
    vpn = _vpn(api)
    _call_off(api, vpn["id"], 2)
    invoice = _upload(api, "vendor.rheintal", _invoice(vpn, 2)).json()
    assert api("bruchsal.finance").post(f"/invoices/{invoice['id']}/approve").status_code == 200
    finance = api("bruchsal.finance")
    lines = finance.get("/reports/invoice-lines", params={"format": "csv"}, headers={"Accept-Language": "de"})
    assert lines.status_code == 200 and lines.headers["content-type"].startswith("text/csv"), lines.text
    assert invoice["number"] in lines.text and BRUCHSAL_LW in lines.text
    exported = finance.get("/reports/invoice-lines").json()["rows"]
    mine = [row for row in exported if row["invoice_id"] == invoice["id"]]
    assert [(r["vat_cents"], r["gross_cents"]) for r in mine] == [(invoice["tax_cents"], invoice["gross_cents"])]
    accruals = finance.get("/reports/accruals").json()["rows"]
    vpn_row = next(r for r in accruals if r["contract_id"] == vpn["id"])
    assert vpn_row["city_id"] == "bruchsal" and vpn_row["open_quantity"] == (
        vpn_row["called_off_quantity"] - vpn_row["invoiced_quantity"])  # fmt: skip
    assert finance.get("/reports/accruals", params={"format": "xlsx"}).status_code == 200
    statuses = finance.get("/reports/invoices").json()["rows"]
    assert {r["city_id"] for r in statuses} == {"bruchsal"} and any(r["status"] == "approved" for r in statuses)
    assert api("vendor.rheintal").get("/reports/accruals").status_code == 403
    assert api("rastatt.finance").get("/reports/invoices", params={"city": "bruchsal"}).status_code == 403


def test_the_network_sets_how_cities_charge_each_other_vat(api: ApiFactory) -> None:
    read = api("rastatt.finance").get("/network/charge-vat").json()
    assert read["treatment"] in ("law_on_invoice_date", "not_taxable_2b_3", "taxable") and read["legal_note_today"]
    body = {"treatment": "law_on_invoice_date"}
    assert api("bruchsal.finance").put("/network/charge-vat", json=body).status_code == 403
    assert api("network.admin").put("/network/charge-vat", json={"treatment": "maybe"}).status_code == 422
    set_ = api("network.admin").put("/network/charge-vat", json=body)
    assert set_.status_code == 200 and set_.json()["set_by"] == "network.admin", set_.text


def charged(api: ApiFactory, contract: dict[str, Any], memo: str) -> dict[str, dict[str, Any]]:
    """The charges of a new shared cost of the contract (Ettlingen leads; equal parts), by the city charged."""
    lead = api("ettlingen.lead")
    cost = {"amount_cents": 60_000, "memo": memo, "cost_key_id": "equal"}
    shared = lead.post(f"/contracts/{contract['id']}/shared-costs", json=cost)
    assert shared.status_code == 201, shared.text
    issued = lead.post(f"/ledger/transactions/{shared.json()['transaction']['id']}/charge-invoices")
    assert issued.status_code == 201, issued.text
    return {charge["buyer_city_id"]: charge for charge in issued.json()["data"]}


def test_the_lead_city_charges_each_member_its_part_of_a_shared_cost(api: ApiFactory) -> None:
    vc = demo_contracts(api)["VC-JITSI-SELFHOSTED"]  # Rastatt, no party to it, reads its postings elsewhere
    members = sorted({q["city_id"] for q in vc["quotas"]} - {"ettlingen"})
    lead = api("ettlingen.lead")
    cost = {"amount_cents": 45_000, "memo": "Einrichtung Videokonferenz", "cost_key_id": "equal"}
    shared = lead.post(f"/contracts/{vc['id']}/shared-costs", json=cost)
    assert shared.status_code == 201, shared.text
    path = f"/ledger/transactions/{shared.json()['transaction']['id']}/charge-invoices"
    assert api(f"{members[0]}.finance").post(path).status_code == 403  # a member does not charge itself
    too_soon = api("ettlingen.finance").post(path, json={"payment_days": 3})
    assert too_soon.status_code == 422 and too_soon.headers["content-type"] == PROBLEM

    issued = api("ettlingen.finance").post(path, json={"payment_days": 30})
    assert issued.status_code == 201, issued.text
    charges = {c["buyer_city_id"]: c for c in issued.json()["data"]}
    assert sorted(charges) == members and not issued.json()["existing"]
    assert all(c["seller_city_id"] == "ettlingen" and c["net_cents"] > 0 for c in charges.values())
    again = lead.post(path)
    assert again.status_code == 200 and again.json()["existing"]
    assert {c["id"] for c in again.json()["data"]} == {c["id"] for c in charges.values()}

    first, second = members[0], members[1]
    own = api(f"{first}.finance")
    listed = own.get("/charge-invoices", params={"transaction_id": shared.json()["transaction"]["id"]}).json()
    assert [c["buyer_city_id"] for c in listed["data"]] == [first]
    document = own.get(f"/charge-invoices/{charges[first]['id']}/document")
    assert document.status_code == 200 and document.headers["content-type"].startswith("application/xml")
    assert document.headers["etag"] == f'"{charges[first]["sha256"]}"'
    assert charges[first]["leitweg_id"].encode() in document.content
    for foreign in (f"/charge-invoices/{charges[second]['id']}", f"/charge-invoices/{charges[second]['id']}/document"):
        hidden, missing = own.get(foreign), own.get(foreign.replace(charges[second]["id"], "0" * 26))
        assert hidden.status_code == missing.status_code == 404
    assert api("vendor.schwarzwald").get("/charge-invoices").json()["data"] == []

    reversal = lead.post(f"/ledger/transactions/{shared.json()['transaction']['id']}/reverse",
                         json={"reason": "Doppelt gebucht"})  # fmt: skip
    assert reversal.status_code == 409 and reversal.headers["content-type"] == PROBLEM, reversal.text
    postings = lead.get("/ledger/transactions", params={"contract_id": vc["id"], "limit": 100}).json()["data"]
    call_off = next(p for p in postings if p["kind"] == "call_off")
    not_shared = lead.post(f"/ledger/transactions/{call_off['id']}/charge-invoices")
    assert not_shared.status_code == 409 and "no shared cost" in not_shared.json()["detail"], not_shared.text
