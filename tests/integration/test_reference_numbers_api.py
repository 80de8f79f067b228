"""Reference numbers and booking texts through the gateway, with real Keycloak users: a contract's number, a
call-off's number, both found by number, and the statement line that reads "Abruf … Vertrag …"."""

from __future__ import annotations

import re

from tests.conftest import ApiFactory
from tests.integration.test_usage_api import demo_contracts

NUMBER = re.compile(r"^(?P<prefix>[A-Z]{3})-(?P<year>\d{4})-(?P<n>\d{3,})$")


def test_contracts_and_call_offs_carry_numbers_and_statements_read_them(api: ApiFactory) -> None:
    contracts = demo_contracts(api)
    numbers = [NUMBER.match(c["reference"]) for c in contracts.values()]
    assert all(m is not None and m["prefix"] == "ETT" for m in numbers), contracts  # Ettlingen leads the demo
    assert len({c["reference"] for c in contracts.values()}) == len(contracts)
    vpn = contracts["VPN-SEAT"]

    lead = api("ettlingen.lead")
    found = lead.get("/contracts", params={"reference": vpn["reference"].lower()}).json()["data"]
    assert [c["id"] for c in found] == [vpn["id"]]
    assert lead.get(f"/contracts/{vpn['id']}").json()["reference"] == vpn["reference"]
    assert lead.get("/contracts", params={"reference": "ETT-1999-001"}).json()["data"] == []

    call_off = api("bruchsal.it").post(
        f"/contracts/{vpn['id']}/allocations", json={"city_id": "bruchsal", "quantity": 2}
    )
    assert call_off.status_code == 201, call_off.text
    posting = call_off.json()["transaction"]
    assert NUMBER.match(posting["reference"])["prefix"] == "BRU"  # type: ignore[index]
    assert posting["contract_reference"] == vpn["reference"]
    assert posting["text"] == f"Call-off 2 × {vpn['name']}, contract {vpn['reference']}"  # no Accept-Language

    finance = api("bruchsal.finance")
    listed = finance.get("/ledger/transactions", params={"reference": posting["reference"].lower()}).json()["data"]
    assert [p["id"] for p in listed] == [posting["id"]]

    german = finance.get("/reports/statement", headers={"Accept-Language": "de-DE"})
    assert german.status_code == 200, german.text
    line = next(x for x in german.json()["lines"] if x["transaction_id"] == posting["id"])
    assert line["text"] == f"Abruf 2 × {vpn['name']}, Vertrag {vpn['reference']}"
    assert line["reference"] == posting["reference"] and line["contract_reference"] == vpn["reference"]
    assert vpn["reference"] in {t["contract_reference"] for t in german.json()["by_contract"]}
    download = finance.get("/reports/statement", params={"format": "csv"}, headers={"Accept-Language": "de-DE"})
    assert download.status_code == 200 and f"Abruf 2 × {vpn['name']}, Vertrag {vpn['reference']}" in download.text


def test_tenders_carry_numbers_and_are_found_by_number(api: ApiFactory) -> None:
    lead = api("ettlingen.lead")
    tenders = lead.get("/tenders", params={"limit": 500}).json()["data"]
    assert tenders and all(NUMBER.match(t["reference"]) for t in tenders)
    ettlingens = [t["reference"] for t in tenders if t["lead_city_id"] == "ettlingen"]
    assert all(r.startswith("ETT-") for r in ettlingens) and len(set(ettlingens)) == len(ettlingens)
    one = tenders[0]
    found = lead.get("/tenders", params={"reference": one["reference"].lower()}).json()["data"]
    assert [t["id"] for t in found] == [one["id"]]
    assert lead.get(f"/tenders/{one['id']}").json()["reference"] == one["reference"]
    too_long = lead.get("/tenders", params={"reference": "X" * 41})
    assert too_long.status_code in (400, 422) and too_long.headers["content-type"].startswith(
        "application/problem+json"
    )
