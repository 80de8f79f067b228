"""A framework with several vendors through the gateway with real Keycloak users: awarded to the three best-ranked
bids, called off from the first, passed on along the cascade, the quota held for all vendors together."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid

from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.support.tenders import awarded

GERMAN = {"Accept-Language": "de-DE"}


def test_an_award_to_three_vendors_called_off_in_rank_order_and_passed_on(api: ApiFactory) -> None:
    result = awarded(api, 3_000, vendors=3)
    contracts = sorted(result["contracts"], key=lambda c: c["framework"]["rank"])
    assert [(c["vendor_id"], c["unit_price_cents"]) for c in contracts] == [
        ("rheintal", 3_000), ("schwarzwald", 3_500), ("globalmeet", 4_000),
    ]  # fmt: skip
    [lot] = result["tender"]["lots"]
    assert (
        lot["framework_bid_ids"] == [c["bid_id"] for c in contracts]
        and lot["awarded_bid_id"] == lot["framework_bid_ids"][0]
    )
    first, second, third = (c["id"] for c in contracts)
    city = api("bruchsal.it")

    refused = city.post(f"/contracts/{second}/allocations", json={"city_id": "bruchsal", "quantity": 1},
                        headers=GERMAN)  # fmt: skip
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert "Rang 2" in refused.json()["detail"]

    called = city.post(f"/contracts/{first}/allocations", json={"city_id": "bruchsal", "quantity": 5})
    assert called.status_code == 201, called.text
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"cause": "declined", "reason": "Modell nicht mehr lieferbar"}
    path = f"/ledger/transactions/{called.json()['transaction']['id']}/pass-on"
    passed = city.post(path, json=body, headers=key)
    assert passed.status_code == 201, passed.text
    assert (passed.json()["contract_id"], passed.json()["movements"][0]["amount_cents"]) == (second, 5 * 3_500)
    again = city.post(path, json=body, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == passed.json()["id"]
    assert city.post(path, json=body).status_code == 409  # passed on once
    assert api("buehl.it").post(path, json=body).status_code == 404  # another city's call-off: as if missing
    assert city.post(path, json={"cause": "lost", "reason": "x"}).status_code == 422

    over = city.post(f"/contracts/{first}/allocations", json={"city_id": "bruchsal", "quantity": 4},
                     headers=GERMAN)  # fmt: skip
    assert over.status_code == 409
    assert "noch 3 von ihrem Kontingent von 8 in der Rahmenvereinbarung" in over.json()["detail"]

    seen = city.get(f"/contracts/{third}").json()["framework"]
    assert (seen["called_off"], seen["max_quantity"], seen["quotas"]) == (
        5, 8, [{"city_id": "bruchsal", "quota": 8, "called_off": 5}],
    )  # fmt: skip
    assert api("vendor.globalmeet").get(f"/contracts/{third}").json()["framework"]["quotas"] == []
    assert api("vendor.globalmeet").get(f"/contracts/{first}").status_code == 404


def test_a_mini_competition_won_by_the_second_ranked_vendor_is_called_off_at_its_offer(
    api: ApiFactory, stack: Stack
) -> None:
    contracts = sorted(awarded(api, 3_000, vendors=3)["contracts"], key=lambda c: c["framework"]["rank"])
    framework = contracts[0]["framework"]["id"]
    city, due = api("bruchsal.it"), dt.datetime.now(dt.UTC) + dt.timedelta(hours=4)
    invitation = {"quantities": [{"city_id": "bruchsal", "quantity": 6}], "offers_due_at": due.isoformat(),
                  "description": "Lieferung bis Monatsende ins Rathaus"}  # fmt: skip
    started = city.post(f"/frameworks/{framework}/mini-competitions", json=invitation)
    assert started.status_code == 201, started.text
    path = f"/mini-competitions/{started.json()['id']}"
    assert api("buehl.it").get(path).status_code == 404
    above = api("vendor.schwarzwald").put(f"{path}/offer", json={"unit_price_cents": 3_600}, headers=GERMAN)
    assert above.status_code == 422 and "höchstens 35,00" in above.text  # its framework price
    for vendor, cents in (("rheintal", 2_990), ("schwarzwald", 2_700)):
        offered = api(f"vendor.{vendor}").put(f"{path}/offer", json={"unit_price_cents": cents})
        assert offered.status_code == 200, offered.text
    assert city.get(path).json()["offers"] == []  # sealed until due
    assert [o["vendor_id"] for o in api("vendor.rheintal").get(path).json()["offers"]] == ["rheintal"]
    early = city.post(f"{path}/decision")
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
    with sqlite3.connect(stack.data_dir / "contracts.db") as db:
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.%f")  # as stored
        db.execute("UPDATE mini_competitions SET offers_due_at = ? WHERE id = ?", (past, started.json()["id"]))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    decided = city.post(f"{path}/decision", headers=key)
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["winner_vendor_id"], body["unit_price_cents"]) == ("awarded", "schwarzwald", 2_700)
    assert city.post(f"{path}/decision", headers=key).headers["Idempotent-Replayed"] == "true"
    [call_off] = body["call_off_ids"]
    posting = next(t for t in city.get("/ledger/transactions", params={"contract_id": contracts[1]["id"]}).json()[
        "data"] if t["id"] == call_off)  # fmt: skip
    assert {e["account"]: e["amount_cents"] for e in posting["entries"]}["city:bruchsal"] == -6 * 2_700
    listed = city.get(f"/frameworks/{framework}/mini-competitions").json()["data"]
    assert [c["id"] for c in listed] == [started.json()["id"]]
