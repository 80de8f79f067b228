"""An award never ends without its contracts, and never makes them twice: kill -9 the contracts service during awards.

The tenders service writes each award and its contract order (the outbox) in one transaction; its relay
delivers the order until the contracts service confirms, and the contracts service makes an order's
contracts once. Here the contracts service dies before, between and during awards, and comes back.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import grpc
import httpx
import pytest
from civicpool.contracts.v1 import contracts_pb2 as pb
from civicpool.contracts.v1.contracts_pb2_grpc import ContractsServiceStub
from civicpool_cli.stack import Stack
from google.protobuf.timestamp_pb2 import Timestamp

from tests.conftest import ApiFactory
from tests.integration.test_demand_api import add_line, new_round
from tests.support.tokens import TokenSource, service_token

TENDERS = 6
BIDDING_SECONDS_EACH = 2.0  # time to prepare one tender before bidding closes
DELIVERED_WITHIN_SECONDS = 60.0  # the relay sweeps every few seconds; the restarted service needs a moment


def _evaluated_tenders(api: ApiFactory, count: int) -> list[dict[str, Any]]:
    """Tenders of Ettlingen ready to award: two lots each, one bid per lot, evaluated."""
    lead, vendor = api("ettlingen.lead"), api("vendor.rheintal")
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3 + BIDDING_SECONDS_EACH * count)
    tenders = []
    for _ in range(count):
        round_ = new_round(api)
        add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 12)
        add_line(api, round_["id"], "buehl.it", "VPN-SEAT", 8)
        add_line(api, round_["id"], "bruchsal.it", "HEADSET-USB", 5)
        assert lead.post(f"/rounds/{round_['id']}/close").status_code == 200
        created = lead.post("/tenders", json={"round_id": round_["id"]})
        assert created.status_code == 201, created.text
        tender = created.json()
        changed = lead.patch(f"/tenders/{tender['id']}", json={"bids_due_at": due.isoformat()},
                             headers={"If-Match": created.headers["ETag"]})  # fmt: skip
        assert changed.status_code == 200, changed.text
        tender = lead.post(f"/tenders/{tender['id']}/publish").json()
        for lot in tender["lots"]:
            item = lot["items"][0]
            bid = {"lot_id": lot["id"], "prices": [{"item_id": item["item_id"], "unit_price_cents": 2_500}],
                   "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False}  # fmt: skip
            assert vendor.post(f"/tenders/{tender['id']}/bids", json=bid).status_code == 201
        tenders.append(tender)
    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    for tender in tenders:
        assert lead.post(f"/tenders/{tender['id']}/close-bidding").status_code == 200
        bids = lead.get(f"/tenders/{tender['id']}/bids").json()["data"]
        weights = {"price": 60, "quality": 25, "data_protection": 15}
        scores = [{"bid_id": b["id"], "quality": 70} for b in bids]
        evaluated = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
        assert evaluated.status_code == 200, evaluated.text
        tender["awards"] = [{"lot_id": r["lot_id"], "bid_id": r["bid_id"]} for r in evaluated.json()["rows"]]
    return tenders


def _award(api: ApiFactory, tender: dict[str, Any]) -> httpx.Response:
    return api("ettlingen.lead").post(f"/tenders/{tender['id']}/award", json={"awards": tender["awards"]})


def _contracts_of(api: ApiFactory, tender_id: str) -> list[dict[str, Any]]:
    response = api("ettlingen.lead").get("/contracts", params={"tender_id": tender_id})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def _delivered(api: ApiFactory, tender_id: str) -> bool:
    """The tender's two contracts are there (a 503 while the gateway reconnects to the restarted service: not yet)."""
    response = api("ettlingen.lead").get("/contracts", params={"tender_id": tender_id})
    return response.status_code == 200 and len(response.json()["data"]) == 2


