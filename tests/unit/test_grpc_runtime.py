"""The shared gRPC runtime on a real in-process server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from civicpool_common.auth import TokenVerifier
from civicpool_common.grpc_server import AuthInterceptor, ErrorInterceptor
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
