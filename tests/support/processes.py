"""A civicpool process of a test's own, beside the session's system."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def python_module(module: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m module`, stopped with SIGTERM at the end (and killed if it does not stop)."""
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", module], env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
