"""A catalog write until another gateway serves it: the change feed's latency, end to end.

Each write goes through the stack's gateway, which answers once its own replica holds the write; a second
gateway of the bench's own, on the same catalog, is then read until it serves the new version. Writes one
after another (a price change each), bounded in count and time. Reported: from the first gateway's answer
to the second gateway serving it (the lag another replica adds), and from sending the write.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
from civicpool_cli.demo import NETWORK_ADMIN_USER
from civicpool_cli.stack import Stack, free_port, http_ok

WRITES = 200
POLL_SECONDS = 0.001  # between reads of the second gateway


@contextlib.contextmanager
def second_gateway(stack: Stack) -> Iterator[str]:
    port = free_port()
    env = {**stack.environment("gateway"), "CIVICPOOL_GATEWAY_PORT": str(port), "CIVICPOOL_GATEWAY_METRICS_PORT": "0"}
    process = subprocess.Popen([sys.executable, "-m", "civicpool_gateway"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        stack.wait_for("second gateway", lambda: http_ok(f"{url}/readyz"), timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    return await asyncio.to_thread(_measure, stack, token_for, seconds)  # plain blocking clients, timed one by one


def _measure(stack: Stack, token_for: Callable[[str], str], seconds: float) -> str:
    headers = {"Authorization": f"Bearer {token_for(NETWORK_ADMIN_USER)}"}
    lags, totals = [], []
    with (
        second_gateway(stack) as other_url,
        httpx.Client(base_url=f"{stack.gateway_url}/api/v1", headers=headers, timeout=10) as first,
        httpx.Client(base_url=f"{other_url}/api/v1", headers=headers, timeout=10) as second,
    ):
        item = first.post("/items", json={"sku": f"FEED-BENCH-{time.time_ns()}", "name": "Feed bench",
                                          "kind": "hardware", "cpv_code": "30213000-5", "unit": "Stück",
                                          "reference_price_cents": 1000}).json()  # fmt: skip
        deadline = time.monotonic() + max(seconds * 5, 30)
        for n in range(WRITES):
            if time.monotonic() > deadline:
                break
            sent = time.perf_counter()
            changed = first.patch(f"/items/{item['id']}", json={"reference_price_cents": 2000 + n},
                                  headers={"If-Match": f'"{item["version"]}"'})  # fmt: skip
            answered = time.perf_counter()
            item = changed.json()
            while second.get(f"/items/{item['id']}").json()["version"] < item["version"]:
                time.sleep(POLL_SECONDS)
            served = time.perf_counter()
            lags.append((served - answered) * 1000)
            totals.append((served - sent) * 1000)
    rows = [
        ("first gateway's answer -> second serves it", lags),
        ("write sent -> second serves it", totals),
    ]
    lines = [f"A catalog write until another gateway serves it ({len(lags)} writes one after another)",
             f"{'path':<45}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"]  # fmt: skip
    for name, values in rows:
        lines.append(f"{name:<45}{statistics.median(values):>9.1f}{_percentile(values, 0.99):>9.1f}"
                     f"{max(values):>9.1f}")  # fmt: skip
    lines.append(f"\nwrite -> visible in another replica, p99 {_percentile(totals, 0.99):.1f} ms (goal <= 1000 ms)")
    return "\n".join(lines)
