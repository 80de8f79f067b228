"""Engines, UTC timestamps, the constraint naming convention and migrations.

Each service passes its own URL: SQLite by default, PostgreSQL in production.
Users write plain URLs (sqlite:///..., postgresql://...); the drivers are ours
to choose: aiosqlite/psycopg for the server, pysqlite/psycopg for Alembic.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import weakref
from collections.abc import AsyncIterator
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
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


WRITE_OPTION = "civicpool_write"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
    # We emit BEGIN ourselves (below) instead of the driver's lazy one.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Any) -> None:
    # A write transaction takes SQLite's write lock at its start, so what it read stays
    # true until it commits (no write skew); reads get a plain, consistent snapshot.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        # A local file: no server that restarts under us, so no liveness ping per checkout.
        engine = create_async_engine(async_url(url))
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # A server: connections may die with a restart or failover; test each before use.
    return create_async_engine(async_url(url), pool_pre_ping=True, pool_size=pool_size, max_overflow=0)


# SQLite has one writer at a time. Its busy handler retries with growing sleeps, so under a burst
# a waiting writer can lose the race again and again until its busy_timeout ends ("database is
# locked"). Writers of this process therefore queue here first, in arrival order, for the lock
# they would have to wait for anyway.
_sqlite_writers: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _writer_queue(sessions: async_sessionmaker[AsyncSession]) -> asyncio.Lock | contextlib.nullcontext[None]:
    engine = sessions.kw.get("bind")
    if engine is None or engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _sqlite_writers.setdefault(engine.sync_engine, asyncio.Lock())


@contextlib.asynccontextmanager
async def write_transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that writes: committed at the end, rolled back on any error.

    On SQLite it holds the write lock from the start (and this process's writers
    queue for it in order); on PostgreSQL rows that a decision depends on are
    locked by the queries themselves (SELECT ... FOR UPDATE).
    """
    async with _writer_queue(sessions), sessions.begin() as session:
        await session.connection(execution_options={WRITE_OPTION: True})
        yield session


INTEGRITY_SQLSTATES = {"23505": "unique", "23503": "foreign_key", "23514": "check", "23502": "not_null"}


def integrity_violation(error: IntegrityError) -> str:
    """Which kind of constraint a write broke: unique, foreign_key, check, not_null or other."""
    sqlstate = getattr(error.orig, "sqlstate", None)  # PostgreSQL (psycopg)
    if sqlstate in INTEGRITY_SQLSTATES:
        return INTEGRITY_SQLSTATES[sqlstate]
    message = str(error.orig).upper()  # SQLite: "UNIQUE constraint failed: items.sku"
    for marker, kind in (("UNIQUE", "unique"), ("FOREIGN KEY", "foreign_key"), ("CHECK", "check"),
                         ("NOT NULL", "not_null")):  # fmt: skip
        if marker in message:
            return kind
    return "other"


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
