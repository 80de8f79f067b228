"""A throwaway PostgreSQL cluster on a free loopback port, for one test session.

Uses the server binaries from Debian's postgresql package (scripts/setup.sh
--test installs it). PostgreSQL refuses to run as root, so as root the cluster
runs as the `postgres` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from civicpool_cli.stack import free_port


@dataclass(frozen=True)
class PostgresCluster:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def admin_url(self) -> str:
        return self.url("postgres")


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found; run scripts/setup.sh --test")
    return Path(found[-1]).parent


def _run_as(user: str | None, command: list[str]) -> None:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    bin_dir = _bin_dir()
    as_user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="civicpool-pg-"))
    data = base / "data"
    socket_dir = base / "socket"
    socket_dir.mkdir()
    if as_user is not None:
        entry = pwd.getpwnam(as_user)
        for path in (base, socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = free_port()
    db_user = as_user or pwd.getpwuid(os.geteuid()).pw_name
    try:
        _run_as(as_user, [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", db_user, "-E", "UTF8"])
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run_as(as_user, [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60", "start"])
        yield PostgresCluster(port=port, user=db_user)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _run_as(as_user, [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)
