"""Generated code is produced by one command and never edited: a stale file fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_generated_files_match_their_sources(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/generate.py", "--check"], cwd=repo_root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
