"""What every benchmark here does the same way: measure a call's latency and throughput."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

CONCURRENCY = 16


@dataclass
class Result:
    name: str
    latencies_us: list[float]
    throughput: float

    @property
    def median(self) -> float:
        return statistics.median(self.latencies_us)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_us, n=20)[18]


async def measure(
    name: str,
    call: Callable[[], Awaitable[object]],
    seconds: float,
    *,
    warmup: int = 50,
    concurrency: int = CONCURRENCY,
) -> Result:
    for _ in range(warmup):  # warm up connections, caches, lazy paths
        await call()
    latencies: list[float] = []
    end = time.monotonic() + seconds / 2
    while time.monotonic() < end:
        started = time.perf_counter()
        await call()
        latencies.append((time.perf_counter() - started) * 1e6)
    done = 0
    end = time.monotonic() + seconds / 2

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < end:
            await call()
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, latencies, done / (time.monotonic() - started))


async def measure_interleaved(
    calls: list[tuple[str, Callable[[], Awaitable[object]]]], seconds: float, *, warmup: int = 3
) -> list[Result]:
    """Latency of several paths, one call of each in turn, so drift on a busy machine hits all alike.

    Throughput here is sequential (one call at a time): 1 / mean latency.
    """
    for _, call in calls:
        for _ in range(warmup):
            await call()
    latencies: dict[str, list[float]] = {name: [] for name, _ in calls}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, call in calls:
            started = time.perf_counter()
            await call()
            latencies[name].append((time.perf_counter() - started) * 1e6)
    return [Result(name, values, 1e6 / statistics.fmean(values)) for name, values in latencies.items()]


@dataclass
class Series:
    """How one path's cost grows: its time and its raw limit's at each size (milliseconds), for the growth plots."""

    name: str  # what grows, e.g. "aggregation: demand lines"
    sizes: list[int]
    ours_ms: list[float]
    raw_ms: list[float]
    ours_label: str = "civicpool"
    raw_label: str = "raw limit"


SERIES: list[Series] = []  # filled by the benchmarks of a run; bench/growth.py fits and plots them
