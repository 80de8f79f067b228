"""Joint tenders through the gateway with real Keycloak users, and sealing checked directly over gRPC."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import grpc
import pytest
from civicpool.tenders.v1 import tenders_pb2 as pb
from civicpool.tenders.v1.tenders_pb2_grpc import TendersServiceStub
from civicpool_cli import demo
from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.integration.test_demand_api import add_line, new_round
from tests.support.ocds_schema import ocds_errors
from tests.support.tokens import TokenSource

BIDDING_SECONDS = 4.0


def _closed_round(api: ApiFactory) -> str:
    round_ = new_round(api)
    add_line(api, round_["id"], "bruchsal.it", "VPN-SEAT", 40)
    add_line(api, round_["id"], "buehl.it", "VPN-SEAT", 20)
    add_line(api, round_["id"], "bruchsal.it", "HEADSET-USB", 30)
    closed = api("ettlingen.lead").post(f"/rounds/{round_['id']}/close")
    assert closed.status_code == 200, closed.text
    return str(round_["id"])


def _bid(tender: dict[str, Any], sku: str, cents: int, **declarations: Any) -> dict[str, Any]:
    lot = next(lot for lot in tender["lots"] if lot["items"][0]["sku"] == sku)
    body = {"lot_id": lot["id"], "prices": [{"item_id": lot["items"][0]["item_id"], "unit_price_cents": cents}],
            "delivery_days": 7, "hosting_region": "DE", "dpa_offered": True, "open_source": False}  # fmt: skip
    return body | declarations


def _grpc_bids(stack: Stack, token: str, tender_id: str) -> tuple[grpc.StatusCode, list[str]]:
    with grpc.insecure_channel(stack.address("tenders")) as channel:
        stub = TendersServiceStub(channel)
        try:
            reply = stub.ListBids(
                pb.ListBidsRequest(tender_id=tender_id), timeout=5, metadata=(("authorization", f"Bearer {token}"),)
            )
        except grpc.RpcError as error:
            return error.code(), []  # type: ignore[attr-defined]
        return grpc.StatusCode.OK, [b.vendor_id for b in reply.bids]


def test_the_whole_tender_lifecycle_with_sealed_bids(api: ApiFactory, stack: Stack, tokens: TokenSource) -> None:
    lead, rheintal, schwarzwald = api("ettlingen.lead"), api("vendor.rheintal"), api("vendor.schwarzwald")
    round_id = _closed_round(api)
    for outsider in ("bruchsal.it", "bruchsal.finance", "vendor.rheintal"):
        refused = api(outsider).post("/tenders", json={"round_id": round_id})
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    created = lead.post("/tenders", json={"round_id": round_id})
    assert created.status_code == 201, created.text
    tender = created.json()
    assert tender["participating_city_ids"] == ["bruchsal", "buehl"]
    assert api("ettlingen.lead").get(f"/rounds/{round_id}").json()["status"] == "bundled"
    for outsider in ("bruchsal.it", "bruchsal.finance"):
        assert api(outsider).patch(f"/tenders/{tender['id']}", json={"title": "x", "version": 1}).status_code == 403
        assert api(outsider).post(f"/tenders/{tender['id']}/cancel", json={"reason": "x"}).status_code == 403
        assert api(outsider).post(f"/tenders/{tender['id']}/publish").status_code == 403

    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=BIDDING_SECONDS)
    patched = lead.patch(f"/tenders/{tender['id']}", json={"bids_due_at": due.isoformat()},
                         headers={"If-Match": created.headers["ETag"]})  # fmt: skip
    assert patched.status_code == 200, patched.text
    tender = lead.post(f"/tenders/{tender['id']}/publish").json()
    assert tender["status"] == "published"
    seen_by_vendor = rheintal.get(f"/tenders/{tender['id']}").json()
    assert seen_by_vendor["estimated_value_cents"] == 0 and seen_by_vendor["events"] == []
    assert seen_by_vendor["recommended_procedure"] is None and seen_by_vendor["recommendation_reason"] == ""
    assert all(item["shares"] == [] for lot in seen_by_vendor["lots"] for item in lot["items"])

    own = rheintal.post(f"/tenders/{tender['id']}/bids", json=_bid(tender, "VPN-SEAT", 3_300))
    assert own.status_code == 201, own.text
    other = schwarzwald.post(f"/tenders/{tender['id']}/bids", json=_bid(tender, "VPN-SEAT", 3_100, open_source=True))
    assert other.status_code == 201, other.text
    schwarzwald.post(f"/tenders/{tender['id']}/bids", json=_bid(tender, "HEADSET-USB", 4_500, hosting_region=None))

    # Sealed: the lead and a city read nothing; each vendor only its own; the same directly over gRPC.
    sealed = lead.get(f"/tenders/{tender['id']}/bids")
    assert sealed.status_code == 409 and "sealed" in sealed.json()["detail"]
    assert api("bruchsal.it").get(f"/tenders/{tender['id']}/bids").status_code == 403
    assert [b["vendor_id"] for b in rheintal.get(f"/tenders/{tender['id']}/bids").json()["data"]] == ["rheintal"]
    assert _grpc_bids(stack, tokens("ettlingen.lead"), tender["id"])[0] == grpc.StatusCode.FAILED_PRECONDITION
    assert _grpc_bids(stack, tokens("vendor.rheintal"), tender["id"]) == (grpc.StatusCode.OK, ["rheintal"])
    foreign = schwarzwald.put(f"/tenders/{tender['id']}/bids/{own.json()['id']}",
                              json=_bid(tender, "VPN-SEAT", 1) | {"version": 1})  # fmt: skip
    assert foreign.status_code == 404
    early = lead.post(f"/tenders/{tender['id']}/close-bidding")
    assert early.status_code == 409 and "bidding is open until" in early.json()["detail"]

    time.sleep(max(0.0, (due - dt.datetime.now(dt.UTC)).total_seconds()) + 0.3)
    late = api("vendor.globalmeet").post(f"/tenders/{tender['id']}/bids", json=_bid(tender, "VPN-SEAT", 1))
    assert late.status_code == 409 and "late bids are refused" in late.json()["detail"]
    opened = lead.post(f"/tenders/{tender['id']}/close-bidding").json()
    assert opened["status"] == "bidding_closed" and opened["bids_opened_by"] == "ettlingen.lead"
    bids = lead.get(f"/tenders/{tender['id']}/bids").json()["data"]
    assert sorted(b["vendor_id"] for b in bids) == ["rheintal", "schwarzwald", "schwarzwald"]
    assert [b["vendor_id"] for b in rheintal.get(f"/tenders/{tender['id']}/bids").json()["data"]] == ["rheintal"]

    scores = [{"bid_id": b["id"], "quality": 80} for b in bids]
    weights = {"price": 60, "quality": 30, "data_protection": 20}
    bad = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "weights"
    weights = {"price": 60, "quality": 25, "data_protection": 15}
    evaluation = lead.post(f"/tenders/{tender['id']}/evaluate", json={"weights": weights, "scores": scores})
    assert evaluation.status_code == 200, evaluation.text
    rows = evaluation.json()["rows"]
    vpn_winner = next(
        r
        for r in rows
        if r["rank"] == 1 and r["vendor_id"] == "schwarzwald" and r["evaluated_price_cents"] == 60 * 3_100
    )
    assert vpn_winner["total_score_milli"] == 60_000 + 20_000 + 15 * (85 + 15) * 10
    assert api("vendor.schwarzwald").get(f"/tenders/{tender['id']}/evaluation").status_code == 403

    best = [{"lot_id": r["lot_id"], "bid_id": r["bid_id"]} for r in rows if r["rank"] == 1]
    awarded = lead.post(f"/tenders/{tender['id']}/award", json={"awards": best, "starts_on": "2027-01-01"})
    assert awarded.status_code == 200, awarded.text
    result = awarded.json()
    assert result["tender"]["status"] == "awarded"
    assert result["contracts_pending"] is False  # the contracts service answered at once
    assert {(c["lot_id"], c["bid_id"]) for c in result["contracts"]} == {(a["lot_id"], a["bid_id"]) for a in best}
    shares = {(item["item_id"], s["city_id"]): s["quantity"]
              for lot in tender["lots"] for item in lot["items"] for s in item["shares"]}  # fmt: skip
    for contract in result["contracts"]:
        assert {(contract["item_id"], q["city_id"]): q["quantity"] for q in contract["quotas"]} == {
            key: value for key, value in shares.items() if key[0] == contract["item_id"]
        }
        assert contract["ceiling_value_cents"] == contract["ceiling_quantity"] * contract["unit_price_cents"]
        assert (contract["starts_on"], contract["ends_on"]) == ("2027-01-01", "2028-12-31")
    outcome = {b["id"]: b["outcome"] for b in rheintal.get(f"/tenders/{tender['id']}/bids").json()["data"]}
    assert outcome == {own.json()["id"]: "not_awarded"}

    package = lead.get(f"/tenders/{tender['id']}/ocds")
    assert package.status_code == 200 and ocds_errors(package.json()) == []
    roles = {p["id"]: p["roles"] for p in package.json()["releases"][0]["parties"]}
    assert roles["city-ettlingen"] == ["procuringEntity", "buyer"]  # the lead, though without a share here
    assert roles["vendor-schwarzwald"] == ["tenderer", "supplier"] and roles["vendor-rheintal"] == ["tenderer"]
    assert api("vendor.rheintal").get(f"/tenders/{tender['id']}/ocds").status_code == 403


def test_the_demo_includes_an_awarded_tender_with_contracts_and_valid_ocds(api: ApiFactory) -> None:
    lead = api("ettlingen.lead")
    awarded = lead.get("/tenders", params={"status": "awarded", "limit": 500}).json()["data"]
    tender = next(t for t in awarded if t["title"] == demo.DEMO_TENDER_ROUND["title"])
    contracts = lead.get("/contracts", params={"tender_id": tender["id"]}).json()["data"]
    assert {c["sku"]: c["vendor_id"] for c in contracts} == {
        "VPN-SEAT": "rheintal",
        "VC-JITSI-SELFHOSTED": "schwarzwald",
    }
    vpn = next(c for c in contracts if c["sku"] == "VPN-SEAT")
    assert vpn["ceiling_quantity"] == 225 and vpn["unit_price_cents"] == 3_100  # the tier from 200 seats
    package = lead.get(f"/tenders/{tender['id']}/ocds").json()
    assert ocds_errors(package) == []
    release = package["releases"][0]
    buyers = {p["name"] for p in release["parties"] if "buyer" in p["roles"]}
    # The five cities of the tender, and Rastatt, which joined the VPN contract by a quota shift.
    assert buyers == {"Bruchsal", "Bretten", "Ettlingen", "Rheinstetten", "Stutensee", "Rastatt"}
    assert {c["buyer"]["name"] for c in release["contracts"]} == buyers
    # Bruchsal's finance sees its own quota only; Gaggenau, which took no part, sees no contract.
    bruchsal = api("bruchsal.finance").get("/contracts", params={"tender_id": tender["id"]}).json()["data"]
    assert {q["city_id"] for c in bruchsal for q in c["quotas"]} == {"bruchsal"}
    assert api("gaggenau.finance").get("/contracts", params={"tender_id": tender["id"]}).json()["data"] == []
    assert api("gaggenau.it").get(f"/tenders/{tender['id']}").status_code == 404


def test_a_tender_is_not_made_twice_nor_from_an_open_round(api: ApiFactory) -> None:
    lead = api("ettlingen.lead")
    open_round = new_round(api)
    refused = lead.post("/tenders", json={"round_id": open_round["id"]})
    assert refused.status_code == 409 and refused.json()["current_status"] == "open"
    round_id = _closed_round(api)
    first = lead.post("/tenders", json={"round_id": round_id}).json()
    assert lead.post("/tenders", json={"round_id": round_id}).json()["id"] == first["id"]
    assert api("rastatt.lead").post("/tenders", json={"round_id": round_id}).status_code == 403
    missing = lead.post("/tenders", json={"round_id": "no-such-round"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [({"procedure": "open_eu"}, "procedure_justification"), ({"bids_due_at": "2020-01-01T00:00:00Z"}, "bids_due_at")],
)
def test_tender_changes_are_validated(api: ApiFactory, change: dict[str, Any], field: str) -> None:
    lead = api("ettlingen.lead")
    tender = lead.post("/tenders", json={"round_id": _closed_round(api)}).json()
    refused = lead.patch(f"/tenders/{tender['id']}", json=change | {"version": tender["version"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field


def test_city_users_cannot_change_tenders_even_directly_over_grpc(
    api: ApiFactory, stack: Stack, tokens: TokenSource
) -> None:
    round_id = _closed_round(api)
    with grpc.insecure_channel(stack.address("tenders")) as channel:
        stub = TendersServiceStub(channel)

        def code(call: Any, request: Any, user: str) -> grpc.StatusCode:
            try:
                call(request, timeout=5, metadata=(("authorization", f"Bearer {tokens(user)}"),))
            except grpc.RpcError as error:
                return error.code()  # type: ignore[attr-defined,no-any-return]
            return grpc.StatusCode.OK

        create = pb.CreateTenderRequest(round_id=round_id)
        assert code(stub.CreateTender, create, "bruchsal.it") == grpc.StatusCode.PERMISSION_DENIED
        assert code(stub.CreateTender, create, "bruchsal.finance") == grpc.StatusCode.PERMISSION_DENIED
        tender_id = api("ettlingen.lead").post("/tenders", json={"round_id": round_id}).json()["id"]
        cancel = pb.TenderTransitionRequest(id=tender_id, reason="x")
        for user in ("bruchsal.it", "bruchsal.finance", "rastatt.lead", "vendor.rheintal"):
            assert code(stub.CancelTender, cancel, user) == grpc.StatusCode.PERMISSION_DENIED
    assert api("ettlingen.lead").get(f"/tenders/{tender_id}").json()["status"] == "draft"