def test_killing_the_contracts_service_during_awards_loses_and_doubles_no_contract(
    stack: Stack, api: ApiFactory
) -> None:
    tenders = _evaluated_tenders(api, TENDERS)
    answers: dict[str, httpx.Response] = {}

    first = _award(api, tenders[0])  # the contracts service is up: the answer carries the contracts
    assert first.status_code == 200, first.text
    assert first.json()["contracts_pending"] is False and len(first.json()["contracts"]) == 2
    answers[tenders[0]["id"]] = first

    racing = [threading.Thread(target=lambda t=t: answers.__setitem__(t["id"], _award(api, t))) for t in tenders[1:3]]
    for thread in racing:
        thread.start()
    stack.kill("contracts")  # while those two awards are on their way
    try:
        for thread in racing:
            thread.join(timeout=60)
        for tender in tenders[3:]:  # the contracts service is down: the award stands, its contracts follow
            answers[tender["id"]] = _award(api, tender)
            answer = answers[tender["id"]].json()
            assert (answer["contracts_pending"], answer["contracts"]) == (True, [])
    finally:
        stack.start("contracts")
        stack.wait_for("contracts", lambda: stack.service_serving("contracts"), timeout=60)

    for tender in tenders:
        answer = answers[tender["id"]]
        assert answer.status_code == 200, answer.text  # an award never failed for the contracts service
        assert answer.json()["tender"]["status"] == "awarded"

    deadline = time.monotonic() + DELIVERED_WITHIN_SECONDS
    pending = {t["id"] for t in tenders}
    while pending and time.monotonic() < deadline:
        pending = {tender_id for tender_id in pending if not _delivered(api, tender_id)}
        time.sleep(0.5)
    assert pending == set(), "awards left without their contracts"

    time.sleep(6)  # another sweep of the relay: it must not add anything
    for tender in tenders:
        contracts = _contracts_of(api, tender["id"])
        assert len(contracts) == 2  # one per awarded lot item, made once
        assert sorted(c["lot_id"] for c in contracts) == sorted(a["lot_id"] for a in tender["awards"])
        shares = {(item["item_id"], s["city_id"]): s["quantity"]
                  for lot in tender["lots"] for item in lot["items"] for s in item["shares"]}  # fmt: skip
        for contract in contracts:
            quotas = {(contract["item_id"], q["city_id"]): q["quantity"] for q in contract["quotas"]}
            assert quotas == {key: value for key, value in shares.items() if key[0] == contract["item_id"]}
        given = answers[tender["id"]].json()["contracts"]
        if given:  # what the award answered is what stands
            assert sorted(c["id"] for c in given) == sorted(c["id"] for c in contracts)


def test_an_award_order_delivered_twice_makes_its_contracts_once(
    stack: Stack, api: ApiFactory, tokens: TokenSource
) -> None:
    [tender] = _evaluated_tenders(api, 1)
    awarded = _award(api, tender).json()
    order = pb.CreateAwardContractsRequest(
        tender_id=tender["id"], lead_city_id="ettlingen", awarded_by="someone.else",
        awarded_at=Timestamp(seconds=int(time.time())),
        starts_on="2027-01-01", ends_on="2028-12-31", renewal_notice_on="2028-10-02",
        items=[pb.AwardedItem(contract_id="another-id", lot_id=tender["lots"][0]["id"], bid_id="b", vendor_id="x",
                              item_id="i", sku="S", name="N", unit="St", kind="license", unit_price_cents=1,
                              ceiling_quantity=1)],
    )  # fmt: skip
    as_tenders = (("x-service-authorization", f"Bearer {service_token(stack, 'tenders')}"),)
    with grpc.insecure_channel(stack.address("contracts")) as channel:
        stub = ContractsServiceStub(channel)
        again = stub.CreateAwardContracts(order, timeout=10, metadata=as_tenders)
        # The tender's contracts exist: a repeated delivery answers them, whatever it says now.
        assert sorted(c.id for c in again.contracts) == sorted(c["id"] for c in awarded["contracts"])
        for metadata in ((("authorization", f"Bearer {tokens('ettlingen.lead')}"),),
                         (("x-service-authorization", f"Bearer {service_token(stack, 'demand')}"),)):  # fmt: skip
            with pytest.raises(grpc.RpcError) as refused:
                stub.CreateAwardContracts(order, timeout=10, metadata=metadata)
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED  # type: ignore[attr-defined]
    assert len(_contracts_of(api, tender["id"])) == 2
