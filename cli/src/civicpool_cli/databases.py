"""Running the services on a PostgreSQL server: one database per service, made when missing."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit, urlunsplit

import psycopg
from civicpool_common.service_identity import SERVICES
from psycopg import sql


def checked_server_url(server_url: str) -> SplitResult:
    """The URL's parts if it names a PostgreSQL server; ValueError saying what is wrong otherwise (no I/O)."""
    parts = urlsplit(server_url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ValueError(f"not a PostgreSQL server URL: {server_url!r} (postgresql://user:password@host:port)")
    return parts


def service_database_urls(server_url: str) -> dict[str, str]:
    """CIVICPOOL_<SERVICE>_DATABASE_URL for each service: database `<service>` on the server at `server_url`.

    `server_url` is postgresql://user:password@host:port (a database named in it is ignored). The
    databases are created when they do not exist; the services migrate them when they start.
    """
    parts = checked_server_url(server_url)

    def on(database: str) -> str:
        return urlunsplit(("postgresql", parts.netloc, f"/{database}", parts.query, ""))

    with psycopg.connect(on("postgres"), autocommit=True) as server:
        existing = {row[0] for row in server.execute("SELECT datname FROM pg_database")}
        for service in SERVICES:
            if service not in existing:
                server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(service)))
    return {f"CIVICPOOL_{service.upper()}_DATABASE_URL": on(service) for service in SERVICES}
