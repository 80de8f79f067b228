"""Tenders made through the gateway as Ettlingen's lead would, for the tests of what happens on them."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import ApiFactory
from tests.integration.test_demand_api import add_line, new_round

BERLIN = ZoneInfo("Europe/Berlin")


def draft_tender(api: ApiFactory) -> dict[str, Any]:
    """A draft tender of Ettlingen from a fresh round with Bruchsal's demand for 8 VPN seats."""
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 8)
    assert api("ettlingen.lead").post(f"/rounds/{round_['id']}/close").status_code == 200
    created = api("ettlingen.lead").post("/tenders", json={"round_id": round_["id"]})
    assert created.status_code == 201, created.text
    return dict(created.json())


def set_bids_due(api: ApiFactory, tender_id: str, due: dt.datetime) -> None:
    lead = api("ettlingen.lead")
    version = lead.get(f"/tenders/{tender_id}").json()["version"]
    changed = lead.patch(f"/tenders/{tender_id}", json={"bids_due_at": due.isoformat(), "version": version})
    assert changed.status_code == 200, changed.text


def awarded_contract(api: ApiFactory, unit_price_cents: int = 3_000) -> dict[str, Any]:
    """A contract of its own for a test that changes it: Ettlingen's tender for Bruchsal's 8 VPN seats, bid by
    Rheintal within seconds, awarded from today on."""
    tender = draft_tender(api)
    lead, rheintal = api("ettlingen.lead"), api("vendor.rheintal")
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    set_bids_due(api, tender["id"], due)
    assert lead.post(f"/tenders/{tender['id']}/publish").status_code == 200
    lot = tender["lots"][0]
    bid = rheintal.post(f"/tenders/{tender['id']}/bids", json={
        "lot_id": lot["id"], "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": unit_price_cents}],
        "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False,
    })  # fmt: skip
    assert bid.status_code == 201, bid.text
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    assert lead.post(f"/tenders/{tender['id']}/close-bidding").status_code == 200
    weights = {"price": 60, "quality": 25, "data_protection": 15}
    scores = [{"bid_id": bid.json()["id"], "quality": 80}]
    evaluated = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
    assert evaluated.status_code == 200, evaluated.text
    today = dt.datetime.now(BERLIN).date().isoformat()
    awarded = lead.post(
        f"/tenders/{tender['id']}/award",
        json={"awards": [{"lot_id": lot["id"], "bid_id": bid.json()["id"]}], "starts_on": today},
    )
    assert awarded.status_code == 200, awarded.text
    [contract] = awarded.json()["contracts"]
    return dict(contract)
