"""Tenders made through the gateway as Ettlingen's lead would, for the tests of what happens on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import ApiFactory
from tests.integration.test_demand_api import add_line, new_round


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
