"""One error hierarchy for every service, and its encoding as a rich gRPC status.

Services raise these, each with a Reason (civicpool.common.v1.Reason); the error
interceptor turns them into a gRPC status with the reason's code and google.rpc
details (ErrorInfo naming the Reason, BadRequest for per-field violations). The
gateway decodes the same details into an RFC 9457 problem. What a reason means
on gRPC and on REST is in one table: civicpool_common.reasons.

A message written as a messages.Text travels in English (the status message, a
violation's description: for logs and any caller) and in the caller's language
(google.rpc.LocalizedMessage, a violation's localized_message), as Google's API
design (AIP-193) has it; the decoder prefers the localized one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from civicpool_common.messages import N_, Text, rendered
from civicpool_common.reasons import REASONS, Reason, named

ERROR_DOMAIN = "civicpool"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str | Text


class DomainError(Exception):
    """Base of every expected error: a stable reason (and with it the status code), a human message."""

    default_reason: ClassVar[Reason.ValueType] = Reason.INTERNAL

    def __init__(
        self,
        message: str | Text,
        *,
        reason: Reason.ValueType | None = None,
        violations: Sequence[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.reason = self.default_reason if reason is None else reason
        if self.reason not in REASONS:
            raise ValueError(f"{self.reason!r} is not a reason of civicpool_common.reasons")
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})

    @property
    def code(self) -> grpc.StatusCode:
        """The gRPC status code: the reason's."""
        return REASONS[self.reason].code


class InvalidArgument(DomainError):
    default_reason = Reason.VALIDATION_FAILED

    @classmethod
    def for_field(cls, field_name: str, description: str | Text) -> InvalidArgument:
        return cls(description, violations=[FieldViolation(field_name, description)])


class Unauthenticated(DomainError):
    default_reason = Reason.UNAUTHENTICATED


class PermissionDenied(DomainError):
    default_reason = Reason.FORBIDDEN


class NotFound(DomainError):
    default_reason = Reason.NOT_FOUND


class AlreadyExists(DomainError):
    default_reason = Reason.ALREADY_EXISTS


class FailedPrecondition(DomainError):
    """The request is valid but the current state of the system forbids it."""

    default_reason = Reason.STATE_CONFLICT


_CHANGED = N_("{entity} was changed by someone else (you sent version {expected}); reload and try again")
_CHANGED_TO = N_(
    "{entity} was changed by someone else (you sent version {expected}, now {current}); reload and try again"
)


class VersionConflict(DomainError):
    """Optimistic concurrency: the caller edited an outdated version."""

    default_reason = Reason.VERSION_CONFLICT

    def __init__(self, entity: str | Text, expected: int, current: int | None = None) -> None:
        metadata = {"expected_version": str(expected)}
        if current is None:
            message = Text(_CHANGED, entity=entity, expected=expected)
        else:
            metadata["current_version"] = str(current)
            message = Text(_CHANGED_TO, entity=entity, expected=expected, current=current)
        super().__init__(message, metadata=metadata)


class Unavailable(DomainError):
    """A service this one depends on is down or too slow; retrying later may work."""

    default_reason = Reason.SERVICE_UNAVAILABLE


def to_grpc_status(
    error: DomainError, language: str = "en"
) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """The status code, message and trailing metadata that carry `error` over gRPC, its texts in English and
    in `language`."""
    details: list[any_pb2.Any] = []
    info = any_pb2.Any()
    reason = Reason.Name(error.reason)  # the ErrorInfo reason is the Reason's name, e.g. "VERSION_CONFLICT"
    info.Pack(error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=error.metadata))
    details.append(info)
    if error.violations:
        bad_request = any_pb2.Any()
        bad_request.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field,
                        description=rendered(v.description, "en"),
                        localized_message=error_details_pb2.LocalizedMessage(
                            locale=language, message=rendered(v.description, language)
                        ),
                    )
                    for v in error.violations
                ]
            )
        )
        details.append(bad_request)
    localized = any_pb2.Any()
    localized.Pack(error_details_pb2.LocalizedMessage(locale=language, message=rendered(error.message, language)))
    details.append(localized)
    english = rendered(error.message, "en")
    status = status_pb2.Status(code=error.code.value[0], message=english, details=details)
    return error.code, english, ((STATUS_DETAILS_KEY, status.SerializeToString()),)


@dataclass(frozen=True)
class RemoteError:
    """What a caller learns from a failed gRPC call; `reason` is None when the status names none (gRPC's own).
    Its texts are in the language the call asked for, where the service wrote them so."""

    code: grpc.StatusCode
    message: str
    reason: Reason.ValueType | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    violations: tuple[FieldViolation, ...] = ()


_CODES_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def from_rpc_error(error: grpc.aio.AioRpcError) -> RemoteError:
    """Decode the status, reason and field violations of a failed call."""
    code = error.code()
    message = error.details() or ""
    reason: Reason.ValueType | None = None
    metadata: dict[str, str] = {}
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
                reason, metadata = named(info.reason), dict(info.metadata)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations = tuple(
                    FieldViolation(v.field, v.localized_message.message or v.description)
                    for v in bad_request.field_violations
                )
            elif detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
                localized = error_details_pb2.LocalizedMessage()
                detail.Unpack(localized)
                message = localized.message or message
    return RemoteError(code, message, reason, metadata, violations)


# Keep google.rpc's numbering and grpc's enum in step (a cheap guard on upgrades).
assert grpc.StatusCode.ABORTED.value[0] == code_pb2.ABORTED
