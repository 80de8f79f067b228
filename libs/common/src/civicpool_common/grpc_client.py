"""How one service calls another: the caller's own token, a deadline, and errors that say who failed.

A dependency that is down or too slow becomes UNAVAILABLE; its refusals keep
their meaning (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED,
FAILED_PRECONDITION); anything else is an internal error, logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

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
from civicpool_common.grpc_server import current_token
from civicpool_common.observability import outgoing_metadata
from civicpool_common.service_identity import ServiceTokens
from civicpool_common.status import SERVICE_AWAY

log = logging.getLogger("civicpool.grpc")
Response = TypeVar("Response", bound=Message)

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
    try:
        metadata = outgoing_metadata(current_token(), service_token)
        return await method(request, timeout=deadline_seconds, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        remote = from_rpc_error(error)
        if remote.code in SERVICE_AWAY:
            raise Unavailable(f"the {service} service is unavailable: {remote.message or remote.code.name}") from None
        kept = KEPT.get(remote.code)
        if kept is not None:
            raise kept(
                f"the {service} service refused: {remote.message}",
                reason=remote.reason or None,
                violations=remote.violations,
                metadata=remote.metadata,
            ) from None
        log.error("%s call failed: %s %s", service, remote.code.name, remote.message)
        raise DomainError(f"the {service} service failed: {remote.message}") from None
