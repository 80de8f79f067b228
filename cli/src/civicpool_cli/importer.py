"""`civicpool import`: upload a demand spreadsheet through the gateway, with progress and per-row errors.

The upload goes through the same endpoint as the portal's, so the same checks
apply; nothing is validated differently on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

CHUNK_BYTES = 64 * 1024


class _ReportingReader:
    """A file whose reads report how many bytes went out (httpx reads multipart files in chunks)."""

    def __init__(self, file: IO[bytes], advance: Callable[[int], None]) -> None:
        self._file = file
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size if size and size > 0 else CHUNK_BYTES)
        self._advance(len(chunk))
        return chunk


def upload(
    gateway_url: str, token: str, round_id: str, path: Path, mode: str, advance: Callable[[int], None]
) -> httpx.Response:
    """POST the file to /rounds/{id}/imports; the response, whatever its status."""
    with path.open("rb") as file, httpx.Client(base_url=f"{gateway_url}/api/v1", timeout=120.0) as api:
        reader: Any = _ReportingReader(file, advance)
        return api.post(
            f"/rounds/{round_id}/imports",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": (path.name, reader)},
            data={"mode": mode},
        )


def describe(response: httpx.Response) -> tuple[bool, list[str]]:
    """Whether the import took effect, and the lines to print about it."""
    try:
        body = response.json()
    except ValueError:
        return False, [f"the gateway answered {response.status_code}: {response.text[:500]}"]
    if response.is_success:
        if body["replayed"]:
            return True, [f"already imported ({body['imported_at']}): nothing changed"]
        return True, [
            f"imported {body['rows']} row(s): {body['created']} line(s) added, {body['withdrawn']} withdrawn, "
            f"{body['unchanged']} unchanged (import {body['import_id']})"
        ]
    lines = [f"{body.get('title', 'refused')}: {body.get('detail', '')}"]
    for error in body.get("errors", []):
        where = f"line {error['line']}, " if "line" in error else ""
        lines.append(f"  {where}{error['field']}: {error['message']}")
    return False, lines
