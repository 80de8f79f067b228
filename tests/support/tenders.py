"""Tenders made through the gateway as Ettlingen's lead would, for the tests of what happens on them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import ApiFactory
from tests.integration.test_demand_api import add_line, new_round

BERLIN = ZoneInfo("Europe/Berlin")


BRUCHSALS_VPN = (("bruchsal.it", "VPN-SEAT", 8),)  # (city user, SKU, quantity) of each demand line


def draft_tender(api: ApiFactory, demand: Sequence[tuple[str, str, int]] = BRUCHSALS_VPN) -> dict[str, Any]:
    """A draft tender of Ettlingen from a fresh round with this demand (Bruchsal's 8 VPN seats by default)."""
    round_ = new_round(api)
    for user, sku, quantity in demand:
        add_line(api, round_["id"], user, sku, quantity)
    assert api("ettlingen.lead").post(f"/rounds/{round_['id']}/close").status_code == 200
    created = api("ettlingen.lead").post("/tenders", json={"round_id": round_["id"]})
    assert created.status_code == 201, created.text
    return dict(created.json())


def set_bids_due(api: ApiFactory, tender_id: str, due: dt.datetime) -> None:
    lead = api("ettlingen.lead")
    version = lead.get(f"/tenders/{tender_id}").json()["version"]
    changed = lead.patch(f"/tenders/{tender_id}", json={"bids_due_at": due.isoformat(), "version": version})
    assert changed.status_code == 200, changed.text


def evaluated(
    api: ApiFactory, unit_price_cents: int = 3_000, *, standstill: bool = False,
    bidders: Sequence[str] = ("rheintal", "schwarzwald"), demand: Sequence[tuple[str, str, int]] = BRUCHSALS_VPN,
) -> tuple[dict[str, Any], dict[str, str]]:  # fmt: skip
    """Ettlingen's tender for the demand (Bruchsal's 8 VPN seats by default), evaluated, and its bids by vendor: the
    first of `bidders` bids `unit_price_cents` within seconds, each next one 5 € more (so they rank in this order);
    with `standstill` switched on first."""
    tender = draft_tender(api, demand)
    lead = api("ettlingen.lead")
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    changes = {"bids_due_at": due.isoformat(), "standstill": standstill, "version": tender["version"]}
    assert lead.patch(f"/tenders/{tender['id']}", json=changes).status_code == 200
    assert lead.post(f"/tenders/{tender['id']}/publish").status_code == 200
    lot = tender["lots"][0]
    bids = {}
    for n, vendor in enumerate(bidders):
        bid = api(f"vendor.{vendor}").post(f"/tenders/{tender['id']}/bids", json={
            "lot_id": lot["id"],
            "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": unit_price_cents + 500 * n}],
            "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False,
        })  # fmt: skip
        assert bid.status_code == 201, bid.text
        bids[vendor] = bid.json()["id"]
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    assert lead.post(f"/tenders/{tender['id']}/close-bidding").status_code == 200
    weights = {"price": 60, "quality": 25, "data_protection": 15}
    scores = [{"bid_id": bid_id, "quality": 80} for bid_id in bids.values()]
    evaluated = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
    assert evaluated.status_code == 200, evaluated.text
    return dict(lead.get(f"/tenders/{tender['id']}").json()), bids


VENDORS = ("rheintal", "schwarzwald", "globalmeet")


def awarded(
    api: ApiFactory, unit_price_cents: int = 3_000, *, standstill: bool = False, vendors: int = 1,
    bidders: Sequence[str] = VENDORS[:2], demand: Sequence[tuple[str, str, int]] = BRUCHSALS_VPN,
) -> dict[str, Any]:  # fmt: skip
    """The award (tender and contracts) of the `evaluated` tender to the first of `bidders` (or, with several
    `vendors`, as a framework to the first this many, in rank order) from today on."""
    bidders = bidders if len(bidders) >= vendors else VENDORS[:vendors]
    tender, bids = evaluated(api, unit_price_cents, standstill=standstill, bidders=bidders, demand=demand)
    today = dt.datetime.now(BERLIN).date().isoformat()
    award = {"lot_id": tender["lots"][0]["id"], "bid_id": bids[bidders[0]], "vendors": vendors}
    result = api("ettlingen.lead").post(f"/tenders/{tender['id']}/award", json={"awards": [award], "starts_on": today})
    assert result.status_code == 200, result.text
    return dict(result.json())


def awarded_contract(api: ApiFactory, unit_price_cents: int = 3_000) -> dict[str, Any]:
    """A contract of its own for a test that changes it (the award of `awarded`, concluded at once)."""
    [contract] = awarded(api, unit_price_cents)["contracts"]
    return dict(contract)
