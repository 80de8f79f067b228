"""Moves the tender tables of an installation from before the tenders service into the tenders database, once.

Until the tenders service stood on its own, tenders, lots, bids and evaluations lived in the contracts
database. `civicpool migrate` (and `civicpool up`) call `carry_over` after both schemas are up to date:
it copies the rows that are not in the tenders database yet, in one transaction, checks that every row
arrived, and then drops the old tables from the contracts database (which the contracts migration 0006
keeps while they hold rows). Running it again finds no old tables and does nothing; a run stopped
half-way is finished by the next one (rows already copied are skipped).

This is a migration tool run by the operator, not a service: no running service reads another's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from civicpool_common import numbering
from civicpool_common.database import migrate, sync_url
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, inspect, select

# Parents before children, as the rows must arrive.
TENDER_TABLES = ("tenders", "tender_events", "lots", "lot_items", "lot_shares", "bids", "bid_scores")
BATCH = 1000


def database_url(service: str, data_dir: Path, environment: Mapping[str, str]) -> str:
    """Where the service keeps its data, as the service itself resolves it (ServiceSettings.resolved_database_url)."""
    default = f"sqlite:///{data_dir.resolve() / f'{service}.db'}"
    return environment.get(f"CIVICPOOL_{service.upper()}_DATABASE_URL") or default


def carry_over_in(data_dir: Path, environment: Mapping[str, str], progress: Callable[[str], None] = print) -> int:
    """carry_over for the databases the services of this data folder and environment use."""
    return carry_over(
        database_url("contracts", data_dir, environment), database_url("tenders", data_dir, environment), progress
    )


def carry_over(contracts_url: str, tenders_url: str, progress: Callable[[str], None] = lambda _: None) -> int:
    """Move the old tender tables; the number of rows copied (0 when there was nothing to move)."""
    old = create_engine(sync_url(contracts_url))
    try:
        if "tenders" not in inspect(old).get_table_names():
            return 0
        migrate(contracts_url, "civicpool_contracts:migrations")  # 0006: no foreign keys into the old tables
        migrate(tenders_url, "civicpool_tenders:migrations")
        new = create_engine(sync_url(tenders_url))
        try:
            copied = _copy(old, new, progress)
            _check_complete(old, new)
        finally:
            new.dispose()
        with old.begin() as connection:
            for name in reversed(TENDER_TABLES):
                Table(name, MetaData()).drop(connection, checkfirst=True)
        progress(f"moved {copied} rows of the tender tables into the tenders database")
        return copied
    finally:
        old.dispose()


def _copy(old: Engine, new: Engine, progress: Callable[[str], None]) -> int:
    """Rows are read and written through the tenders service's own table definitions: its column types turn
    the stored values into Python and back exactly as the service does (times in UTC, JSON lists)."""
    copied = 0
    with old.connect() as source, new.begin() as target:
        for table in _tables():
            key = list(table.primary_key.columns)
            present = {tuple(row) for row in target.execute(select(*key))}
            kept = {column["name"] for column in inspect(source).get_columns(table.name)}
            # Columns added after the move (a tender's reference) are not in the old tables.
            rows = [dict(row) for row in source.execute(select(*(c for c in table.c if c.name in kept))).mappings()]
            rows = [row for row in rows if tuple(row[c.name] for c in key) not in present]
            if table.name == "tenders":
                _number(target, rows)
            for start in range(0, len(rows), BATCH):
                target.execute(table.insert(), rows[start : start + BATCH])
            copied += len(rows)
            progress(f"{table.name}: {len(rows)} rows copied")
    return copied


def _number(target: Connection, tenders: list[dict[str, Any]]) -> None:
    """Tenders from before reference numbers get theirs in creation order, counted as the service counts."""
    from civicpool_tenders.models import ReferenceCounters

    for tender in sorted(tenders, key=lambda t: (t["created_at"], t["id"])):
        if not tender.get("reference"):
            prefix, year = numbering.city_prefix(tender["lead_city_id"]), numbering.network_year(tender["created_at"])
            number = numbering.next_number_blocking(target, ReferenceCounters, "tender", prefix, year)
            tender["reference"] = numbering.format_reference(prefix, year, number)


def _check_complete(old: Engine, new: Engine) -> None:
    """Every old row is in the tenders database now; otherwise stop before anything is dropped."""
    with old.connect() as source, new.connect() as target:
        for table in _tables():
            key = list(table.primary_key.columns)
            missing = {tuple(r) for r in source.execute(select(*key))} - {
                tuple(r) for r in target.execute(select(*key))
            }
            if missing:
                raise RuntimeError(f"{len(missing)} rows of {table.name} did not arrive in the tenders database")


def _tables() -> list[Table]:
    from civicpool_tenders.models import Base  # the one place the CLI reads a service's tables: this move

    return [Base.metadata.tables[name] for name in TENDER_TABLES]
