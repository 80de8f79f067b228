"""One error hierarchy for every service, and its encoding as a rich gRPC status.

Services raise these; the error interceptor turns them into a gRPC status with
google.rpc details (ErrorInfo for a stable reason, BadRequest for per-field
violations). The gateway decodes the same details into an RFC 9457 problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

ERROR_DOMAIN = "civicpool"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class DomainError(Exception):
    """Base of every expected error: a status code, a stable reason, a human message."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL
    default_reason: ClassVar[str] = "INTERNAL"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        violations: Sequence[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    default_reason = "VALIDATION_FAILED"

    @classmethod
    def for_field(cls, field_name: str, description: str) -> InvalidArgument:
        return cls(description, violations=[FieldViolation(field_name, description)])


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED
    default_reason = "FORBIDDEN"


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    """The request is valid but the current state of the system forbids it."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    default_reason = "STATE_CONFLICT"


class VersionConflict(DomainError):
    """Optimistic concurrency: the caller edited an outdated version."""

    code = grpc.StatusCode.ABORTED
    default_reason = "VERSION_CONFLICT"

    def __init__(self, entity: str, expected: int, current: int | None = None) -> None:
        now = f"the current version is {current}" if current is not None else "it has a newer version"
        metadata = {"expected_version": str(expected)}
        if current is not None:
            metadata["current_version"] = str(current)
        super().__init__(
            f"{entity} was changed by someone else: you sent version {expected}, {now}; "
            "reload it and apply your change again",
            metadata=metadata,
        )


class Unavailable(DomainError):
    """A service this one depends on is down or too slow; retrying later may work."""

    code = grpc.StatusCode.UNAVAILABLE
    default_reason = "SERVICE_UNAVAILABLE"


def to_grpc_status(error: DomainError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """The status code, message and trailing metadata that carry `error` over gRPC."""
    details: list[any_pb2.Any] = []
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata))
    details.append(info)
    if error.violations:
        bad_request = any_pb2.Any()
        bad_request.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                    for v in error.violations
                ]
            )
        )
        details.append(bad_request)
    status = status_pb2.Status(code=error.code.value[0], message=error.message, details=details)
    return error.code, error.message, ((STATUS_DETAILS_KEY, status.SerializeToString()),)


@dataclass(frozen=True)
class RemoteError:
    """What a caller learns from a failed gRPC call."""

    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[FieldViolation, ...] = ()


_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def from_rpc_error(error: grpc.aio.AioRpcError) -> RemoteError:
    """Decode the status, reason and field violations of a failed call."""
    code = error.code()
    message = error.details() or ""
    reason, metadata = "", {}
    violations: tuple[FieldViolation, ...] = ()
    for key, value in error.trailing_metadata() or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status.FromString(value)
        code = _CODES_BY_NUMBER.get(status.code, code)
        message = status.message or message
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations = tuple(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
    return RemoteError(code, message, reason, metadata, violations)


# Keep google.rpc's numbering and grpc's enum in step (a cheap guard on upgrades).
assert grpc.StatusCode.ABORTED.value[0] == code_pb2.ABORTED
