"""Oversized bodies get a 413 problem before anything parses them, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from civicpool_gateway.main import create_app

APP = create_app()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://gateway")


async def _chunks(count: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * 65_536


async def test_a_declared_oversized_json_body_is_refused() -> None:
    async with _client() as client:
        response = await client.post("/api/v1/rounds", content=b"x" * 1_100_000)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/payload-too-large"


async def test_a_streamed_oversized_body_is_refused_too() -> None:
    async with _client() as client:
        response = await client.post(
            "/api/v1/rounds", content=_chunks(20), headers={"content-type": "application/json"}
        )
    assert (response.status_code, response.json()["type"]) == (413, "/problems/payload-too-large")


async def test_uploads_have_their_own_larger_limit() -> None:
    async with _client() as client:
        fits = await client.post("/api/v1/rounds/r1/imports", files={"file": ("b.csv", b"x" * 1_500_000)})
        too_large = await client.post("/api/v1/rounds/r1/imports", files={"file": ("b.csv", b"x" * 2_300_000)})
    assert fits.status_code == 401  # through the limit, stopped by the missing token
    assert too_large.status_code == 413
