"""The physical limit of an HTTP endpoint here: FastAPI + uvicorn answering from memory, no auth, no gRPC.

    bare_app.py PORT ITEM_JSON [PAGE_JSON_FILE]

`/items/{id}` returns ITEM_JSON with the id asked for. With PAGE_JSON_FILE (a page the
gateway answered), `/api/v1/items` returns that page through the gateway's own
`response_model` (Page[Item]): validated and serialised by pydantic on every request.
Uvicorn runs as the gateway runs it (`python -m civicpool_gateway`): one worker, its
default event loop and HTTP parser (uvloop, httptools), no access log.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from civicpool_gateway.catalog_schemas import Item
from civicpool_gateway.schemas import Page
from fastapi import FastAPI

app = FastAPI()
ITEM: dict[str, Any] = {}
PAGE: dict[str, Any] = {}


@app.get("/items/{item_id}")
async def get_item(item_id: str) -> dict[str, Any]:
    return {**ITEM, "id": item_id}


@app.get("/api/v1/items", response_model=Page[Item])
async def list_items(limit: int = 50) -> Any:
    return PAGE


if __name__ == "__main__":
    import json
    from pathlib import Path

    ITEM.update(json.loads(sys.argv[2]))
    if len(sys.argv) > 3:
        PAGE.update(json.loads(Path(sys.argv[3]).read_text()))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
