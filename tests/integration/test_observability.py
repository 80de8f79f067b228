"""A request's id travels from the gateway through gRPC into the service's JSON log; the gateway has metrics."""

from __future__ import annotations

import json
import time
import uuid

import httpx
from civicpool_cli.stack import Stack

from tests.conftest import ApiFactory


def _entries(stack: Stack, process: str) -> list[dict[str, object]]:
    text = (stack.log_dir / f"{process}.log").read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")  # not splitlines(): a U+2028 inside a JSON string ends no log line
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_the_request_id_is_in_the_gateway_and_the_service_logs(api: ApiFactory, stack: Stack) -> None:
    request_id = f"trace-{uuid.uuid4().hex[:12]}"
    missing = api("bruchsal.it").get("/rounds/no-such-round", headers={"X-Request-Id": request_id})
    assert missing.status_code == 404
    assert missing.headers["x-request-id"] == request_id
    for _ in range(50):  # the lines are written as the answers leave
        gateway = [e for e in _entries(stack, "gateway") if e.get("request_id") == request_id]
        demand = [e for e in _entries(stack, "demand") if e.get("request_id") == request_id]
        if gateway and demand:
            break
        time.sleep(0.1)
    assert [(e["route"], e["status"]) for e in gateway] == [("/api/v1/rounds/{id}", 404)]
    assert [(e["method"], e["code"]) for e in demand] == [("/civicpool.demand.v1.DemandService/GetRound", "NOT_FOUND")]
    # Without one, the gateway makes one; an odd one is replaced, never echoed.
    assert len(api("bruchsal.it").get("/items", params={"limit": 1}).headers["x-request-id"]) == 32
    odd = api("bruchsal.it").get("/items", params={"limit": 1}, headers={"X-Request-Id": "a b"})
    assert odd.headers["x-request-id"] != "a b"


def test_the_gateway_counts_requests_by_route_template_and_status(api: ApiFactory, stack: Stack) -> None:
    api("bruchsal.it").get("/items/no-such-item")
    metrics = httpx.get(stack.gateway_metrics_url, timeout=10)
    assert metrics.status_code == 200
    assert 'civicpool_http_requests_total{method="GET",route="/api/v1/items/{id}",status="404"}' in metrics.text
    assert "civicpool_http_request_seconds_bucket" in metrics.text
    assert "no-such-item" not in metrics.text  # ids never become labels


def test_metrics_are_not_served_on_the_public_port(stack: Stack) -> None:
    for path in ("/metrics", "/api/v1/metrics"):
        answer = httpx.get(f"{stack.gateway_url}{path}", timeout=10)
        assert answer.status_code in (401, 404) and "civicpool_http_requests" not in answer.text


def test_no_counter_tells_when_sealed_bids_arrive(api: ApiFactory, stack: Stack) -> None:
    """Reading or writing bids shows up under one label, whatever the route and method."""
    tenders = api("ettlingen.lead").get("/tenders", params={"status": "published"}).json()["data"]
    tender = tenders[0]["id"] if tenders else "01a219d6-0000-7000-8000-00000000dead"
    api("vendor.rheintal").post(f"/tenders/{tender}/bids", json={"lot_id": "x", "prices": []})
    api("vendor.rheintal").get(f"/tenders/{tender}/bids")
    gateway = httpx.get(stack.gateway_metrics_url, timeout=10).text
    assert "bids" not in "".join(line for line in gateway.splitlines() if "sealed bids" not in line)
    assert 'civicpool_http_requests_total{method="*",route="sealed bids"' in gateway
