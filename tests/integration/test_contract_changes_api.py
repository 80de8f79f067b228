"""Changes of contracts (§ 132 GWB) through the gateway with real Keycloak users, on a contract of their own."""

from __future__ import annotations

import uuid

from tests.conftest import PROBLEM, ApiFactory
from tests.support.tenders import awarded_contract

GERMAN = {"Accept-Language": "de-DE"}


def test_a_price_adjustment_and_a_quantity_increase_beyond_the_limit_with_its_ground(api: ApiFactory) -> None:
    """8 seats at 30 €: 10 % of the value is 24 €. A price of 32 € (+16 € for the 8 seats, limit now 25,60 €)
    passes; one seat more (+32 €) goes beyond it and needs a ground of § 132 (2)."""
    contract = awarded_contract(api, unit_price_cents=3_000)
    lead, path = api("ettlingen.lead"), f"/contracts/{contract['id']}/changes"
    rise = {"kind": "price_adjustment", "unit_price_cents": 3_200, "index_name": "VPI 2020=100",
            "justification": "Preisgleitklausel § 5: Verbraucherpreisindex"}  # fmt: skip
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = lead.post(path, json=rise, headers=key | {"If-Match": f'"{contract["version"]}"'})
    assert first.status_code == 201, first.text
    assert (first.json()["value_change_cents"], first.json()["de_minimis_limit_cents"]) == (1_600, 2_560)
    again = lead.post(path, json=rise, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]

    seat = {"kind": "quantity_increase", "quota_additions": [{"city_id": "bruchsal", "quantity": 1}],
            "justification": "Ein weiterer Arbeitsplatz im Bürgerbüro"}  # fmt: skip
    beyond = lead.post(path, json=seat, headers=GERMAN)
    assert beyond.status_code == 409 and beyond.headers["content-type"] == PROBLEM
    assert "De-minimis-Grenze von 25,60\u00a0€" in beyond.json()["detail"]
    stale = lead.post(path, json=seat | {"legal_ground": "unforeseeable"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    grounded = lead.post(path, json=seat | {"legal_ground": "unforeseeable"})
    assert grounded.status_code == 201, grounded.text
    assert grounded.json()["after"]["ceiling_quantity"] == 9 and grounded.json()["cumulative_change_cents"] == 4_800

    history = lead.get(path).json()
    assert [c["kind"] for c in history["changes"]] == ["price_adjustment", "quantity_increase"]
    assert (history["original"]["unit_price_cents"], history["current"]["unit_price_cents"]) == (3_000, 3_200)
    assert history["de_minimis_left_cents"] == 0
    assert api("bruchsal.it").get(path).json()["changes"][1]["quota_additions"] == [
        {"city_id": "bruchsal", "quantity": 1}
    ]
    assert api("vendor.rheintal").get(path).json()["changes"][1]["quota_additions"] == []  # no city's share
    hidden, missing = (
        api("buehl.it").get(path),
        api("buehl.it").get("/contracts/01a219d6-0000-7000-8000-0000000dead0/changes"),
    )
    assert hidden.status_code == missing.status_code == 404
    assert api("bruchsal.it").post(path, json=seat).status_code == 403

    call_off = api("bruchsal.it").post(f"/contracts/{contract['id']}/allocations",
                                       json={"city_id": "bruchsal", "quantity": 9})  # fmt: skip
    assert call_off.status_code == 201, call_off.text
    assert call_off.json()["movements"][0]["amount_cents"] == 9 * 3_200  # at the adjusted price
