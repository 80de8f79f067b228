"""Contracts in use through the gateway with real Keycloak users: call-offs, idempotency, the ledger, who sees what."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

from civicpool_cli import demo
from openpyxl import load_workbook

from tests.conftest import PROBLEM, XLSX, ApiFactory


def demo_contracts(api: ApiFactory) -> dict[str, dict[str, Any]]:
    lead = api("ettlingen.lead")
    awarded = lead.get("/tenders", params={"status": "awarded", "limit": 500}).json()["data"]
    tender = next(t for t in awarded if t["title"] == demo.DEMO_TENDER_ROUND["title"])
    return {c["sku"]: c for c in lead.get("/contracts", params={"tender_id": tender["id"]}).json()["data"]}


def test_the_demo_contracts_are_in_use_and_rastatt_sees_its_own_share(api: ApiFactory) -> None:
    vpn = demo_contracts(api)["VPN-SEAT"]
    whole = api("ettlingen.lead").get(f"/contracts/{vpn['id']}/utilisation").json()
    cities = {c["city_id"]: c for c in whole["cities"]}
    assert cities["rastatt"]["quota"] == 15 and cities["rastatt"]["holding"] >= 12
    assert whole["in_pool"] >= 0 and whole["called_off"] == sum(c["called_off"] for c in whole["cities"])
    own = api("rastatt.finance").get(f"/contracts/{vpn['id']}/utilisation").json()
    assert [c["city_id"] for c in own["cities"]] == ["rastatt"]
    postings = api("rastatt.finance").get("/ledger/transactions", params={"limit": 500}).json()["data"]
    assert postings and all(any(e["account"] == "city:rastatt" for e in p["entries"]) for p in postings)
    assert all(sum(e["amount_cents"] for e in p["entries"]) == 0 for p in postings)
    refused = api("rastatt.finance").get("/ledger/transactions", params={"city_id": "gaggenau"})
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert api("vendor.rheintal").get(f"/contracts/{vpn['id']}/utilisation").status_code == 403


def test_a_call_off_with_an_idempotency_key_is_done_once(api: ApiFactory) -> None:
    vpn = demo_contracts(api)["VPN-SEAT"]
    bruchsal = api("bruchsal.it")
    key = str(uuid.uuid4())
    path = f"/contracts/{vpn['id']}/allocations"
    first = bruchsal.post(path, json={"city_id": "bruchsal", "quantity": 1}, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    again = bruchsal.post(path, json={"city_id": "bruchsal", "quantity": 1}, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["transaction"]["id"] == first.json()["transaction"]["id"] and again.json()["replayed"]
    other = bruchsal.post(path, json={"city_id": "bruchsal", "quantity": 2}, headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    too_much = bruchsal.post(path, json={"city_id": "bruchsal", "quantity": 1000})
    assert too_much.status_code == 409 and "of its quota of 80 left" in too_much.json()["detail"]
    foreign = bruchsal.post(path, json={"city_id": "bretten", "quantity": 1})
    assert foreign.status_code == 403


def test_quota_shifts_and_reversals_are_for_the_lead_and_raw_postings_do_not_exist(api: ApiFactory) -> None:
    vpn = demo_contracts(api)["VPN-SEAT"]
    shift = {"from_city_id": "ettlingen", "to_city_id": "bruchsal", "quantity": 1}
    assert api("bruchsal.it").post(f"/contracts/{vpn['id']}/quota-shifts", json=shift).status_code == 403
    assert api("rastatt.finance").post(f"/contracts/{vpn['id']}/quota-shifts", json=shift).status_code == 403
    assert api("ettlingen.lead").post("/ledger/transactions", json={"entries": []}).status_code == 405

    called = api("stutensee.it").post(f"/contracts/{vpn['id']}/allocations", json={"city_id": "stutensee",
                                                                                 "quantity": 1})  # fmt: skip
    assert called.status_code == 201, called.text
    transaction_id = called.json()["transaction"]["id"]
    assert api("stutensee.it").post(f"/ledger/transactions/{transaction_id}/reverse",
                                    json={"reason": "x"}).status_code == 403  # fmt: skip
    reversed_ = api("ettlingen.lead").post(f"/ledger/transactions/{transaction_id}/reverse",
                                           json={"reason": "Fehlbuchung"})  # fmt: skip
    assert reversed_.status_code == 201, reversed_.text
    assert reversed_.json()["transaction"]["reverses_id"] == transaction_id
    twice = api("network.admin").post(f"/ledger/transactions/{transaction_id}/reverse", json={"reason": "x"})
    assert twice.status_code == 409


def test_rastatt_finance_opens_its_statement_and_utilisation_as_json_and_xlsx(api: ApiFactory) -> None:
    finance = api("rastatt.finance")
    statement = finance.get("/reports/statement")  # this year so far
    assert statement.status_code == 200, statement.text
    body = statement.json()
    assert body["city_id"] == "rastatt" and body["opening_cents"] == 0
    vpn = demo_contracts(api)["VPN-SEAT"]
    assert body["lines"][0]["kind"] == "call_off" and body["lines"][0]["amount_cents"] == 12 * vpn["unit_price_cents"]
    assert body["closing_cents"] == sum(line["amount_cents"] for line in body["lines"]) > 0
    workbook = load_workbook(io.BytesIO(finance.get("/reports/statement", params={"format": "xlsx"}).content))
    sheet = workbook["Kontoauszug"]
    assert (
        sheet["A1"].value == "posted_at (Europe/Berlin)" and sheet.max_row == len(body["lines"]) + 3
    )  # header, opening, closing
    use = finance.get("/reports/utilisation").json()["rows"]
    assert {(r["sku"], r["city_id"]) for r in use} == {("VPN-SEAT", "rastatt")}
    assert use[0]["cost_cents"] == body["closing_cents"]
    download = finance.get("/reports/utilisation", params={"format": "xlsx"})
    assert download.headers["content-type"] == XLSX and load_workbook(io.BytesIO(download.content))["Auslastung"]
    assert finance.get("/reports/statement", params={"city": "gaggenau"}).status_code == 403
    whole = api("ettlingen.lead").get("/reports/utilisation", params={"format": "csv"})
    assert whole.status_code == 200 and whole.text.count("\r\n") > 8


def test_a_statement_longer_than_three_years_is_refused(api: ApiFactory) -> None:
    refused = api("rastatt.finance").get("/reports/statement", params={"from": "2020-01-01", "to": "2026-01-01"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"


def test_finance_sets_a_budget_and_downloads_budget_against_actual(api: ApiFactory) -> None:
    finance = api("rastatt.finance")
    year = dt.datetime.now(dt.UTC).year
    created = finance.put(f"/budgets/rastatt/{year}", json={"amount_cents": 50_000_00})
    assert created.status_code == 200, created.text
    stale = finance.put(f"/budgets/rastatt/{year}", json={"amount_cents": 1}, headers={"If-Match": '"9"'})
    assert stale.status_code == 412
    change = {"If-Match": created.headers["ETag"], "Idempotency-Key": str(uuid.uuid4())}
    changed = finance.put(f"/budgets/rastatt/{year}", json={"amount_cents": 45_000_00}, headers=change)
    assert changed.status_code == 200 and changed.json()["amount_cents"] == 45_000_00
    retried = finance.put(f"/budgets/rastatt/{year}", json={"amount_cents": 45_000_00}, headers=change)
    assert retried.status_code == 200 and retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == changed.json()  # the first answer, though the version it names has moved on
    misused = finance.put(f"/budgets/rastatt/{year}", json={"amount_cents": 1}, headers=change)
    assert misused.status_code == 422 and misused.headers["content-type"] == PROBLEM
    assert finance.put(f"/budgets/gaggenau/{year}", json={"amount_cents": 1}).status_code == 403
    assert api("rastatt.it").put(f"/budgets/rastatt/{year}", json={"amount_cents": 1}).status_code == 403
    rows = finance.get("/reports/budget").json()["rows"]
    assert [(r["city_id"], r["budget_cents"]) for r in rows] == [("rastatt", 45_000_00)]
    assert rows[0]["remaining_cents"] == 45_000_00 - rows[0]["actual_cents"] and rows[0]["actual_cents"] > 0
    download = finance.get("/reports/budget", params={"format": "csv"})
    assert download.status_code == 200

    def euros(cents: int) -> str:
        return f"{cents / 100:.2f}"

    assert download.text.lstrip("\ufeff").splitlines()[:2] == [  # English without Accept-Language
        "city_id,year,budget (EUR),actual (EUR),remaining (EUR)",
        f"rastatt,{year},45000.00,{euros(rows[0]['actual_cents'])},{euros(rows[0]['remaining_cents'])}",
    ]


def test_the_lead_posts_a_shared_cost_split_by_usage(api: ApiFactory) -> None:
    jitsi = demo_contracts(api)["VC-JITSI-SELFHOSTED"]
    body = {"amount_cents": 1_000_00, "memo": "Einrichtung des Servers"}
    assert api("bruchsal.finance").post(f"/contracts/{jitsi['id']}/shared-costs", json=body).status_code == 403
    posted = api("ettlingen.lead").post(f"/contracts/{jitsi['id']}/shared-costs", json=body,
                                        headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert posted.status_code == 201, posted.text
    entries = {e["account"]: e["amount_cents"] for e in posted.json()["transaction"]["entries"]}
    assert sum(entries.values()) == 0 and entries[f"contract:{jitsi['id']}"] == 1_000_00
    cities = {account.split(":")[1] for account in entries if account.startswith("city:")}
    assert cities >= {"bruchsal", "bretten", "ettlingen", "rheinstetten"}  # every city holding seats pays a part
