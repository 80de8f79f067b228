"""What every civicpool gRPC service does the same way.

- The auth interceptor verifies the caller's forwarded access token (metadata
  `authorization: Bearer ...`) with the same TokenVerifier as the gateway, and
  makes the Principal available to the servicer through `current_principal()`.
  No service trusts an identity it did not verify itself.
- The error interceptor is the one place where domain errors become gRPC
  status codes; an unreachable database becomes UNAVAILABLE (retry later);
  other unexpected exceptions become INTERNAL without leaking details.
- The standard health service answers NOT_SERVING while the database is
  unreachable, and during shutdown.
- SIGTERM/SIGINT stop the server gracefully: health goes NOT_SERVING, new
  calls are refused, in-flight calls get a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import inspect
import logging
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from civicpool_common import catalog_replica, messages, observability
from civicpool_common.auth import Principal, TokenVerifier
from civicpool_common.background import running
from civicpool_common.database import create_engine, database_unavailable, migrate, ping, session_factory
from civicpool_common.errors import DomainError, PermissionDenied, Unauthenticated, Unavailable, to_grpc_status
from civicpool_common.methods import internal_methods
from civicpool_common.service_identity import SERVICE_TOKEN_METADATA
from civicpool_common.settings import OidcSettings, ServiceSettings

log = logging.getLogger("civicpool.grpc")

# Spreadsheet imports and procurement documents travel as one message; the gateway and the tenders service
# limit files below this (a document at most 30 MiB).
MAX_MESSAGE_BYTES = 32 * 1024 * 1024

# Calls that need no token: infrastructure, not data.
UNAUTHENTICATED_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

_current_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("principal")
_current_token: contextvars.ContextVar[str] = contextvars.ContextVar("token")

Behavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]


def current_principal() -> Principal:
    """The verified caller of the RPC being served."""
    try:
        return _current_principal.get()
    except LookupError:
        raise Unauthenticated("no verified caller for this call") from None


def current_token() -> str:
    """The verified access token of the RPC being served, to forward to another service."""
    try:
        return _current_token.get()
    except LookupError:
        raise Unauthenticated("no verified caller for this call") from None


Continuation = Callable[[grpc.HandlerCallDetails], Awaitable["grpc.RpcMethodHandler[Any, Any] | None"]]


StreamBehavior = Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]


def _wrap_unary(
    handler: grpc.RpcMethodHandler[Any, Any] | None, wrap: Callable[[Behavior], Behavior]
) -> grpc.RpcMethodHandler[Any, Any] | None:
    if handler is None or handler.unary_unary is None:
        return handler  # streaming calls: wrapped by _wrap_stream where an interceptor serves them
    behavior: Behavior = handler.unary_unary  # type: ignore[assignment]  # aio handlers are coroutines
    return grpc.unary_unary_rpc_method_handler(
        wrap(behavior),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _wrap_stream(
    handler: grpc.RpcMethodHandler[Any, Any], wrap: Callable[[Behavior], Behavior]
) -> grpc.RpcMethodHandler[Any, Any]:
    """A server-streaming handler run under the same `wrap` as a unary one: the wrapped behavior gets a
    coroutine that drives the whole stream, writing each message with `context.write`."""
    behavior: Behavior = handler.unary_stream  # type: ignore[assignment]
    if inspect.isasyncgenfunction(behavior):  # the servicer's generator; an outer interceptor gets `drive`
        stream: StreamBehavior = handler.unary_stream  # type: ignore[assignment]

        async def drive(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
            async for message in stream(request, context):
                await context.write(message)

        behavior = drive
    return grpc.unary_stream_rpc_method_handler(
        wrap(behavior),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def _refuse_streaming(handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
    async def refuse(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "client-streaming calls are not served")

    options = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(refuse, **options)
    return grpc.stream_stream_rpc_method_handler(refuse, **options)


def _wrap_call(
    handler: grpc.RpcMethodHandler[Any, Any] | None, wrap: Callable[[Behavior], Behavior]
) -> grpc.RpcMethodHandler[Any, Any] | None:
    """Unary and server-streaming calls wrapped alike; client streams (reflection's) passed on as they are."""
    if handler is not None and handler.unary_stream is not None:
        return _wrap_stream(handler, wrap)
    return _wrap_unary(handler, wrap)


class ObservedInterceptor(grpc.aio.ServerInterceptor):
    """Each call's request id (from the gateway's metadata) in the logs, and its count and time as metrics."""

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = handler_call_details.method
        label = observability.SEALED_LABEL if method in observability.SEALED_RPCS else method
        metadata = handler_call_details.invocation_metadata or ()
        sent = next((str(v) for k, v in metadata if k == observability.REQUEST_ID_HEADER), None)

        def wrap(behavior: Behavior) -> Behavior:
            async def observed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                reset = observability.current_request_id.set(observability.request_id_from(sent))
                started = time.perf_counter()
                code = grpc.StatusCode.OK
                try:
                    return await behavior(request, context)
                except grpc.aio.AbortError:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                except asyncio.CancelledError:  # the caller's deadline passed, or it hung up
                    code = grpc.StatusCode.CANCELLED
                    raise
                finally:
                    elapsed = time.perf_counter() - started
                    observability.GRPC_HANDLED.labels(label, code.name).inc()
                    observability.GRPC_SECONDS.labels(label).observe(elapsed)
                    if code is not grpc.StatusCode.OK:
                        fields = {"method": method, "code": code.name, "duration_ms": round(elapsed * 1000, 1)}
                        log.info("%s answered %s", method, code.name, extra=fields)
                    observability.current_request_id.reset(reset)

            return observed

        return _wrap_call(await continuation(handler_call_details), wrap)


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Domain errors -> gRPC status with rich details, in the caller's language too. Outermost interceptor."""

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = handler_call_details.method
        metadata = handler_call_details.invocation_metadata or ()
        asked = next((str(v) for k, v in metadata if k == messages.LANGUAGE_METADATA), None)
        language = messages.negotiate(asked, "en")

        def wrap(behavior: Behavior) -> Behavior:
            async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                # Each call runs in a task (a context) of its own; its onward calls pass the language on.
                messages.current_language.set(language)
                try:
                    return await behavior(request, context)
                except grpc.aio.AbortError:
                    raise  # the servicer aborted with a status of its own
                except DomainError as error:
                    failure = error
                except Exception as error:
                    if database_unavailable(error):
                        # Expected while the database is away (the health service says NOT_SERVING):
                        # one line, no traceback per call.
                        log.warning("%s: the database is unavailable: %s", method, str(error).splitlines()[0])
                        failure = Unavailable(messages.Text("the database is unavailable; retry later"))
                    else:
                        log.exception("unexpected error in %s", method)
                        failure = DomainError(messages.Text("something failed on our side; it has been logged"))
                code, message, trailers = to_grpc_status(failure, language)
                return await context.abort(code, message, trailing_metadata=trailers)

            return guarded

        return _wrap_call(await continuation(handler_call_details), wrap)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Verifies the forwarded access token of every data call, and the caller's service token of internal ones."""

    def __init__(self, verifier: TokenVerifier, internal: Mapping[str, str] | None = None) -> None:
        self._verifier = verifier
        self._internal = dict(internal or {})  # method -> the service(s) that may call it ("demand,tenders")

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler_call_details.method.startswith(UNAUTHENTICATED_PREFIXES):
            return handler
        if handler is not None and handler.unary_unary is None and handler.unary_stream is None:
            # Fail closed: no data method streams from the client, so none is authenticated that way.
            return _refuse_streaming(handler)
        metadata = handler_call_details.invocation_metadata or ()
        authorization = next((str(v) for k, v in metadata if k == "authorization"), "")
        expected_service = self._internal.get(handler_call_details.method)
        service_authorization = next((str(v) for k, v in metadata if k == SERVICE_TOKEN_METADATA), "")

        def wrap(behavior: Behavior) -> Behavior:
            async def authenticated(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
                caller = ""
                if expected_service is not None:
                    caller = await self._check_service(handler_call_details.method, expected_service,
                                                       service_authorization)  # fmt: skip
                if expected_service is not None and not authorization:
                    # The calling service acts on its own (call_as_service): work that outlives a user's request.
                    principal, token = Principal.of_service(caller), ""
                else:
                    scheme, _, token = authorization.partition(" ")
                    if scheme.lower() != "bearer" or not token:
                        raise Unauthenticated("the call carries no bearer token")
                    principal = await self._verifier.verify(token)
                reset = _current_principal.set(principal)
                reset_token = _current_token.set(token)
                try:
                    return await behavior(request, context)
                finally:
                    _current_token.reset(reset_token)
                    _current_principal.reset(reset)

            return authenticated

        return _wrap_call(handler, wrap)

    async def _check_service(self, method: str, expected: str, authorization: str) -> str:
        """An internal method: the call must carry the own token of the expected service (or of one of them,
        when the proto names several, comma-separated). The calling service."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise PermissionDenied(f"{method} is internal: only the {expected} service may call it, with its own token")
        callers = [name for name in expected.split(",") if name in await self._verifier.verify_service(token)]
        if not callers:
            raise PermissionDenied(f"{method} is internal: only the {expected} service may call it")
        return callers[0]


@contextlib.asynccontextmanager
async def periodically(job: Callable[[], Awaitable[str]], interval_seconds: float, what: str) -> AsyncIterator[None]:
    """Run `job` every `interval_seconds` while the context lasts (a service's housekeeping).

    The job returns what it did, for the log ("" when nothing). A failure is logged and tried
    again next time: the database may be away for a while, and the health monitor reports that.
    """

    async def loop() -> None:
        while True:
            try:
                done = await job()
                if done:
                    log.info(done)
            except Exception:
                log.warning("could not %s; retrying", what, exc_info=True)
            await asyncio.sleep(interval_seconds)

    async with running(loop(), what):
        yield


@dataclass(frozen=True)
class ServiceDefinition:
    """How one service plugs into the shared runtime."""

    name: str  # "catalog": names the database file and the logs
    full_service_name: str  # "civicpool.catalog.v1.CatalogService"
    migrations: str  # "civicpool_catalog:migrations"
    # Adds the servicer to the server; the context it returns lives as long as the server
    # (for the service's own clients and background tasks).
    register: Callable[
        [grpc.aio.Server, async_sessionmaker[AsyncSession], Any], contextlib.AbstractAsyncContextManager[None]
    ]


class _HealthMonitor:
    """Keeps the health status in step with the database and the catalog replica: SERVING while the database
    answers, once the process's replica of the catalog (if it keeps one) is warm."""

    def __init__(
        self, servicer: health.aio.HealthServicer, engine: AsyncEngine, services: Sequence[str], interval: float
    ) -> None:
        self._servicer = servicer
        self._engine = engine
        self._services = services
        self._interval = interval
        self._last: bool | None = None

    async def check_once(self) -> None:
        database = await ping(self._engine)
        if database != self._last:
            log.log(
                logging.INFO if database else logging.ERROR, "database %s", "reachable" if database else "UNREACHABLE"
            )
            self._last = database
        healthy = database and catalog_replica.all_warm()
        status = health_pb2.HealthCheckResponse.SERVING if healthy else health_pb2.HealthCheckResponse.NOT_SERVING
        for service in self._services:
            await self._servicer.set(service, status)

    async def run(self) -> None:
        while True:
            # Quickly while a replica warms up (the process is not serving yet), then at the interval.
            await asyncio.sleep(self._interval if catalog_replica.all_warm() else min(self._interval, 0.1))
            await self.check_once()


async def serve(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """Run the service until SIGTERM or SIGINT."""
    database_url = settings.resolved_database_url(definition.name)
    if settings.should_migrate_on_start:
        await asyncio.to_thread(migrate, database_url, definition.migrations)
    engine = create_engine(database_url, settings.database_pool_size)
    verifier = TokenVerifier(OidcSettings())
    # Learn Keycloak's signing keys now rather than at the first call: a service (re)started while
    # Keycloak is up keeps verifying tokens if Keycloak goes away later. Best effort, in the
    # background; when Keycloak is not up yet, the first call tries again.
    prefetch = asyncio.create_task(verifier.ensure_keys())
    try:
        await _serve(definition, settings, engine, verifier)
    finally:
        prefetch.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # best effort: never blocks the stop
            await prefetch
        await verifier.aclose()
        await engine.dispose()
        log.info("%s service stopped", definition.name)


async def _serve(
    definition: ServiceDefinition, settings: ServiceSettings, engine: AsyncEngine, verifier: TokenVerifier
) -> None:
    internal = internal_methods(definition.full_service_name)
    server = grpc.aio.server(
        interceptors=[ObservedInterceptor(), ErrorInterceptor(), AuthInterceptor(verifier, internal)],
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)],
    )
    async with definition.register(server, session_factory(engine), settings):
        await _run_until_stopped(definition, settings, engine, server)


async def _run_until_stopped(
    definition: ServiceDefinition, settings: ServiceSettings, engine: AsyncEngine, server: grpc.aio.Server
) -> None:
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [
            definition.full_service_name,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ],
        server,
    )
    monitor = _HealthMonitor(
        health_servicer, engine, ["", definition.full_service_name], settings.health_interval_seconds
    )
    await monitor.check_once()

    address = f"{settings.host}:{settings.port}"
    server.add_insecure_port(address)  # raises when the address is taken
    metrics = serve_metrics(definition.name, settings, engine)
    await server.start()
    # Everything loaded so far lives as long as the process: keep the collector from re-scanning it
    # on every full collection (large results allocate enough to trigger those often).
    gc.freeze()
    log.info("%s service listening on %s", definition.name, address)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    monitor_task = asyncio.create_task(monitor.run())
    try:
        await stop.wait()
        log.info("%s service stopping", definition.name)
    finally:
        monitor_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await monitor_task
        # NOT_SERVING first, and a moment for load balancers to notice, then refuse new calls
        # and give the calls in flight their grace period.
        await health_servicer.enter_graceful_shutdown()
        await asyncio.sleep(settings.shutdown_drain_seconds)
        await server.stop(settings.shutdown_grace_seconds)
        if metrics is not None:
            metrics.shutdown()


def serve_metrics(name: str, settings: ServiceSettings, engine: AsyncEngine) -> Any | None:
    """Prometheus metrics on their own HTTP port (none when 0): calls, times, codes, the database pool.

    The HTTP server (shut it down when the service stops), or None.
    """
    if not settings.metrics_port:
        return None
    pool: Any = engine.pool  # a QueuePool for database servers; SQLite's may not count
    if hasattr(pool, "checkedout") and hasattr(pool, "size"):
        observability.DB_POOL_CHECKED_OUT.labels(name).set_function(lambda: float(pool.checkedout()))
        observability.DB_POOL_SIZE.labels(name).set_function(lambda: float(pool.size()))
    return observability.start_metrics_server(name, settings.host, settings.metrics_port)


def run_cli(definition: ServiceDefinition, settings: ServiceSettings, argv: Sequence[str]) -> int:
    """`python -m civicpool_<svc> [serve|migrate]`."""
    observability.configure_logging(definition.name)
    command = argv[0] if argv else "serve"
    if command == "migrate":
        migrate(settings.resolved_database_url(definition.name), definition.migrations)
        log.info("%s: database migrated to head", definition.name)
        return 0
    if command == "serve":
        asyncio.run(serve(definition, settings))
        return 0
    print(f"usage: python -m civicpool_{definition.name} [serve|migrate]")
    return 2
