"""An award made on another platform, recorded through the gateway with real Keycloak users and called off."""

from __future__ import annotations

import datetime as dt

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_demand_api import add_line, item_ids, new_round
from tests.support.tenders import BERLIN

GERMAN = {"Accept-Language": "de-DE"}


def test_an_award_made_on_the_state_platform_is_recorded_and_called_off(api: ApiFactory) -> None:
    round_ = new_round(api, title="Headsets (Vergabe auf dem Landesportal)")
    add_line(api, round_["id"], "bruchsal.it", "HEADSET-USB", 12)
    add_line(api, round_["id"], "bretten.it", "HEADSET-USB", 8)
    lead = api("ettlingen.lead")
    assert lead.post(f"/rounds/{round_['id']}/close").status_code == 200
    headset = item_ids(api)["HEADSET-USB"]
    body = {
        "round_id": round_["id"], "platform": "Vergabemarktplatz Baden-Württemberg",
        "notice_number": "2026/S 201-612345",
        "notice_date": (dt.datetime.now(BERLIN).date() - dt.timedelta(days=2)).isoformat(), "procedure": "open_eu",
        "lots": [{"title": "Headsets", "items": [{"item_id": headset, "estimated_quantity": 0, "max_quantity": 19}],
                  "vendors": [{"vendor_id": v, "prices": [{"item_id": headset, "unit_price_cents": c}]}
                              for v, c in (("schwarzwald", 4_500), ("rheintal", 4_700))]}],
    }  # fmt: skip
    too_small = lead.post("/tenders/external-awards", json=body, headers=GERMAN)
    assert too_small.status_code == 422 and too_small.headers["content-type"] == PROBLEM
    assert "mindestens 20" in too_small.text  # the maximum must hold the cities' quotas
    body["lots"][0]["items"][0]["max_quantity"] = 30
    assert api("rastatt.lead").post("/tenders/external-awards", json=body).status_code == 403  # not its round
    recorded = lead.post("/tenders/external-awards", json=body)
    assert recorded.status_code == 201, recorded.text
    tender, contracts = recorded.json()["tender"], recorded.json()["contracts"]
    assert tender["status"] == "awarded" and tender["external"]["platform"] == "Vergabemarktplatz Baden-Württemberg"
    first = next(c for c in contracts if c["framework"]["rank"] == 1)
    assert (first["vendor_id"], first["framework"]["max_quantity"], first["status"]) == ("schwarzwald", 30, "active")
    called = api("bruchsal.it").post(f"/contracts/{first['id']}/allocations",
                                     json={"city_id": "bruchsal", "quantity": 12})  # fmt: skip
    assert called.status_code == 201, called.text
    assert called.json()["movements"][0]["amount_cents"] == 12 * 4_500
    assert api("bretten.it").get(f"/tenders/{tender['id']}").status_code == 200  # a party sees where it ran
    ocds = lead.get(f"/tenders/{tender['id']}/ocds").json()
    assert "2026/S 201-612345" in ocds["releases"][0]["tender"]["procurementMethodDetails"]
    assert lead.post("/tenders/external-awards", json=body).status_code == 409  # the round is the tender's now
    notice = {"file": ("Bekanntmachung.pdf", b"%PDF-1.7\n% Vergabebekanntmachung\n", "application/pdf")}
    kept = lead.post(f"/tenders/{tender['id']}/documents", files=notice, data={"title": "Vergabebekanntmachung"})
    assert kept.status_code == 201, kept.text  # the procedure's documents go with its record
