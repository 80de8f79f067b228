"""Demand through the gateway with real Keycloak tokens: rounds, lines, aggregation, isolation, history."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import grpc
import pytest
from civicpool.demand.v1 import demand_pb2 as pb
from civicpool.demand.v1.demand_pb2_grpc import DemandServiceStub
from civicpool_cli.demo import DEMO_ROUND
from civicpool_cli.stack import Stack

from tests.conftest import PROBLEM, ApiFactory
from tests.support.tokens import TokenSource


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def new_round(api: ApiFactory, *, seconds_open: float = 86_400, open_it: bool = True, **fields: Any) -> dict[str, Any]:
    """A fresh round of Ettlingen (opened unless asked otherwise), so tests do not share demand."""
    now = dt.datetime.now(dt.UTC)
    body = {"title": "Testrunde", "opens_at": _iso(now - dt.timedelta(minutes=1)),
            "closes_at": _iso(now + dt.timedelta(seconds=seconds_open)), **fields}  # fmt: skip
    lead = api("ettlingen.lead")
    created = lead.post("/rounds", json=body)
    assert created.status_code == 201, created.text
    if not open_it:
        return dict(created.json())
    opened = lead.post(f"/rounds/{created.json()['id']}/open")
    assert opened.status_code == 200, opened.text
    return dict(opened.json())


def item_ids(api: ApiFactory) -> dict[str, str]:
    return {item["sku"]: item["id"] for item in api("bruchsal.it").get("/items", params={"limit": 500}).json()["data"]}


def add_line(api: ApiFactory, round_id: str, user: str, sku: str, quantity: int, **fields: Any) -> dict[str, Any]:
    body = {"item_id": item_ids(api)[sku], "quantity": quantity, **fields}
    response = api(user).post(f"/rounds/{round_id}/lines", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def demo_round(api: ApiFactory) -> dict[str, Any]:
    rounds = api("bruchsal.it").get("/rounds", params={"status": "open", "limit": 500}).json()["data"]
    return next(r for r in rounds if r["title"] == DEMO_ROUND["title"])


# -- the demo round -----------------------------------------------------------------------------


def test_the_demo_round_is_open_with_demand_of_several_cities(api: ApiFactory) -> None:
    round_ = demo_round(api)
    assert (round_["status"], round_["owner_city_id"]) == ("open", "ettlingen")
    aggregate = api("ettlingen.lead").get(f"/rounds/{round_['id']}/aggregate").json()
    assert aggregate["view"] == "network" and aggregate["city_count"] >= 6
    laptop = next(i for i in aggregate["items"] if i["sku"] == "LAPTOP-14")
    assert laptop["estimated_cents"] == laptop["total_quantity"] * 89_900
    assert {c["city_id"] for c in laptop["cities"]} >= {"baden-baden", "rastatt", "ettlingen"}


# -- state machine over HTTP --------------------------------------------------------------------


def test_a_forbidden_transition_is_a_409_naming_the_current_state(api: ApiFactory) -> None:
    round_ = new_round(api, open_it=False)
    lead = api("ettlingen.lead")
    refused = lead.post(f"/rounds/{round_['id']}/close")
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"] == "/problems/state-conflict"
    assert "the round is draft" in refused.json()["detail"] and refused.json()["current_status"] == "draft"
    assert lead.post(f"/rounds/{round_['id']}/open").json()["status"] == "open"
    assert lead.post(f"/rounds/{round_['id']}/open").status_code == 409
    assert lead.post(f"/rounds/{round_['id']}/close", headers={"If-Match": '"1"'}).status_code == 412
    closed = lead.post(f"/rounds/{round_['id']}/close")
    assert closed.json()["status"] == "closed" and closed.headers["ETag"] == f'"{closed.json()["version"]}"'
    assert lead.post(f"/rounds/{round_['id']}/cancel", json={"reason": ""}).status_code == 422
    cancelled = lead.post(f"/rounds/{round_['id']}/cancel", json={"reason": "Bedarf entfällt"}).json()
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Bedarf entfällt")


def test_a_lead_extends_the_deadline_of_an_open_round_with_if_match(api: ApiFactory) -> None:
    round_ = new_round(api)
    lead, path = api("ettlingen.lead"), f"/rounds/{round_['id']}"
    later = (dt.datetime.fromisoformat(round_["closes_at"]) + dt.timedelta(days=14)).isoformat()
    etag = lead.get(path).headers["ETag"]
    extended = lead.patch(path, json={"closes_at": later}, headers={"If-Match": etag})
    assert extended.status_code == 200, extended.text
    assert dt.datetime.fromisoformat(extended.json()["closes_at"]) == dt.datetime.fromisoformat(later)
    assert lead.patch(path, json={"title": "x"}, headers={"If-Match": etag}).status_code == 412
    moved = lead.patch(path, json={"opens_at": later, "version": extended.json()["version"]})
    assert moved.status_code == 409 and moved.json()["current_status"] == "open"
    assert api("rastatt.lead").patch(path, json={"title": "x", "version": 9}).status_code == 403


def test_only_the_owner_citys_lead_moves_a_round(api: ApiFactory) -> None:
    round_ = new_round(api, open_it=False)
    assert api("bruchsal.it").post(f"/rounds/{round_['id']}/open").status_code == 403
    assert api("rastatt.lead").post(f"/rounds/{round_['id']}/open").status_code == 403
    assert api("ettlingen.lead").get(f"/rounds/{round_['id']}").json()["status"] == "draft"


def test_a_line_sent_one_second_late_is_refused_and_the_round_is_closed(api: ApiFactory) -> None:
    round_ = new_round(api, seconds_open=4)
    add_line(api, round_["id"], "bruchsal.it", "LAPTOP-14", 3)
    closes_at = dt.datetime.fromisoformat(round_["closes_at"])
    time.sleep(max(0.0, (closes_at - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
    late = api("bruchsal.it").post(
        f"/rounds/{round_['id']}/lines", json={"item_id": item_ids(api)["LAPTOP-14"], "quantity": 1}
    )
    # Refused by its deadline or, if the periodic close came first, by its status: closed either way.
    assert late.status_code == 409 and late.json()["current_status"] == "closed"
    after = api("bruchsal.it").get(f"/rounds/{round_['id']}").json()
    assert (after["status"], after["status_changed_by"]) == ("closed", "system")
    lines = api("ettlingen.lead").get(f"/rounds/{round_['id']}/lines").json()["data"]
    assert [line["quantity"] for line in lines] == [3]


# -- lines, history, optimistic concurrency ----------------------------------------------------


def test_a_line_changes_by_version_and_keeps_its_history(api: ApiFactory) -> None:
    round_ = new_round(api)
    line = add_line(api, round_["id"], "bruchsal.it", "HEADSET-USB", 40, justification="Telefonie")
    path = f"/rounds/{round_['id']}/lines/{line['id']}"
    it = api("bruchsal.it")
    assert it.patch(path, json={"quantity": 41}).status_code == 428
    changed = it.patch(path, json={"quantity": 45, "priority": "high"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    stale = it.patch(path, json={"quantity": 50}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert it.patch(path, json={"quantity": 50, "version": 1}).status_code == 409
    assert it.patch(path, json={"quantity": 0, "version": 2}).status_code == 422
    withdrawn = it.post(f"{path}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"
    history = api("ettlingen.lead").get(f"{path}/history").json()
    assert [(v["version"], v["change"], v["changed_by"]) for v in history["versions"]] == [
        (1, "created", "bruchsal.it"), (2, "updated", "bruchsal.it"), (3, "withdrawn", "bruchsal.it")
    ]  # fmt: skip
    assert {"field": "quantity", "old_value": "40", "new_value": "45"} in history["versions"][1]["changes"]
    assert it.get(path).json()["quantity"] == 45


# -- isolation ----------------------------------------------------------------------------------


def test_cities_never_see_or_change_each_others_lines(api: ApiFactory) -> None:
    round_ = new_round(api)
    line = add_line(api, round_["id"], "bruchsal.it", "LAPTOP-14", 7)
    add_line(api, round_["id"], "buehl.it", "LAPTOP-14", 5)
    path = f"/rounds/{round_['id']}/lines/{line['id']}"
    buehl = api("buehl.it")
    missing = buehl.get(f"/rounds/{round_['id']}/lines/does-not-exist")
    assert buehl.get(path).status_code == missing.status_code == 404
    assert buehl.get(path).json()["detail"].replace(line["id"], "X") == missing.json()["detail"].replace(
        "does-not-exist", "X"
    )
    assert buehl.get(f"{path}/history").status_code == 404
    assert buehl.patch(path, json={"quantity": 1, "version": 1}).status_code == 404
    assert buehl.post(f"{path}/withdraw").status_code == 404
    assert api("buehl.finance").get(path).status_code == 404
    forged = {"item_id": line["item_id"], "quantity": 1000, "city_id": "bruchsal"}
    assert buehl.post(f"/rounds/{round_['id']}/lines", json=forged).status_code == 403
    assert buehl.get(f"/rounds/{round_['id']}/lines", params={"city_id": "bruchsal"}).status_code == 403
    assert {x["city_id"] for x in buehl.get(f"/rounds/{round_['id']}/lines").json()["data"]} == {"buehl"}
    assert api("bruchsal.it").get(path).json()["quantity"] == 7

    view = buehl.get(f"/rounds/{round_['id']}/aggregate").json()
    assert view["view"] == "city" and view["items"][0]["total_quantity"] == 12
    assert [c["city_id"] for c in view["items"][0]["cities"]] == ["buehl"]
    money = api("buehl.finance").get(f"/rounds/{round_['id']}/aggregate").json()
    assert (money["view"], money["total_quantity"]) == ("own-city", 5)
    lead = api("ettlingen.lead").get(f"/rounds/{round_['id']}/aggregate").json()
    assert [c["city_id"] for c in lead["items"][0]["cities"]] == ["bruchsal", "buehl"]
    for denied in ("/rounds", f"/rounds/{round_['id']}/aggregate", f"/rounds/{round_['id']}/lines"):
        assert api("vendor.rheintal").get(denied).status_code == 403


def test_the_demand_service_checks_the_city_itself(stack: Stack, tokens: TokenSource, api: ApiFactory) -> None:
    round_ = new_round(api)
    laptop = item_ids(api)["LAPTOP-14"]
    with grpc.insecure_channel(stack.address("demand")) as channel:
        stub = DemandServiceStub(channel)
        foreign = pb.CreateLineRequest(line=pb.Line(round_id=round_["id"], city_id="buehl", item_id=laptop, quantity=9))

        def code(token: str | None) -> grpc.StatusCode:
            metadata = (("authorization", f"Bearer {token}"),) if token else ()
            with pytest.raises(grpc.RpcError) as caught:
                stub.CreateLine(foreign, timeout=5, metadata=(*metadata, ("x-city", "buehl")))
            status: grpc.StatusCode = caught.value.code()  # type: ignore[attr-defined]
            return status

        bruchsal = tokens("bruchsal.it")
        header, claims, signature = bruchsal.split(".")
        assert code(bruchsal) == grpc.StatusCode.PERMISSION_DENIED
        assert code(f"{header}.{claims}.{signature[:-4]}AAAA") == grpc.StatusCode.UNAUTHENTICATED
        assert code(None) == grpc.StatusCode.UNAUTHENTICATED
    assert api("ettlingen.lead").get(f"/rounds/{round_['id']}/lines").json()["data"] == []
