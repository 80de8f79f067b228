"""The physical limit of an HTTP endpoint here: FastAPI + uvicorn returning a fixed item, no auth, no gRPC."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()
ITEM: dict[str, Any] = {}


@app.get("/items/{item_id}")
async def get_item(item_id: str) -> dict[str, Any]:
    return {**ITEM, "id": item_id}


if __name__ == "__main__":
    import json

    ITEM.update(json.loads(sys.argv[2]))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
