"""Engines, UTC timestamps, the constraint naming convention and migrations.

Each service passes its own URL: SQLite by default, PostgreSQL in production.
Users write plain URLs (sqlite:///..., postgresql://...); the drivers are ours
to choose: aiosqlite/psycopg for the server, pysqlite/psycopg for Alembic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that migrations generated on one database apply to another.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def _with_driver(url: str, *, asynchronous: bool) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        driver = "aiosqlite" if asynchronous else "pysqlite"
    elif backend == "postgresql":
        driver = "psycopg"
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def async_url(url: str) -> str:
    return _with_driver(url, asynchronous=True)


def sync_url(url: str) -> str:
    return _with_driver(url, asynchronous=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        # A local file: no server that restarts under us, so no liveness ping per checkout.
        engine = create_async_engine(async_url(url))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A server: connections may die with a restart or failover; test each before use.
    return create_async_engine(async_url(url), pool_pre_ping=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine, seconds: float = 2.0) -> bool:
    """True when the database answers a trivial query within `seconds`."""

    async def _query() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(_query(), seconds)
    except Exception:  # any failure means "not serving"; the reason is logged by the caller
        return False
    return True


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: civicpool stores UTC-aware datetimes only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def alembic_config(database_url: str, script_location: str) -> Config:
    """An Alembic config for one service; `script_location` like 'civicpool_catalog:migrations'."""
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def migrate(database_url: str, script_location: str, revision: str = "head") -> None:
    """Bring the service's schema to `revision` (blocking; run before serving)."""
    command.upgrade(alembic_config(database_url, script_location), revision)
