"""Loads the demo network into a running system, through the public API (idempotent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from civicpool_cli import demo


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.existing} already there"


def load_demo(
    gateway_url: str, token_for: Callable[[str], str], progress: Callable[[str], None] = lambda _: None
) -> LoadReport:
    """Load the demo network, signing in as each demo user it needs (`token_for(username)`)."""
    report = LoadReport()
    with _client(gateway_url, token_for(demo.NETWORK_ADMIN_USER)) as api:
        # Cities before cost keys: fixed keys name cities.
        steps: list[tuple[str, Iterable[dict[str, Any]]]] = [
            ("cities", (demo.city_payload(c) for c in demo.CITIES)),
            ("vendors", (demo.vendor_payload(v) for v in demo.VENDORS)),
            ("items", demo.ITEMS),
            ("cost-keys", demo.COST_KEYS),
        ]
        for path, payloads in steps:
            for payload in payloads:
                response = api.post(f"/{path}", json=payload)
                if response.status_code == 201:
                    report.created += 1
                elif response.status_code == 409 and response.json().get("type") == "/problems/already-exists":
                    report.existing += 1
                else:
                    raise RuntimeError(f"loading {path} {payload.get('id') or payload.get('sku')}: {response.text}")
            progress(f"demo {path} loaded")
    _load_demo_round(gateway_url, token_for, report)
    progress("demo round loaded")
    return report


def _client(gateway_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{gateway_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10.0)


def _checked(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(f"loading {what}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


def _load_demo_round(gateway_url: str, token_for: Callable[[str], str], report: LoadReport) -> None:
    """An open round with demand of six cities, unless an open demo round exists already."""
    with _client(gateway_url, token_for(demo.DEMO_ROUND_LEAD)) as lead:
        open_rounds = _checked(lead.get("/rounds", params={"status": "open", "limit": 500}), "rounds")["data"]
        if any(r["title"] == demo.DEMO_ROUND["title"] for r in open_rounds):
            report.existing += 1
            return
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        body = {
            **demo.DEMO_ROUND,
            "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=demo.DEMO_ROUND_DAYS_OPEN)).isoformat(),
        }
        round_id = _checked(lead.post("/rounds", json=body), "the demo round")["id"]
        _checked(lead.post(f"/rounds/{round_id}/open"), "opening the demo round")
        items = _checked(lead.get("/items", params={"limit": 500}), "items")["data"]
    item_ids = {item["sku"]: item["id"] for item in items}
    for city in dict.fromkeys(city for city, *_ in demo.DEMO_LINES):
        with _client(gateway_url, token_for(f"{city}.it")) as city_it:
            for _, sku, quantity, justification in (line for line in demo.DEMO_LINES if line[0] == city):
                line = {"item_id": item_ids[sku], "quantity": quantity, "justification": justification}
                _checked(city_it.post(f"/rounds/{round_id}/lines", json=line), f"demand of {city}")
    report.created += 1 + len(demo.DEMO_LINES)
