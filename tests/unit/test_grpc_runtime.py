"""The shared gRPC runtime on a real in-process server on loopback."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from civicpool_common import grpc_server, observability
from civicpool_common.auth import TokenVerifier
from civicpool_common.database import create_engine
from civicpool_common.grpc_client import call_as_caller
from civicpool_common.grpc_server import (
    AuthInterceptor,
    ErrorInterceptor,
    ObservedInterceptor,
    periodically,
    serve_metrics,
)
from civicpool_common.settings import OidcSettings
from sqlalchemy import text as sql_text


def _identity(value: bytes) -> bytes:
    return value


async def _stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
    yield b"secret data"


async def _chat(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
    yield b"secret data"


async def _abort(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the servicer's own status")
    return b""


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    verifier = TokenVerifier(OidcSettings(issuer="http://127.0.0.1:1/realms/civicpool"))
    server = grpc.aio.server(interceptors=[ObservedInterceptor(), ErrorInterceptor(), AuthInterceptor(verifier)])
    handlers = {
        "Stream": grpc.unary_stream_rpc_method_handler(_stream, _identity, _identity),
        "Chat": grpc.stream_stream_rpc_method_handler(_chat, _identity, _identity),
        "Abort": grpc.unary_unary_rpc_method_handler(_abort, _identity, _identity),
    }
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Runtime", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    await server.stop(None)
    await verifier.aclose()


async def test_a_server_stream_is_authenticated_like_any_call_and_a_client_stream_is_refused(
    channel: grpc.aio.Channel,
) -> None:
    received: list[bytes] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _drain(channel.unary_stream("/test.Runtime/Stream", _identity, _identity)(b""), received)
    assert (caught.value.code(), received) == (grpc.StatusCode.UNAUTHENTICATED, [])
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _drain(channel.stream_stream("/test.Runtime/Chat", _identity, _identity)(iter([b""])), received)
    assert (refused.value.code(), received) == (grpc.StatusCode.UNIMPLEMENTED, [])


async def _drain(call: Any, received: list[bytes]) -> None:
    async for message in call:
        received.append(message)


async def test_unauthenticated_calls_never_reach_the_servicer(channel: grpc.aio.Channel) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await channel.unary_unary("/test.Runtime/Abort", _identity, _identity)(b"", timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_each_call_is_counted_and_logged_with_the_request_id_it_came_with(channel: grpc.aio.Channel) -> None:
    refused = observability.GRPC_HANDLED.labels("/test.Runtime/Abort", "UNAUTHENTICATED")
    before = refused._value.get()
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(observability.JsonFormatter("test"))
    logger = logging.getLogger("civicpool")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not .level: the loggers cache what they let through
    try:
        call = channel.unary_unary("/test.Runtime/Abort", _identity, _identity)
        with pytest.raises(grpc.aio.AioRpcError):
            await call(b"", timeout=5, metadata=(("x-request-id", "req-42"),))
        for _ in range(200):  # the server logs after its answer is on the way: wait for the line
            if "UNAUTHENTICATED" in lines.getvalue():
                break
            await asyncio.sleep(0.01)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert refused._value.get() == before + 1
    entries = [json.loads(line) for line in lines.getvalue().splitlines()]
    refusal = next(e for e in entries if e.get("code") == "UNAUTHENTICATED")
    assert refusal["request_id"] == "req-42" and refusal["method"] == "/test.Runtime/Abort"
    assert refusal["process"] == "test" and refusal["duration_ms"] >= 0


def test_a_request_id_is_kept_only_when_it_is_a_plain_token() -> None:
    assert observability.request_id_from("abc-123") == "abc-123"
    for odd in (None, "", "a b", "x" * 65, "id\r\nSet-Cookie: a"):
        assert len(observability.request_id_from(odd)) == 32


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


async def test_a_service_serves_its_metrics_with_the_database_pool(tmp_path: Path) -> None:
    from civicpool_catalog.config import CatalogSettings
    from civicpool_common.database import create_engine

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = create_engine(f"sqlite:///{tmp_path / 'catalog.db'}", 3)  # a file: a counting pool
    server = serve_metrics("catalog", CatalogSettings(metrics_port=port), engine)
    try:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    finally:
        server.shutdown()
        await engine.dispose()
    assert 'civicpool_db_pool_checked_out{database="catalog"} 0.0' in text
    assert "civicpool_grpc_server_handled_total" in text
    assert serve_metrics("catalog", CatalogSettings(metrics_port=0), engine) is None  # off by default


async def _echo_request_id(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    metadata = dict(context.invocation_metadata() or ())
    return str(metadata.get("x-request-id", "")).encode()


async def test_a_service_passes_the_request_id_on_when_it_calls_another() -> None:
    """call_as_caller (service to service) sends the same id the gateway sent: one id across every hop."""
    server = grpc.aio.server()
    handlers = {"Echo": grpc.unary_unary_rpc_method_handler(_echo_request_id, _identity, _identity)}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Runtime", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    request_id = observability.current_request_id.set("hop-7")
    token = grpc_server._current_token.set("a-token")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            echo = opened.unary_unary("/test.Runtime/Echo", _identity, _identity)
            assert await call_as_caller("echo", echo, b"", 5) == b"hop-7"  # type: ignore[arg-type]
    finally:
        grpc_server._current_token.reset(token)
        observability.current_request_id.reset(request_id)
        await server.stop(None)


async def _slow(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    await asyncio.sleep(5)
    return b""


async def test_a_call_past_its_deadline_is_counted_as_cancelled_not_ok() -> None:
    server = grpc.aio.server(interceptors=[ObservedInterceptor()])
    handlers = {"Slow": grpc.unary_unary_rpc_method_handler(_slow, _identity, _identity)}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Runtime", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    cancelled = observability.GRPC_HANDLED.labels("/test.Runtime/Slow", "CANCELLED")
    ok = observability.GRPC_HANDLED.labels("/test.Runtime/Slow", "OK")
    before = (cancelled._value.get(), ok._value.get())
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            slow = opened.unary_unary("/test.Runtime/Slow", _identity, _identity)
            with pytest.raises(grpc.aio.AioRpcError):
                await slow(b"", timeout=0.2)
        for _ in range(200):  # the server notices the cancellation a moment after the client gave up
            if cancelled._value.get() > before[0]:
                break
            await asyncio.sleep(0.01)
    finally:
        await server.stop(None)
    assert (cancelled._value.get(), ok._value.get()) == (before[0] + 1, before[1])


async def _query(url: str, sql: str) -> bytes:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(sql_text(sql))
    finally:
        await engine.dispose()
    return b""


@pytest.mark.parametrize(
    ("url", "sql", "code"),
    [
        # The database server is away: retry later, the gateway answers 503.
        ("postgresql://nobody@127.0.0.1:1/gone", "SELECT 1", grpc.StatusCode.UNAVAILABLE),
        # A query that cannot work is a bug: internal, logged with its traceback.
        ("sqlite:///:memory:", "SELECT * FROM no_such_table", grpc.StatusCode.INTERNAL),
        # Stored bytes that are not UTF-8 (an OperationalError without an SQLite code): a bug, not an outage.
        ("sqlite:///:memory:", "SELECT CAST(x'ff' AS TEXT)", grpc.StatusCode.INTERNAL),
    ],
)
async def test_an_unreachable_database_is_unavailable_and_a_broken_query_internal(
    url: str, sql: str, code: grpc.StatusCode
) -> None:
    async def handler(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        return await _query(url, sql)

    server = grpc.aio.server(interceptors=[ErrorInterceptor()])
    handlers = {"Query": grpc.unary_unary_rpc_method_handler(handler, _identity, _identity)}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Runtime", handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await opened.unary_unary("/test.Runtime/Query", _identity, _identity)(b"", timeout=10)
    finally:
        await server.stop(None)
    assert caught.value.code() == code
    assert "no_such_table" not in (caught.value.details() or "")  # no internals leak to the caller
