"""kill -9 the contracts service during a stream of call-offs: nothing acknowledged is lost, nothing half-written."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
from civicpool_cli.stack import Stack

from tests.conftest import ApiFactory
from tests.integration.test_usage_api import demo_contracts

STREAMS, PER_STREAM = 4, 15


def test_a_crash_loses_no_acknowledged_call_off(stack: Stack, api: ApiFactory) -> None:
    contract = demo_contracts(api)["VC-JITSI-SELFHOSTED"]
    path = f"/contracts/{contract['id']}/allocations"
    body = {"city_id": "rheinstetten", "quantity": 1}
    keys = [[str(uuid.uuid4()) for _ in range(PER_STREAM)] for _ in range(STREAMS)]
    acknowledged: dict[str, str] = {}  # key -> transaction id
    lock = threading.Lock()

    def stream(own_keys: list[str], client: httpx.Client) -> None:
        for key in own_keys:
            try:
                response = client.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                continue
            if response.status_code == 201:
                with lock:
                    acknowledged[key] = response.json()["transaction"]["id"]
            time.sleep(0.02)

    # Clients (and the token) made here: a thread that failed to sign in would just send nothing.
    threads = [threading.Thread(target=stream, args=(k, api("rheinstetten.it"))) for k in keys]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    stack.kill("contracts")  # mid-stream: some requests are in flight
    try:
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stack.start("contracts")
        stack.wait_for("contracts", lambda: stack.service_serving("contracts"), timeout=60)
    assert 10 <= len(acknowledged) < STREAMS * PER_STREAM  # the crash cut the stream

    # Retries with the same keys: acknowledged ones answer their first result; the others now happen once.
    client = api("rheinstetten.it")
    for key in [k for own in keys for k in own]:
        for _ in range(50):
            response = client.post(path, json=body, headers={"Idempotency-Key": key})
            if response.status_code != 503:
                break
            time.sleep(0.2)
        assert response.status_code == 201, response.text
        if key in acknowledged:
            assert response.json()["transaction"]["id"] == acknowledged[key]
            assert response.headers.get("Idempotent-Replayed") == "true"

    lead = api("ettlingen.lead")
    postings: list[dict[str, Any]] = lead.get(
        "/ledger/transactions", params={"contract_id": contract["id"], "city_id": "rheinstetten", "limit": 500}
    ).json()["data"]
    ids = {p["id"] for p in postings}
    assert set(acknowledged.values()) <= ids  # nothing acknowledged is lost
    assert all(sum(e["amount_cents"] for e in p["entries"]) == 0 for p in postings)  # nothing half-written
    call_offs = [p for p in postings if p["kind"] == "call_off"]
    use = {c["city_id"]: c for c in lead.get(f"/contracts/{contract['id']}/utilisation").json()["cities"]}
    assert use["rheinstetten"]["called_off"] == len(call_offs) == STREAMS * PER_STREAM  # each key exactly once
