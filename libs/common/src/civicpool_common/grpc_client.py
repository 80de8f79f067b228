"""How one service calls another: the caller's own token, a deadline, and errors that say who failed.

A dependency that is down or too slow becomes UNAVAILABLE; its refusals keep
their meaning (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
FAILED_PRECONDITION); anything else is an internal error, logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from civicpool_common.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
    from_rpc_error,
)
from civicpool_common.grpc_server import MAX_MESSAGE_BYTES, current_token
from civicpool_common.messages import Text
from civicpool_common.methods import full_service_name, read_methods
from civicpool_common.observability import outgoing_metadata
from civicpool_common.reasons import SERVICE_AWAY
from civicpool_common.service_identity import ServiceTokens

log = logging.getLogger("civicpool.grpc")
Response = TypeVar("Response", bound=Message)

# Import errors list one violation per bad cell; their status details exceed gRPC's 8 KiB default.
MAX_METADATA_BYTES = 256 * 1024
# Reconnect quickly after a service restarts; gRPC's default backoff grows to two minutes.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.max_metadata_size", MAX_METADATA_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.enable_retries", 1),
]
# A read that failed because its replica went away is sent to another one (reads only: a write may have
# happened before the failure). The overall deadline of the call still holds.
READ_RETRY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def service_config(full_name: str) -> dict[str, Any]:
    """Round robin over every address the target resolves to, and retries for the service's reads."""
    reads = [{"service": full_name, "method": name} for name in read_methods(full_name)]
    return {"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": [{"name": reads, "retryPolicy": READ_RETRY}]}


def open_channel(address: str, service: str) -> grpc.aio.Channel:
    """A channel to every replica of one of our services ("catalog").

    With `dns:///catalog:50051` and a headless Kubernetes Service, the name resolves to each pod's address
    and calls go round robin over all of them (a ClusterIP Service would pin one long-lived connection to
    one pod). A plain `host:port` works the same with one replica.
    """
    options = [*CHANNEL_OPTIONS, ("grpc.service_config", json.dumps(service_config(full_service_name(service))))]
    return grpc.aio.insecure_channel(address, options=options)


KEPT: dict[grpc.StatusCode, type[DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
}


async def call_as_caller(
    service: str,
    method: Callable[..., Awaitable[Response]],
    request: Message,
    deadline_seconds: float,
    *,
    identity: ServiceTokens | None = None,
) -> Response:
    """Call `method` of `service` on behalf of the current caller (their token is forwarded); an internal
    method also gets this service's own token (`identity`)."""
    service_token = await identity.token() if identity is not None else ""
    return await _call(service, method, request, deadline_seconds, outgoing_metadata(current_token(), service_token))


async def call_as_service(
    service: str,
    method: Callable[..., Awaitable[Response]],
    request: Message,
    deadline_seconds: float,
    identity: ServiceTokens,
) -> Response:
    """Call an internal method of `service` as this service alone (its own token, no user's): for work that
    outlives the user's request, such as delivering an award's contracts from the outbox."""
    return await _call(service, method, request, deadline_seconds, outgoing_metadata("", await identity.token()))


async def _call(
    service: str,
    method: Callable[..., Awaitable[Response]],
    request: Message,
    deadline_seconds: float,
    metadata: tuple[tuple[str, str], ...],
) -> Response:
    try:
        return await method(request, timeout=deadline_seconds, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        remote = from_rpc_error(error)
        if remote.code in SERVICE_AWAY:
            raise Unavailable(
                Text(
                    "the {service} service is unavailable: {cause}",
                    service=service,
                    cause=remote.message or remote.code.name,
                )
            ) from None
        kept = KEPT.get(remote.code)
        if kept is not None:
            raise kept(
                f"the {service} service refused: {remote.message}",
                reason=remote.reason,
                violations=remote.violations,
                metadata=remote.metadata,
            ) from None
        log.error("%s call failed: %s %s", service, remote.code.name, remote.message)
        raise DomainError(
            Text("the {service} service failed: {cause}", service=service, cause=remote.message)
        ) from None
