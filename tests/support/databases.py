"""Fresh, migrated databases per test: migrate a template once, copy it per test.

SQLite: the template file is copied. PostgreSQL: CREATE DATABASE ... TEMPLATE,
which copies the migrated schema in milliseconds.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import psycopg
from civicpool_common.database import migrate

from tests.support.postgres import PostgresCluster

_counter = itertools.count()


class DatabaseFactory:
    def __init__(self, backend: str, workdir: Path, postgres: PostgresCluster | None) -> None:
        self.backend = backend
        self._workdir = workdir
        self._postgres = postgres
        self._templates: dict[str, str] = {}

    def _admin(self, statement: str) -> None:
        assert self._postgres is not None
        with psycopg.connect(self._postgres.admin_url(), autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def _template(self, migrations: str) -> str:
        if migrations not in self._templates:
            name = f"template_{migrations.split(':')[0]}"
            if self.backend == "sqlite":
                url = f"sqlite:///{self._workdir / name}.db"
            else:
                assert self._postgres is not None
                self._admin(f'CREATE DATABASE "{name}"')
                url = self._postgres.url(name)
            migrate(url, migrations)
            self._templates[migrations] = url
        return self._templates[migrations]

    def fresh(self, migrations: str) -> str:
        """The URL of a new database with the service's schema at head."""
        template = self._template(migrations)
        name = f"test_{next(_counter)}"
        if self.backend == "sqlite":
            path = self._workdir / f"{name}.db"
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        assert self._postgres is not None
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template.rsplit("/", 1)[1]}"')
        return self._postgres.url(name)

    def empty(self) -> str:
        """The URL of a new database without any schema."""
        name = f"empty_{next(_counter)}"
        if self.backend == "sqlite":
            return f"sqlite:///{self._workdir / name}.db"
        self._admin(f'CREATE DATABASE "{name}"')
        assert self._postgres is not None
        return self._postgres.url(name)
