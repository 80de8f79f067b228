"""Benchmarks, each path against its physical limit, in one run of the whole system.

    make bench        (or: .venv/bin/python bench/run.py [--seconds 6] [--only NAME])

    NAME: items | aggregation | invoices | calloffs | statement | cities | feed | list

Starts the system on free loopback ports (as the tests do) with the demo data,
then runs each benchmark and prints its ratios. Bounded in time; loopback only.
Results are also written to bench/results/; the growth of every path measured at
several sizes (growth.py: exponents, and the plot bench/growth.png) closes the run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

# The tests' helpers (a PostgreSQL cluster, an awarded contract) serve the benchmarks too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aggregation
import cities
import feed
import growth
import invoices
import items
import listing
import psycopg
import usage
from civicpool_cli.demo_loader import load_demo
from civicpool_cli.stack import Ports, Stack
from civicpool_cli.tokens import password_token
from harness import SERIES

from tests.support.postgres import postgres_cluster

BENCHMARKS = {
    "items": items.run,
    "aggregation": aggregation.run,
    # Before calloffs and cities: it reads every city's billing units, which grow with them.
    "invoices": invoices.run,
    "calloffs": usage.run_calloffs,
    "statement": usage.run_statement,
    "cities": cities.run,
    "feed": feed.run,
    # Last: it tops the catalog up to 50 items; `items` expects the demo's first page.
    "list": listing.run,
}


async def run(seconds: float, names: list[str]) -> None:
    # The contracts service runs on PostgreSQL (its benchmarks are about that database); the rest on SQLite.
    with tempfile.TemporaryDirectory(prefix="civicpool-bench-") as tmp, postgres_cluster() as cluster:
        with psycopg.connect(cluster.admin_url(), autocommit=True) as admin:
            admin.execute('CREATE DATABASE "bench_contracts"')
        contracts_db = {"CIVICPOOL_CONTRACTS_DATABASE_URL": cluster.url("bench_contracts")}
        stack = Stack(Path(tmp), Ports.free(), extra_env=contracts_db)
        try:
            stack.up(lambda message: print(f"  {message}", file=sys.stderr))

            def token_for(username: str) -> str:
                return password_token(stack.keycloak.url, username, "demo")

            load_demo(stack.gateway_url, token_for)
            for name in names:
                keep(name, await BENCHMARKS[name](stack, token_for, seconds))
            if SERIES:
                keep("growth", growth.report(SERIES) + f"\n  plotted: {growth.plot(SERIES)}")
        finally:
            stack.stop_all()


def keep(name: str, text: str) -> None:
    """Print a benchmark's report and write it to bench/results/ as soon as it is done (a later one may fail)."""
    print(text, end="\n\n", flush=True)
    out = Path(__file__).with_name("results")
    out.mkdir(exist_ok=True)
    (out / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.txt").write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per path (half latency, half throughput)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), nargs="+", help="run these benchmarks")
    args = parser.parse_args()
    names = [name for name in BENCHMARKS if not args.only or name in args.only]  # in the run's order
    asyncio.run(run(args.seconds, names))


if __name__ == "__main__":
    main()
