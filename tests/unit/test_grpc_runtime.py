"""The shared gRPC runtime on a real in-process server on loopback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from civicpool_common.auth import TokenVerifier
from civicpool_common.grpc_server import AuthInterceptor, ErrorInterceptor, periodically
from civicpool_common.settings import OidcSettings


def _identity(value: bytes) -> bytes:
    return value


async def _stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
    yield b"secret data"


async def _abort(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the servicer's own status")
    return b""


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    verifier = TokenVerifier(OidcSettings(issuer="http://127.0.0.1:1/realms/civicpool"))
    server = grpc.aio.server(interceptors=[ErrorInterceptor(), AuthInterceptor(verifier)])
    handlers = {
        "Stream": grpc.unary_stream_rpc_method_handler(_stream, _identity, _identity),
        "Abort": grpc.unary_unary_rpc_method_handler(_abort, _identity, _identity),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Runtime", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    await server.stop(None)
    await verifier.aclose()


async def test_a_streaming_data_call_fails_closed(channel: grpc.aio.Channel) -> None:
    call = channel.unary_stream("/test.Runtime/Stream", _identity, _identity)(b"")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_unauthenticated_calls_never_reach_the_servicer(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await channel.unary_unary("/test.Runtime/Abort", _identity, _identity)(b"", timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_periodic_housekeeping_survives_a_failure_logs_what_it_did_and_stops_with_its_context(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []
    four_runs = asyncio.Event()

    async def job() -> str:
        runs.append(len(runs))
        if len(runs) == 4:
            four_runs.set()
        if len(runs) == 2:
            raise RuntimeError("the database is away")
        return f"tidied {len(runs)}" if len(runs) == 3 else ""

    caplog.set_level(logging.INFO, logger="civicpool.grpc")
    async with periodically(job, 0.01, "tidy up"):
        await asyncio.wait_for(four_runs.wait(), timeout=10)
    stopped_at = len(runs)
    await asyncio.sleep(0.05)
    assert len(runs) == stopped_at  # no run after the context ended
    messages = [record.getMessage() for record in caplog.records]
    assert "could not tidy up; retrying" in messages and "tidied 3" in messages
