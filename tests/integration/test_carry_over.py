"""An installation built and filled by an older commit keeps everything: the carry-over fixture reads back equal.

tests/fixtures/carry_over/ holds every row of the service databases of a system filled with the
demo and a journey through the API, and what the API answered to several demo users. Here the rows
go into fresh databases (SQLite files in a data folder, or PostgreSQL databases) with the services'
own migrations at the recorded revisions; the upgrade step of this commit runs (`migrate`); services
and a gateway of their own start on those databases (Keycloak is the session's, with the same demo
users); and every recorded read is sent again and must answer the same.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from civicpool_cli.stack import Ports, Stack
from civicpool_common.database import sync_url
from civicpool_common.service_identity import SERVICES
from sqlalchemy import create_engine, inspect, text

from tests.support.carry_over import compare_reads, dump_database, fixture_rows, load, sqlite_urls
from tests.support.databases import DatabaseFactory
from tests.support.tokens import TokenSource


@dataclasses.dataclass(frozen=True)
class CarriedOver:
    """Databases holding the fixture's data, one per service of this commit (the ones it did not have: empty)."""

    backend: str
    data_dir: Path  # the services' data folder (SQLite files <service>.db live here)
    urls: dict[str, str]  # service -> database URL

    @property
    def environment(self) -> dict[str, str]:
        """What a process of this commit needs to find the databases (for `civicpool migrate`, the services)."""
        return {"CIVICPOOL_DATA_DIR": str(self.data_dir),
                **{f"CIVICPOOL_{s.upper()}_DATABASE_URL": url for s, url in self.urls.items()}}  # fmt: skip


def migrate(data: CarriedOver) -> None:
    """The upgrade step between the old data and this commit's code: `civicpool migrate`, as an operator runs it
    (every schema to head, then the tender tables move from the contracts into the tenders database). A second
    run finds nothing left to move."""
    for run in range(2):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "civicpool"), "migrate", "--data-dir", str(data.data_dir)],
            env={**os.environ, **data.environment}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert ("rows of the tender tables" in done.stderr) == (run == 0), done.stderr
    contracts = create_engine(sync_url(data.urls["contracts"]))
    try:
        assert "tenders" not in inspect(contracts).get_table_names()  # moved, not copied
    finally:
        contracts.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def carried_over(request: pytest.FixtureRequest, tmp_path: Path) -> CarriedOver:
    backend: str = request.param
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if backend == "sqlite":
        urls = sqlite_urls(data_dir, SERVICES)
    else:
        factory = DatabaseFactory(backend, tmp_path, request.getfixturevalue("postgres"))
        urls = {service: factory.empty() for service in SERVICES}
    load(urls)  # each recorded database at its recorded revision, then its rows
    return CarriedOver(backend, data_dir, urls)


@contextmanager
def system_on(data: CarriedOver, session: Stack) -> Iterator[str]:
    """Services and a gateway of their own on `data`, on free ports; the session's Keycloak. Yields the gateway URL."""
    keycloak_ports = {"keycloak": session.ports.keycloak, "keycloak_management": session.ports.keycloak_management}
    own = Stack(data.data_dir, dataclasses.replace(Ports.free(), **keycloak_ports), extra_env=data.environment)
    own.keycloak = session.keycloak  # its realm, demo users and the services' client secrets
    try:
        for name in (*SERVICES, "gateway"):
            own.start(name)
        for service in SERVICES:
            own.wait_for(service, functools.partial(own.service_serving, service), timeout=90)
        own.wait_for("gateway", own.system_ready, timeout=60)
        yield own.gateway_url
    except Exception:
        for name in (*SERVICES, "gateway"):
            print(f"--- {name} log ---\n{own.log_tail(name, 40)}")
        raise
    finally:
        own.stop_all()


def test_the_carried_over_data_reads_back_equal(carried_over: CarriedOver, stack: Stack, tokens: TokenSource) -> None:
    recorded = fixture_rows()["databases"]
    for service, database in recorded.items():  # the loader is faithful: what it wrote dumps as recorded
        assert dump_database(carried_over.urls[service], service) == database, service
    migrate(carried_over)
    # Records from before reference numbers are numbered in the order they were made, each sequence from 001.
    tenders = "SELECT reference FROM tenders ORDER BY created_at, id"
    contracts = "SELECT reference FROM contracts ORDER BY created_at, id"
    call_offs = ("SELECT c.reference FROM call_offs c JOIN ledger_transactions t ON t.id = c.transaction_id "
                 "ORDER BY t.created_at, t.id")  # fmt: skip
    for service, query, least in (("tenders", tenders, 7), ("contracts", contracts, 5), ("contracts", call_offs, 5)):
        assert_numbered_in_order(carried_over.urls[service], query, least)
    with system_on(carried_over, stack) as gateway_url:
        differences = compare_reads(gateway_url, tokens)
    assert not differences, f"{len(differences)} differences:\n" + "\n".join(differences[:60])


def assert_numbered_in_order(url: str, query: str, least: int) -> None:
    """The references the query reads (in creation order) run 001, 002, ... per prefix and year, without a gap."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            references = [str(row[0]) for row in connection.execute(text(query))]
    finally:
        engine.dispose()
    assert len(references) >= least, references
    seen: dict[str, int] = {}
    for reference in references:
        sequence, number = reference.rsplit("-", 1)
        seen[sequence] = seen.get(sequence, 0) + 1
        assert int(number) == seen[sequence], references
