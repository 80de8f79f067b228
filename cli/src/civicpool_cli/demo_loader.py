"""Loads the demo network into a running system, through the public API (idempotent)."""

from __future__ import annotations

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


def load_demo(gateway_url: str, admin_token: str, progress: Callable[[str], None] = lambda _: None) -> LoadReport:
    report = LoadReport()
    with httpx.Client(
        base_url=f"{gateway_url}/api/v1", headers={"Authorization": f"Bearer {admin_token}"}, timeout=10.0
    ) as api:
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
    return report
