"""A framework with several vendors through the gateway with real Keycloak users: awarded to the three best-ranked
bids, called off from the first, passed on along the cascade, the quota held for all vendors together."""

from __future__ import annotations

import uuid

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
