"""The committed OpenAPI document (`make generate` writes it), as the tests read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "openapi.json"


def committed_openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return document
