"""The committed openapi.json, written from the app (`make generate`)."""

from __future__ import annotations

import json
from pathlib import Path

from civicpool_gateway.main import create_app


def write_openapi(path: Path) -> None:
    spec = create_app().openapi()
    path.write_text(json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
